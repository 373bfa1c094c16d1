/**
 * The shot: what one Seedance video is made from, validated against both API families'
 * parameter rules (docs/provider/seeds/) before anything is sent or paid for.
 *
 * Field names follow the storyboard file contract (snake_case, like the provider), so a
 * shot read from a file needs no renaming. No I/O: workflows import this module.
 */
import { z } from 'zod';
import { sharedSchema } from './shared-schema';

export const API_FAMILIES = ['tasks', 'predictions'] as const;
export type ApiFamily = (typeof API_FAMILIES)[number];

export const IMAGE_ROLES = ['first_frame', 'last_frame', 'reference_image'] as const;
export type ImageRole = (typeof IMAGE_ROLES)[number];

export const TASKS_RATIOS = ['16:9', '4:3', '1:1', '3:4', '9:16', '21:9', 'adaptive'] as const;
export const PREDICTIONS_RATIOS = ['21:9', '16:9', '4:3', '1:1', '3:4', '9:16'] as const;
export const RESOLUTIONS = ['480p', '720p', '1080p'] as const;

export const DEFAULT_MODELS: Record<ApiFamily, string> = {
  tasks: 'doubao-seedance-1-5-pro-251215',
  predictions: 'doubao-seedance-2-0-fast-260128',
};

/** Seedance 2.0 (and 2.0 fast) are the only models with the reference-image scenario. */
export function isSeedance2(model: string): boolean {
  return /seedance-2-0/i.test(model);
}
export function isSeedance2Fast(model: string): boolean {
  return /seedance-2-0-fast/i.test(model);
}

/**
 * Models with a draft mode: PROVIDER-NOTES "Limits and tiers" (`draft` renders are a Seedance
 * 1.5 pro feature, tasks family, 480p only; a final references the draft by `draft_task_id`).
 */
export function hasDraftMode(model: string, api: ApiFamily): boolean {
  return api === 'tasks' && /seedance-1-5-pro/i.test(model);
}
/** Drafts render at this resolution only. */
export const DRAFT_RESOLUTION = '480p';

/**
 * The family a shot goes to when it names none: the gateway serves Seedance 2.0 fast through
 * its predictions endpoints (docs/provider/seeds/predictions-family.txt); every other model goes through the tasks family.
 */
export function inferApi(model: string | undefined): ApiFamily {
  return model && isSeedance2Fast(model) && /^doubao-/i.test(model) ? 'predictions' : 'tasks';
}

/** Parameters only the tasks family has (dropped from storyboard defaults for predictions shots). */
export const TASKS_ONLY_FIELDS = ['frames', 'fps', 'watermark', 'return_last_frame', 'execution_expires_after', 'service_tier'] as const;

/**
 * An image reference. Never bytes: `url` is an http(s) URL the provider fetches itself, or a
 * reference to an object staged in our own storage (`s3://bucket/key`, `file:///path`) that
 * the submit activity reads and inlines as base64 at request time (history hygiene).
 */
export const ImageRefSchema = sharedSchema('shot.ImageRefSchema', () =>
  z.object({
    url: z
      .string()
      .min(1)
      .refine((u) => !u.startsWith('data:'), {
        message: 'data: URLs may not travel through workflow history; stage the image and pass its reference',
      })
      .refine((u) => /^(https?|s3|file):\/\//i.test(u), {
        message: 'image url must be http(s)://, s3:// or file://',
      }),
    role: z.enum(IMAGE_ROLES).default('first_frame'),
  }),
);
export type ImageRef = z.infer<typeof ImageRefSchema>;

/**
 * Seedance 2.0 takes up to 3 reference videos and up to 3 reference audio clips besides its
 * images (docs/provider/notes.md "Limits and tiers"), as content items `video_url` / `audio_url` with
 * roles `reference_video` / `reference_audio`.
 */
export const MAX_REFERENCE_VIDEOS = 3;
export const MAX_REFERENCE_AUDIOS = 3;

/**
 * A reference video or audio clip: as an image reference, never bytes. `url` is an http(s)
 * URL the provider fetches, or our own staged object (`s3://`, `file://`) that the submit
 * activity hands over (activities/seedance/media.ts). Its role follows from the list it is in.
 */
export const MediaRefSchema = sharedSchema('shot.MediaRefSchema', () =>
  z
    .object({
      url: z
        .string()
        .min(1)
        .refine((u) => !u.startsWith('data:'), {
          message: 'data: URLs may not travel through workflow history; stage the file and pass its reference',
        })
        .refine((u) => /^(https?|s3|file):\/\//i.test(u), { message: 'url must be http(s)://, s3:// or file://' }),
    })
    .strict(),
);
export type MediaRef = z.infer<typeof MediaRefSchema>;

const MAX_SEED_TASKS = 2 ** 32 - 1;
const MAX_SEED_PREDICTIONS = 2147483647;

/** The fields of one shot, before cross-field rules. */
export const ShotFieldsSchema = sharedSchema('shot.ShotFieldsSchema', () =>
  z.object({
    prompt: z.string().trim().min(1, 'prompt must not be empty').max(4000),
    api: z.enum(API_FAMILIES).optional(),
    model: z.string().trim().min(1).max(200).optional(),
    images: z.array(ImageRefSchema).max(9).default([]),
    /** Reference videos (Seedance 2.0); absent rather than empty, so shots without them are sent as before. */
    videos: z.array(MediaRefSchema).max(MAX_REFERENCE_VIDEOS, `at most ${MAX_REFERENCE_VIDEOS} reference videos`).optional(),
    /** Reference audio clips (Seedance 2.0), never the only reference. */
    audios: z.array(MediaRefSchema).max(MAX_REFERENCE_AUDIOS, `at most ${MAX_REFERENCE_AUDIOS} reference audio clips`).optional(),
    ratio: z.string().optional(),
    resolution: z.enum(RESOLUTIONS).optional(),
    duration: z.number().int().optional(),
    frames: z.number().int().optional(),
    fps: z.number().int().optional(),
    seed: z.number().int().optional(),
    camera_fixed: z.boolean().optional(),
    generate_audio: z.boolean().optional(),
    watermark: z.boolean().optional(),
    return_last_frame: z.boolean().optional(),
    /** Seconds; Ark accepts 1 h to 72 h. */
    execution_expires_after: z.number().int().min(3600).max(259200).optional(),
    service_tier: z.string().optional(),
    /**
     * Render a cheap draft (set by renderStoryboard in draft mode, never by a storyboard file):
     * Seedance 1.5 pro, tasks family, 480p.
     */
    draft: z.boolean().optional(),
    /**
     * Render the final of this draft task: the provider reuses the draft's prompt, media,
     * duration, ratio, seed and audio, so none of them is sent (set by renderStoryboard).
     */
    draft_task_id: z
      .string()
      .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/, 'draft_task_id must be a task id')
      .optional(),
  }),
);

/** Fields renderStoryboard sets for draft mode; storyboard files cannot give them (it is `mode: draft` there). */
export const DRAFT_FIELDS = ['draft', 'draft_task_id'] as const;

/**
 * A validated shot: family and model resolved, every seed rule checked. Issues carry paths
 * (`images.1.role`) so callers can prefix them (`shots[3].images[1].role`).
 */
export const ShotSchema = sharedSchema('shot.ShotSchema', () =>
  ShotFieldsSchema.superRefine((shot, ctx) => {
    const api = shot.api ?? inferApi(shot.model);
    const model = shot.model ?? DEFAULT_MODELS[api];
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: 'custom', path, message });

    const ratios: readonly string[] = api === 'tasks' ? TASKS_RATIOS : PREDICTIONS_RATIOS;
    if (shot.ratio !== undefined && !ratios.includes(shot.ratio)) {
      issue(['ratio'], `ratio must be one of ${ratios.join(', ')} for the ${api} family`);
    }
    if (shot.resolution === '1080p' && isSeedance2Fast(model)) {
      issue(['resolution'], '1080p is not supported by Seedance 2.0 fast');
    }
    if (shot.duration !== undefined && shot.frames !== undefined) {
      issue(['frames'], 'give duration or frames, not both');
    }
    if (api === 'tasks') {
      if (shot.duration !== undefined && shot.duration !== -1 && (shot.duration < 2 || shot.duration > 12)) {
        issue(['duration'], 'duration must be between 2 and 12 seconds (or -1: the model chooses)');
      }
      if (shot.frames !== undefined && (shot.frames < 29 || shot.frames > 289 || (shot.frames - 25) % 4 !== 0)) {
        issue(['frames'], 'frames must be 25+4n within [29, 289]');
      }
      if (shot.fps !== undefined && shot.fps !== 24) issue(['fps'], 'fps must be 24');
      if (shot.seed !== undefined && (shot.seed < -1 || shot.seed > MAX_SEED_TASKS)) {
        issue(['seed'], `seed must be within [-1, ${MAX_SEED_TASKS}]`);
      }
    } else {
      if (shot.duration !== undefined && (shot.duration < 4 || shot.duration > 15)) {
        issue(['duration'], 'duration must be between 4 and 15 seconds for the predictions family');
      }
      if (shot.frames !== undefined) issue(['frames'], 'the predictions family takes duration, not frames');
      if (shot.fps !== undefined) issue(['fps'], 'the predictions family has no fps parameter');
      if (shot.seed !== undefined && (shot.seed < -1 || shot.seed > MAX_SEED_PREDICTIONS)) {
        issue(['seed'], `seed must be within [-1, ${MAX_SEED_PREDICTIONS}]`);
      }
      for (const field of ['watermark', 'return_last_frame', 'execution_expires_after', 'service_tier'] as const) {
        if (shot[field] !== undefined) issue([field], `${field} is a tasks-family parameter`);
      }
    }
    checkImageScenario(shot.images, api, model, issue);
    checkMediaReferences(shot, api, model, issue);
    checkDraftFields(shot, api, model, issue);
  }),
);

/**
 * Reference videos and audio (docs/provider/notes.md "Limits and tiers" and "Inputs"; the simulator
 * enforces the same, simulator/validation.ts checkMediaReferences): Seedance 2.0 and 2.0 fast
 * only, through the tasks family (the gateway's predictions family documents none); they are
 * references, so they belong to the reference scenario and exclude first/last frames; audio is
 * never the only reference. One problem per rule, at the first item it concerns.
 */
function checkMediaReferences(
  shot: { images: ImageRef[]; videos?: MediaRef[] | undefined; audios?: MediaRef[] | undefined },
  api: ApiFamily,
  model: string,
  issue: (path: (string | number)[], message: string) => void,
): void {
  const videos = shot.videos?.length ?? 0;
  const audios = shot.audios?.length ?? 0;
  if (videos + audios === 0) return;
  const key = videos > 0 ? 'videos' : 'audios';
  const what = videos > 0 ? 'reference videos' : 'reference audio';
  if (api === 'predictions') {
    issue(
      [key],
      `the predictions family (the gateway) documents no ${what}; send this shot through the tasks family (api: tasks) with a Seedance 2.0 model`,
    );
    return;
  }
  if (!isSeedance2(model)) issue([key], `${what} need a Seedance 2.0 model (2.0 or 2.0 fast), not ${model}`);
  const frame = shot.images.findIndex((i) => i.role !== 'reference_image');
  if (frame >= 0) {
    issue(
      ['images', frame, 'role'],
      `a ${shot.images[frame]?.role} cannot be combined with reference videos or audio: they belong to the reference scenario (use role: reference_image)`,
    );
  }
  const refImages = shot.images.filter((i) => i.role === 'reference_image').length;
  if (audios > 0 && videos === 0 && refImages === 0) {
    issue(['audios'], 'audio cannot be the only reference: add a reference video or a reference image (role: reference_image)');
  }
}

/** A draft or a final from a draft: only where the model has a draft mode, and never both. */
function checkDraftFields(
  shot: z.output<typeof ShotFieldsSchema>,
  api: ApiFamily,
  model: string,
  issue: (path: (string | number)[], message: string) => void,
): void {
  if (!shot.draft && shot.draft_task_id === undefined) return;
  const field = shot.draft ? 'draft' : 'draft_task_id';
  if (!hasDraftMode(model, api)) issue([field], `model ${model} has no draft mode (drafts are a Seedance 1.5 pro feature)`);
  if (shot.draft && shot.draft_task_id !== undefined) issue(['draft_task_id'], 'a draft cannot itself render from a draft');
  if (shot.draft && shot.resolution !== undefined && shot.resolution !== DRAFT_RESOLUTION)
    issue(['resolution'], `a draft renders at ${DRAFT_RESOLUTION} only`);
  if (shot.draft_task_id !== undefined && shot.images.length > 0)
    issue(['images'], "a final from a draft reuses the draft's images: give none");
}

function checkImageScenario(
  images: ImageRef[],
  api: ApiFamily,
  model: string,
  issue: (path: (string | number)[], message: string) => void,
): void {
  const count = (role: ImageRole) => images.filter((i) => i.role === role).length;
  const refs = count('reference_image');
  const firsts = count('first_frame');
  const lasts = count('last_frame');
  if (refs > 0 && firsts + lasts > 0) {
    const at = images.findIndex((i) => i.role !== 'reference_image');
    issue(['images', at, 'role'], 'reference images cannot be mixed with first/last frames (three exclusive scenarios)');
    return;
  }
  if (refs > 0 && !isSeedance2(model)) {
    issue(['images', images.findIndex((i) => i.role === 'reference_image'), 'role'], 'reference images need a Seedance 2.0 model');
  }
  if (firsts > 1 || lasts > 1) {
    const role: ImageRole = firsts > 1 ? 'first_frame' : 'last_frame';
    const at = images.map((i) => i.role).lastIndexOf(role);
    issue(['images', at, 'role'], `at most one ${role}`);
  }
  if (lasts === 1 && firsts === 0) {
    issue(['images', images.findIndex((i) => i.role === 'last_frame'), 'role'], 'a last_frame needs a first_frame');
  }
  if (api === 'predictions' && (lasts > 0 || refs > 0)) {
    const at = images.findIndex((i) => i.role !== 'first_frame');
    issue(['images', at, 'role'], 'the predictions family takes a single first-frame image');
  }
}

export type ShotInput = z.input<typeof ShotFieldsSchema>;
export type Shot = z.output<typeof ShotFieldsSchema>;

/** A shot with its family and model decided. */
export type ResolvedShot = Shot & { api: ApiFamily; model: string };

export function resolveShot(shot: Shot): ResolvedShot {
  const api = shot.api ?? inferApi(shot.model);
  return { ...shot, api, model: shot.model ?? DEFAULT_MODELS[api] };
}

/** A zod issue as one line: `images[1].role: reference images need a Seedance 2.0 model`. */
export function formatIssuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i === 0 ? '' : '.'}${String(p)}`)).join('');
}

export function formatIssues(error: z.ZodError, prefix = ''): string[] {
  return error.issues.map((i) => {
    const path = formatIssuePath([...(prefix ? [prefix] : []), ...i.path]);
    return path ? `${path}: ${i.message}` : i.message;
  });
}

/** Validates a shot and decides its family and model; throws ZodError on bad input. */
export function shotFromInput(input: ShotInput): ResolvedShot {
  return resolveShot(ShotSchema.parse(input));
}
