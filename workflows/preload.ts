/**
 * What the worker evaluates once per workflow thread, before any workflow runs: the bundler's
 * `preloadModules` (workers/bundle-options.ts). Not a workflow module: never import it from
 * workflows/index.ts.
 *
 * Shared this way: zod itself (its modules and the members it installs on each schema
 * class's prototype at first construction) and the schema cache of common/shared-schema.ts.
 * Everything else stays per execution. Never add a module whose exports hold zod schemas or
 * mutable state: the SDK deep-freezes preloaded modules' exports.
 */
import { z } from 'zod';
import '../common/shared-schema';

// One schema of each kind the workflows use, built and used once: it loads zod here (a bare
// `import 'zod'` would be dropped, zod declares itself free of side effects) and installs
// each class's prototype members now rather than in the first workflow.
z.object({
  s: z.string().min(1).max(8).regex(/./).optional(),
  u: z.url().optional(),
  n: z.number().int().positive().nonnegative().finite().min(0).max(9).default(1),
  b: z.boolean().default(false),
  sb: z.stringbool().optional(),
  e: z.enum(['a', 'b']).optional(),
  a: z.array(z.string()).optional(),
  r: z.record(z.string(), z.unknown()).optional(),
  un: z.union([z.string(), z.number()]).nullable().optional(),
})
  .strict()
  .partial()
  .extend({
    t: z
      .string()
      .transform((v) => v.length)
      .pipe(z.number())
      .optional(),
  })
  .omit({ u: true })
  .superRefine(() => undefined)
  .refine(() => true)
  .safeParse({ n: 1, s: 'x', a: ['x'], r: {}, un: 1, t: 'x', b: true, e: 'a', sb: 'true' });
