/**
 * Light validation of submit bodies, turning both families' requests into one shape.
 * "Light" means: the checks a client bug would trip (missing model, wrong types, bad image
 * references, mixed image roles), not the provider's full rule set.
 */
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
}

/** Either the normalized request or a message for the 400 answer. */
export type RequestResult = { ok: true; value: VideoRequest } | { ok: false; message: string };

/** The predictions family's two modes, taken from the URL. */
export type PredictionMode = 'image-to-video' | 'text-to-video';

const IMAGE_ROLES = ['first_frame', 'last_frame', 'reference_image'] as const;
const MAX_REFERENCE_IMAGES = 9;

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
    content.forEach((raw, i) => {
      const item = record(raw, `content[${i}]`);
      if (item['type'] === 'text') {
        texts.push(requiredString(item, 'text', `content[${i}].text`));
      } else if (item['type'] === 'image_url') {
        const image = record(item['image_url'], `content[${i}].image_url`);
        checkImageRef(requiredString(image, 'url', `content[${i}].image_url.url`), `content[${i}].image_url.url`);
        const role = optionalString(item, 'role', `content[${i}].role`);
        if (role !== undefined && !(IMAGE_ROLES as readonly string[]).includes(role)) {
          throw new InvalidRequest(`content[${i}].role must be one of ${IMAGE_ROLES.join(', ')}`);
        }
        // Images without a role are left to the provider's defaults and not checked here.
        if (role !== undefined) roles.push(role);
      } else {
        throw new InvalidRequest(`content[${i}].type must be text or image_url`);
      }
    });
    checkImageScenario(roles);

    const duration = optionalInteger(b, 'duration');
    const frames = optionalInteger(b, 'frames');
    for (const flag of ['generate_audio', 'camerafixed', 'camera_fixed', 'watermark', 'return_last_frame']) {
      optionalBoolean(b, flag);
    }
    const serviceTier = optionalString(b, 'service_tier');
    const callbackUrl = optionalString(b, 'callback_url');
    if (callbackUrl !== undefined && !/^https?:\/\/[^\s]+$/.test(callbackUrl))
      throw new InvalidRequest('callback_url must be an http(s) URL');
    const request: VideoRequest = {
      model,
      prompt: texts.join('\n'),
      resolution: optionalString(b, 'resolution') ?? '720p',
      ratio: optionalString(b, 'ratio') ?? '16:9',
      framespersecond: optionalInteger(b, 'framespersecond') ?? 24,
      returnLastFrame: optionalBoolean(b, 'return_last_frame') ?? false,
    };
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
    optionalBoolean(b, 'generate_audio');
    optionalBoolean(b, 'camera_fixed');
    const request: VideoRequest = {
      model,
      prompt,
      resolution: optionalString(b, 'resolution') ?? '720p',
      ratio: optionalString(b, 'aspect_ratio') ?? '16:9',
      duration: predictionDuration(b['duration']),
      framespersecond: 24,
      returnLastFrame: false,
    };
    const seed = optionalInteger(b, 'seed');
    if (seed !== undefined) request.seed = seed;
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
