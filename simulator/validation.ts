/**
 * Light validation of submit bodies, turning both families' requests into one shape.
 * "Light" means: the checks a client bug would trip (missing model, wrong types, bad image
 * references, mixed image roles), not the provider's full rule set.
 */
import { createHash } from 'node:crypto';
import { isRecord } from './config';

/** A submit request, normalized across both API families. */
export interface VideoRequest {
  model: string;
  /** The text prompt; for the tasks family, the text items joined by newlines. */
  prompt: string;
  resolution: string;
  ratio: string;
  /** Requested seconds (-1 = model's choice); absent when `frames` was given. */
  duration?: number;
  /** Requested frame count, reported back instead of `duration`. */
  frames?: number;
  framespersecond: number;
  /** Requested seed; absent or -1 means random. */
  seed?: number;
  returnLastFrame: boolean;
  /** Seconds a task may wait in the queue before it expires (tasks family). */
  executionExpiresAfter?: number;
  /** Where status changes are POSTed (tasks family). */
  callbackUrl?: string;
  /** `default` or `flex` (tasks family); filterable in the task list. */
  serviceTier?: string;
  /** `generate_audio` as sent; absent means the default, on (both seeds). Whether the output has sound: `hasAudio` (moderation.ts). */
  generateAudio?: boolean;
  /** `draft: true` (tasks family, Seedance 1.5 pro): a 480p draft a final can later reference. */
  draft: boolean;
  /** The draft this final renders from (`content[].draft_task.id` or `draft_task_id`); resolved at admission (drafts.ts). */
  draftTaskId?: string;
  /** How many reference items of each kind the request carries (`role: reference_image`, `video_url`, `audio_url`). */
  references: MediaReferences;
  /** The images submitted, in order (what a test compares a first frame by; see {@link SubmittedImage}). */
  images?: SubmittedImage[];
}

/** One submitted image: its role, and its bytes' sha256 (a data URL) or its URL (fetched by the provider). */
export interface SubmittedImage {
  role?: string;
  sha256?: string;
  url?: string;
}

/** How a test recognises a submitted image without the simulator keeping its bytes. */
function submittedImage(ref: string, role: string | undefined): SubmittedImage {
  const data = /^data:image\/[a-z0-9.+-]+;base64,/i.exec(ref);
  const image: SubmittedImage = data
    ? {
        sha256: createHash('sha256')
          .update(Buffer.from(ref.slice(data[0].length), 'base64'))
          .digest('hex'),
      }
    : { url: ref.slice(0, 200) };
  if (role !== undefined) image.role = role;
  return image;
}

/** Reference items per kind: images (up to 9), videos and audio clips (up to 3 each, Seedance 2.0). */
export interface MediaReferences {
  images: number;
  videos: number;
  audios: number;
}

/** Either the normalized request or a message for the 400 answer. */
export type RequestResult = { ok: true; value: VideoRequest } | { ok: false; message: string };

/** The predictions family's two modes, taken from the URL. */
export type PredictionMode = 'image-to-video' | 'text-to-video';

const IMAGE_ROLES = ['first_frame', 'last_frame', 'reference_image'] as const;
const MAX_REFERENCE_IMAGES = 9;
// notes.md, "Limits and tiers": Seedance 2.0 accepts up to 3 reference videos and up to 3 audio
// clips besides its images; audio cannot be the only reference. The roles are the provider's
// (`reference_video`, `reference_audio`); an item without a role is taken as that reference.
const MAX_REFERENCE_VIDEOS = 3;
const MAX_REFERENCE_AUDIOS = 3;
/** Models that take video and audio references (notes.md, "Limits and tiers": Seedance 2.0 and 2.0 fast). */
const MEDIA_REFERENCE_MODELS = /seedance-2-0/i;
/** Models with a draft mode (notes.md, "Limits and tiers": draft renders are a Seedance 1.5 pro feature). */
export const DRAFT_MODELS = /seedance-1-5-pro/i;
/** Drafts render at this resolution only (notes.md, "Limits and tiers"). */
export const DRAFT_RESOLUTION = '480p';

class InvalidRequest extends Error {}

/** Validates a `POST /api/v3/contents/generations/tasks` body. */
export function parseTasksRequest(body: unknown): RequestResult {
  return guard(() => {
    const b = record(body, 'request body');
    const model = requiredString(b, 'model');
    const content = b['content'];
    if (!Array.isArray(content) || content.length === 0) {
      throw new InvalidRequest('content must be a non-empty array');
    }
    const texts: string[] = [];
    const roles: string[] = [];
    const references: MediaReferences = { images: 0, videos: 0, audios: 0 };
    const draftIds: string[] = [];
    const submitted: SubmittedImage[] = [];
    let images = 0;
    content.forEach((raw, i) => {
      const item = record(raw, `content[${i}]`);
      const type = item['type'];
      if (type === 'text') {
        texts.push(requiredString(item, 'text', `content[${i}].text`));
      } else if (type === 'image_url') {
        images += 1;
        const image = record(item['image_url'], `content[${i}].image_url`);
        const url = requiredString(image, 'url', `content[${i}].image_url.url`);
        checkImageRef(url, `content[${i}].image_url.url`);
        const role = optionalString(item, 'role', `content[${i}].role`);
        submitted.push(submittedImage(url, role));
        if (role !== undefined && !(IMAGE_ROLES as readonly string[]).includes(role)) {
          throw new InvalidRequest(`content[${i}].role must be one of ${IMAGE_ROLES.join(', ')}`);
        }
        // Images without a role are left to the provider's defaults and not checked here.
        if (role !== undefined) roles.push(role);
        if (role === 'reference_image') references.images += 1;
      } else if (type === 'video_url' || type === 'audio_url') {
        const kind = type === 'video_url' ? 'video' : 'audio';
        const media = record(item[type], `content[${i}].${type}`);
        checkMediaRef(requiredString(media, 'url', `content[${i}].${type}.url`), kind, `content[${i}].${type}.url`);
        const role = optionalString(item, 'role', `content[${i}].role`);
        if (role !== undefined && role !== `reference_${kind}`) {
          throw new InvalidRequest(`content[${i}].role must be reference_${kind}`);
        }
        if (kind === 'video') references.videos += 1;
        else references.audios += 1;
      } else if (type === 'draft_task') {
        // Ark's way to render a final from a draft: a content item `{type: draft_task, draft_task: {id}}`.
        const draft = record(item['draft_task'], `content[${i}].draft_task`);
        draftIds.push(requiredString(draft, 'id', `content[${i}].draft_task.id`));
      } else {
        throw new InvalidRequest(`content[${i}].type must be text, image_url, video_url, audio_url or draft_task`);
      }
    });
    checkImageScenario(roles);
    checkMediaReferences(model, roles, references);
    const draft = optionalBoolean(b, 'draft') ?? false;
    const draftTaskId = draftReference(b, draftIds, draft, images + references.videos + references.audios);
    const resolution = optionalString(b, 'resolution');
    if (draft) checkDraft(model, resolution);

    const duration = optionalInteger(b, 'duration');
    const frames = optionalInteger(b, 'frames');
    for (const flag of ['camerafixed', 'camera_fixed', 'watermark', 'return_last_frame']) {
      optionalBoolean(b, flag);
    }
    const serviceTier = optionalString(b, 'service_tier');
    const callbackUrl = optionalString(b, 'callback_url');
    if (callbackUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(callbackUrl))
      throw new InvalidRequest('callback_url must be an http(s) URL');
    const request: VideoRequest = {
      model,
      prompt: texts.join('\n'),
      resolution: resolution ?? (draft ? DRAFT_RESOLUTION : '720p'),
      ratio: optionalString(b, 'ratio') ?? '16:9',
      framespersecond: optionalInteger(b, 'framespersecond') ?? 24,
      returnLastFrame: optionalBoolean(b, 'return_last_frame') ?? false,
      draft,
      references,
    };
    const generateAudio = optionalBoolean(b, 'generate_audio');
    if (generateAudio !== undefined) request.generateAudio = generateAudio;
    if (draftTaskId !== undefined) request.draftTaskId = draftTaskId;
    if (submitted.length) request.images = submitted;
    // The provider answers with `frames` when frames were requested, else `duration`.
    if (frames !== undefined) request.frames = frames;
    else request.duration = duration ?? 5;
    const seed = optionalInteger(b, 'seed');
    if (seed !== undefined) request.seed = seed;
    const expiresAfter = optionalInteger(b, 'execution_expires_after');
    if (expiresAfter !== undefined) request.executionExpiresAfter = expiresAfter;
    if (callbackUrl !== undefined) request.callbackUrl = callbackUrl;
    if (serviceTier !== undefined) request.serviceTier = serviceTier;
    return request;
  });
}

/** Validates a `POST /api/v3/bytedance/{model}/{mode}` body. */
export function parsePredictionRequest(body: unknown, model: string, mode: PredictionMode): RequestResult {
  return guard(() => {
    const b = record(body, 'request body');
    const prompt = requiredString(b, 'prompt');
    const image = optionalString(b, 'image');
    if (image !== undefined) checkImageRef(image, 'image');
    else if (mode === 'image-to-video') throw new InvalidRequest('image is required for image-to-video');
    optionalBoolean(b, 'camera_fixed');
    const request: VideoRequest = {
      model,
      prompt,
      resolution: optionalString(b, 'resolution') ?? '720p',
      ratio: optionalString(b, 'aspect_ratio') ?? '16:9',
      duration: predictionDuration(b['duration']),
      framespersecond: 24,
      returnLastFrame: false,
      // The gateway documents no draft mode and no media references.
      draft: false,
      references: { images: 0, videos: 0, audios: 0 },
    };
    const generateAudio = optionalBoolean(b, 'generate_audio');
    if (generateAudio !== undefined) request.generateAudio = generateAudio;
    const seed = optionalInteger(b, 'seed');
    if (seed !== undefined) request.seed = seed;
    if (image !== undefined) request.images = [submittedImage(image, 'first_frame')];
    return request;
  });
}

/** The gateway documents `duration` as a string ("5") but clients send numbers too. */
function predictionDuration(value: unknown): number {
  if (value === undefined) return 5;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n)) throw new InvalidRequest('duration must be an integer');
  return n;
}

/** First frame, first + last frame and reference images are mutually exclusive scenarios. */
function checkImageScenario(roles: string[]): void {
  const count = (role: string): number => roles.filter((r) => r === role).length;
  const references = count('reference_image');
  if (references > 0 && references !== roles.length) {
    throw new InvalidRequest('reference_image cannot be mixed with first_frame/last_frame');
  }
  if (references > MAX_REFERENCE_IMAGES) throw new InvalidRequest(`at most ${MAX_REFERENCE_IMAGES} reference images`);
  if (count('first_frame') > 1 || count('last_frame') > 1) {
    throw new InvalidRequest('at most one first_frame and one last_frame image');
  }
  if (count('last_frame') === 1 && count('first_frame') === 0) {
    throw new InvalidRequest('a last_frame image needs a first_frame image');
  }
}

/**
 * Video and audio references (notes.md, "Limits and tiers"): Seedance 2.0 only, up to 3 of each,
 * audio never the only reference. They belong to the reference scenario, which excludes first and
 * last frames (notes.md, "Inputs": mutually exclusive scenarios).
 */
function checkMediaReferences(model: string, roles: string[], refs: MediaReferences): void {
  if (refs.videos + refs.audios === 0) return;
  if (!MEDIA_REFERENCE_MODELS.test(model)) throw new InvalidRequest('video_url and audio_url references are for Seedance 2.0 only');
  if (refs.videos > MAX_REFERENCE_VIDEOS) throw new InvalidRequest(`at most ${MAX_REFERENCE_VIDEOS} reference videos`);
  if (refs.audios > MAX_REFERENCE_AUDIOS) throw new InvalidRequest(`at most ${MAX_REFERENCE_AUDIOS} reference audio clips`);
  if (roles.includes('first_frame') || roles.includes('last_frame')) {
    throw new InvalidRequest('reference videos and audio cannot be mixed with first_frame/last_frame');
  }
  if (refs.audios > 0 && refs.images + refs.videos === 0) {
    throw new InvalidRequest('audio cannot be the only reference: add a reference image or video');
  }
}

/**
 * The draft a final renders from. Ark sends it as a content item `{type: draft_task, draft_task:
 * {id}}`; notes.md ("Limits and tiers") and gateways name it `draft_task_id`, so a top-level
 * `draft_task_id` is accepted too. A final reuses the draft's media (the provider's draft guides:
 * "the final reuses the draft's prompt, media and settings"), so it carries none of its own.
 */
function draftReference(b: Record<string, unknown>, contentIds: string[], draft: boolean, mediaItems: number): string | undefined {
  const topLevel = optionalString(b, 'draft_task_id');
  const ids = [...new Set([...contentIds, ...(topLevel !== undefined ? [topLevel] : [])])];
  if (ids.length === 0) return undefined;
  if (ids.length > 1) throw new InvalidRequest('a final references exactly one draft task');
  if (draft) throw new InvalidRequest('a draft cannot itself reference a draft task');
  if (mediaItems > 0) throw new InvalidRequest("a final from a draft reuses the draft's images, videos and audio: send none");
  return ids[0];
}

/** `draft: true` is a Seedance 1.5 pro feature and renders at 480p only (notes.md, "Limits and tiers"). */
function checkDraft(model: string, resolution: string | undefined): void {
  if (!DRAFT_MODELS.test(model)) throw new InvalidRequest('draft mode is only supported by Seedance 1.5 pro');
  if (resolution !== undefined && resolution !== DRAFT_RESOLUTION) {
    throw new InvalidRequest(`a draft renders at ${DRAFT_RESOLUTION} only`);
  }
}

/**
 * Video and audio: an http(s) URL or a base64 data URL of that kind. The notes give no size or
 * length limit for them; the 64 MB request limit still applies (server.ts).
 */
function checkMediaRef(ref: string, kind: 'video' | 'audio', field: string): void {
  if (new RegExp(`^data:${kind}/[a-z0-9.+-]+;base64,`, 'i').test(ref)) return;
  if (isHttpUrl(ref)) return;
  throw new InvalidRequest(`${field} must be an http(s) URL or a data:${kind}/<fmt>;base64, URL`);
}

function isHttpUrl(ref: string): boolean {
  if (!/^https?:\/\//i.test(ref)) return false;
  try {
    new URL(ref);
    return true;
  } catch {
    return false;
  }
}

function checkImageRef(ref: string, field: string): void {
  if (/^data:image\/[a-z0-9.+-]+;base64,/i.test(ref)) return;
  if (/^https?:\/\//i.test(ref)) {
    try {
      new URL(ref);
      return;
    } catch {
      // falls through to the error below
    }
  }
  throw new InvalidRequest(`${field} must be an http(s) URL or a data:image/<fmt>;base64, URL`);
}

function guard(parse: () => VideoRequest): RequestResult {
  try {
    return { ok: true, value: parse() };
  } catch (err) {
    if (err instanceof InvalidRequest) return { ok: false, message: err.message };
    throw err;
  }
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new InvalidRequest(`${what} must be an object`);
  return value;
}

function requiredString(b: Record<string, unknown>, key: string, label = key): string {
  const value = b[key];
  if (typeof value !== 'string' || value.trim() === '') throw new InvalidRequest(`${label} must be a non-empty string`);
  return value;
}

function optionalString(b: Record<string, unknown>, key: string, label = key): string | undefined {
  const value = b[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new InvalidRequest(`${label} must be a string`);
  return value;
}

function optionalInteger(b: Record<string, unknown>, key: string): number | undefined {
  const value = b[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) throw new InvalidRequest(`${key} must be an integer`);
  return value;
}

function optionalBoolean(b: Record<string, unknown>, key: string): boolean | undefined {
  const value = b[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw new InvalidRequest(`${key} must be a boolean`);
  return value;
}
