/**
 * zod schemas for both families' answers, tolerant where real deployments differ from the
 * seeds (docs/provider/notes.md, "Responses"): numbers as strings, `error` as object, string or null, fields
 * present or not.
 */
import { z } from 'zod';
import { PROVIDER_TEXT_LIMIT, truncate } from './provider-error';

/**
 * A task id we will put into a URL path: 1-128 of A-Z a-z 0-9 . _ : -, starting with a
 * letter or digit (so never `.` or `..`, which would change the path; never `/`, `?`, `%`).
 * Ark's `cgt-…` ids and the gateway's hex ids fit. Anchored with a bounded class: linear.
 */
export const TASK_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

export function isValidTaskId(id: unknown): id is string {
  return typeof id === 'string' && TASK_ID_PATTERN.test(id);
}

/** Statuses are single words; a longer one is unknown anyway and must not fill history. */
export const STATUS_TEXT_LIMIT = 100;

const providerText = (v: string | undefined) => (v === undefined ? undefined : truncate(v, PROVIDER_TEXT_LIMIT));

/** `"16108"` or `16108` → 16108; anything unparsable → undefined rather than a failed poll. */
export const looseNumber = z
  .union([z.number(), z.string(), z.null()])
  .optional()
  .transform((v) => {
    if (v === null || v === undefined || v === '') return undefined;
    const n = typeof v === 'number' ? v : Number(v);
    return Number.isFinite(n) ? n : undefined;
  });

const looseString = z
  .union([z.string(), z.number(), z.null()])
  .optional()
  .transform((v) => (v === null || v === undefined ? undefined : String(v)));

const errorField = z
  .union([z.object({ code: looseString, message: looseString }).loose(), z.string(), z.null()])
  .optional()
  .transform((v) => {
    if (v === null || v === undefined || v === '') return undefined;
    // Truncated here, as error bodies are: task errors end up in failure messages, history,
    // the manifest and the report.
    if (typeof v === 'string') return { message: providerText(v) };
    return v.code || v.message ? { code: providerText(v.code), message: providerText(v.message) } : undefined;
  });

const statusField = z
  .string()
  .min(1)
  .transform((v) => truncate(v, STATUS_TEXT_LIMIT));

const usageField = z.object({ completion_tokens: looseNumber, total_tokens: looseNumber }).loose().nullish();

// ----- tasks family -----

export const TasksSubmitRequestSchema = z.object({
  model: z.string().min(1),
  content: z
    .array(
      z.union([
        z.object({ type: z.literal('text'), text: z.string().min(1) }),
        z.object({
          type: z.literal('image_url'),
          image_url: z.object({ url: z.string().min(1) }),
          role: z.enum(['first_frame', 'last_frame', 'reference_image']).optional(),
        }),
        z.object({ type: z.literal('video_url'), video_url: z.object({ url: z.string().min(1) }), role: z.literal('reference_video') }),
        z.object({ type: z.literal('audio_url'), audio_url: z.object({ url: z.string().min(1) }), role: z.literal('reference_audio') }),
        /** A final rendered from a draft (Seedance 1.5 pro): the draft's task, whose prompt and media it reuses. */
        z.object({ type: z.literal('draft_task'), draft_task: z.object({ id: z.string().min(1) }) }),
      ]),
    )
    .min(1),
  /** A 480p draft a final can later reference (Seedance 1.5 pro). */
  draft: z.boolean().optional(),
  generate_audio: z.boolean().optional(),
  resolution: z.string().optional(),
  ratio: z.string().optional(),
  duration: z.number().int().optional(),
  frames: z.number().int().optional(),
  framespersecond: z.number().int().optional(),
  seed: z.number().int().optional(),
  camerafixed: z.boolean().optional(),
  watermark: z.boolean().optional(),
  return_last_frame: z.boolean().optional(),
  /** Set by the submit attempt when callbacks are on (activities/seedance/callback-token.ts). */
  callback_url: z
    .url({ protocol: /^https?$/ })
    .max(4096)
    .optional(),
  execution_expires_after: z.number().int().optional(),
  service_tier: z.string().optional(),
});
export type TasksSubmitRequest = z.infer<typeof TasksSubmitRequestSchema>;

export const TasksSubmitResponseSchema = z.object({ id: z.string().min(1) }).loose();

export const TasksTaskSchema = z
  .object({
    id: z.string().min(1),
    model: z.string().optional(),
    status: statusField,
    content: z.object({ video_url: z.string().optional(), last_frame_url: z.string().optional() }).loose().nullish(),
    usage: usageField,
    seed: looseNumber,
    resolution: looseString,
    ratio: looseString,
    duration: looseNumber,
    frames: looseNumber,
    framespersecond: looseNumber,
    created_at: looseNumber,
    updated_at: looseNumber,
    error: errorField,
  })
  .loose();

// ----- predictions family -----

export const PredictionsSubmitRequestSchema = z.object({
  prompt: z.string().min(1),
  image: z.string().min(1).optional(),
  aspect_ratio: z.string().optional(),
  duration: z.number().int().optional(),
  resolution: z.string().optional(),
  generate_audio: z.boolean().optional(),
  camera_fixed: z.boolean().optional(),
  seed: z.number().int().optional(),
});
export type PredictionsSubmitRequest = z.infer<typeof PredictionsSubmitRequestSchema>;

export const PredictionSchema = z
  .object({
    id: z.string().min(1),
    model: z.string().optional(),
    outputs: z.array(z.string()).nullish(),
    urls: z.object({ get: z.string().optional() }).loose().nullish(),
    status: statusField,
    error: errorField,
    executionTime: looseNumber,
    seed: looseNumber,
    usage: usageField,
    created_at: looseString,
  })
  .loose();

/** The gateway wraps answers as `{data, message, code}`; tolerate a bare prediction too. */
export const PredictionEnvelopeSchema = z.union([
  z.object({ data: PredictionSchema, message: z.string().optional(), code: looseNumber }).loose(),
  PredictionSchema.transform((data) => ({ data, message: undefined, code: undefined })),
]);
