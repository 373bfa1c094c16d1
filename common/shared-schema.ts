/**
 * Schemas built once per workflow thread instead of once per workflow execution.
 *
 * Why: a worker runs every workflow in one reusable V8 context, but gives each workflow
 * execution its own module cache, so the workflow bundle's modules are evaluated afresh for
 * every execution, and a zod schema declared at module scope was built again for every
 * shot: a third of what a renderVideo execution cost the worker (`npm run bench:replay`).
 *
 * The worker preloads this module (workflows/preload.ts, named in the bundler's
 * `preloadModules`): it is evaluated once per workflow thread, before any workflow, and the
 * cache below outlives each execution's modules. The cache lives in a closure, not in an
 * export, because the SDK deep-freezes what preloaded modules export, and a frozen zod
 * schema breaks (zod materializes its members on the instance at first use).
 *
 * Sharing is safe because a schema is a pure value: its checks and transforms must not read
 * or write anything else (no clock, no randomness, no module state). Outside a worker (the
 * CLI, activities, tests) this is a plain memo. A bundle built without the preload (a team's
 * own bundle) evaluates this module per execution too: correct, only not cheaper.
 *
 * Keys are `<module>.<name>`, one per schema (test/unit/shared-schema.test.ts checks).
 */
const built = new Map<string, unknown>();

/** The schema `build()` returns, built the first time `key` is asked for on this thread. */
export function sharedSchema<T>(key: string, build: () => T): T {
  if (built.has(key)) return built.get(key) as T;
  const schema = build();
  built.set(key, schema);
  return schema;
}
