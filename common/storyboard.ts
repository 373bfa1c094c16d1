/**
 * Storyboard files (YAML or JSON) and what the renderStoryboard workflow works with.
 * The file keys are a contract documented in README.md. No I/O: workflows import this.
 */
import { z } from 'zod';
import { sharedSchema } from './shared-schema';
import { BudgetSchema, BudgetStateSchema, RunBudgetSchema, type Budget, type BudgetView } from './budget';
import { AdmissionInputSchema, AdmissionKeySchema, PrioritySchema } from './admission';
import { CONTENT_POLICY_STAGES, type ContentPolicyStage } from './content-policy';
import type { FailureTypeName } from './errors';
import { PollScheduleSchema } from './poll-schedule';
import type { Usage } from './render';
import {
  IMAGE_ROLES,
  MAX_REFERENCE_AUDIOS,
  MAX_REFERENCE_VIDEOS,
  ShotFieldsSchema,
  ShotSchema,
  TASKS_ONLY_FIELDS,
  inferApi,
  type ShotInput,
} from './shot';
import type { MediaKind } from './media-header';
import { MANIFEST_STATUSES, type ManifestStatus, type ShotState } from './states';
import { continuityProblems, dependentCounts, type StoredFrame } from './continuity';
import { MAX_DRAFT_SHOTS, STORYBOARD_MODES, type DraftRecord, type ReviewView, type StoryboardMode } from './review';

export { SHOT_STATES, MANIFEST_STATUSES, type ShotState, type ManifestStatus } from './states';

/** Ids end up in workflow ids and storage keys: keep them boring. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const safeId = (what: string) => z.string().regex(SAFE_ID, `${what} must be 1-64 letters, digits, _ or -, starting with a letter or digit`);

/** A storyboard holds at most this many shots. */
export const MAX_SHOTS = 100_000;
/** A shot (or `defaults`) names at most this many images. */
export const MAX_IMAGES_PER_SHOT = 9;
/** An image URL in a storyboard is at most this long. */
export const MAX_IMAGE_URL_LENGTH = 8192;
/** Validation lists at most this many problems (and says how many more there are). */
export const MAX_REPORTED_PROBLEMS = 1000;

/**
 * The scheme of a URL, in lower case (schemes are case-insensitive, RFC 3986), or `undefined`
 * for something that is not a URL (a local path, `C:\x`, `name:with-colon.png`): a scheme
 * followed by `//`, or `data:`.
 */
export function urlScheme(s: string): string | undefined {
  const m = /^([A-Za-z][A-Za-z0-9+.-]{0,31}):/.exec(s);
  if (!m) return undefined;
  const scheme = (m[1] as string).toLowerCase();
  return scheme === 'data' || s.startsWith('//', m[0].length) ? scheme : undefined;
}

/** Shortens text for a message (a 2 MB value must not become a 2 MB message). */
export function clip(text: string, max = 120): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

/**
 * An http(s) URL as the provider will receive it: the scheme in lower case (`HTTPS://x` and
 * `https://x` are the same URL), a host, no spaces or control characters, a bounded length.
 */
export function normalizeHttpUrl(url: string): { ok: true; url: string } | { ok: false; problem: string } {
  const scheme = urlScheme(url);
  if (scheme !== 'http' && scheme !== 'https') {
    return { ok: false, problem: `url must be http(s)://…, got ${JSON.stringify(clip(url, 60))}; use path for local files` };
  }
  if (url.length > MAX_IMAGE_URL_LENGTH)
    return { ok: false, problem: `url is ${url.length} characters, over the ${MAX_IMAGE_URL_LENGTH}-character limit` };
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f]/.test(url)) return { ok: false, problem: 'url contains spaces or control characters (percent-encode them)' };
  const rest = url.slice(scheme.length + 3);
  if (!/^[^/?#@]*@?[^/?#@:]+(:\d{1,5})?([/?#]|$)/.test(rest))
    return { ok: false, problem: `url ${JSON.stringify(clip(url, 60))} has no host` };
  return { ok: true, url: `${scheme}://${rest}` };
}

/** An image as written in a file: a local path (relative to the file) or a URL. */
export const FileImageSchema = sharedSchema('storyboard.FileImageSchema', () =>
  z
    .object({
      path: z.string().min(1).max(4096).optional(),
      url: z.string().min(1).optional(),
      role: z.enum(IMAGE_ROLES).default('first_frame'),
    })
    .strict()
    .superRefine((img, ctx) => locationIssues(img, ctx)),
);
export type FileImage = z.infer<typeof FileImageSchema>;

/** A reference video or audio clip as written in a file: a local path (relative to the file) or a URL, as images. */
export const FileMediaSchema = sharedSchema('storyboard.FileMediaSchema', () =>
  z
    .object({
      path: z.string().min(1).max(4096).optional(),
      url: z.string().min(1).optional(),
    })
    .strict()
    .superRefine((item, ctx) => locationIssues(item, ctx)),
);
export type FileMedia = z.infer<typeof FileMediaSchema>;

/** Exactly one of path and url, each well formed: the rule images, videos and audio share. */
function locationIssues(item: { path?: string | undefined; url?: string | undefined }, ctx: z.RefinementCtx): void {
  if ((item.path === undefined) === (item.url === undefined)) {
    ctx.addIssue({ code: 'custom', path: ['path'], message: 'give exactly one of path or url' });
  }
  if (item.url !== undefined) {
    const checked = normalizeHttpUrl(item.url);
    if (!checked.ok) ctx.addIssue({ code: 'custom', path: ['url'], message: checked.problem });
  }
  if (item.path !== undefined && urlScheme(item.path) !== undefined) {
    ctx.addIssue({ code: 'custom', path: ['path'], message: 'path is a local file relative to the storyboard; put URLs in url' });
  }
  if (item.path !== undefined && item.path.includes('\u0000')) {
    ctx.addIssue({ code: 'custom', path: ['path'], message: 'path contains a NUL character' });
  }
}

/** The keys of a shot's reference videos and audio clips, and what they hold. */
export const MEDIA_KEYS: Record<MediaKind, 'videos' | 'audios'> = { video: 'videos', audio: 'audios' };
const MEDIA_LIMITS = { videos: MAX_REFERENCE_VIDEOS, audios: MAX_REFERENCE_AUDIOS } as const;

const FileShotFields = sharedSchema('storyboard.FileShotFields', () =>
  ShotFieldsSchema.omit({ images: true, videos: true, audios: true, draft: true, draft_task_id: true }).extend({
    images: z.array(FileImageSchema).max(MAX_IMAGES_PER_SHOT).optional(),
    videos: z.array(FileMediaSchema).max(MAX_REFERENCE_VIDEOS, `at most ${MAX_REFERENCE_VIDEOS} reference videos`).optional(),
    audios: z.array(FileMediaSchema).max(MAX_REFERENCE_AUDIOS, `at most ${MAX_REFERENCE_AUDIOS} reference audio clips`).optional(),
  }),
);

/** Shot fields as `defaults` may give them: everything optional, nothing shot-specific. */
const DefaultsSchema = sharedSchema('storyboard.DefaultsSchema', () => FileShotFields.partial().strict());

export const FileShotSchema = sharedSchema('storyboard.FileShotSchema', () =>
  FileShotFields.partial({ prompt: true })
    .extend({
      id: safeId('shot id'),
      /** Start from the last frame of this earlier shot (common/continuity.ts). */
      continue_from: safeId('continue_from (a shot id)').optional(),
    })
    .strict(),
);

const TOP_LEVEL_KEYS = ['id', 'defaults', 'shots', 'budget', 'priority', 'team', 'on_audio_policy', 'mode'];

/**
 * What a storyboard does with a shot blocked only for its generated audio (a ContentPolicyViolation
 * at stage `output_audio`): `fail` (the default) records it failed; `retry_silent` renders it
 * once more with `generate_audio: false` (docs/provider/notes.md, "Failures seen in the field":
 * rendering again without sound may pass). That is a second paid task: it reserves against the
 * budget like any shot. Never for input or video moderation, never twice.
 */
export const AUDIO_POLICIES = ['fail', 'retry_silent'] as const;
export type AudioPolicy = (typeof AUDIO_POLICIES)[number];
export const AudioPolicySchema = sharedSchema('storyboard.AudioPolicySchema', () => z.enum(AUDIO_POLICIES));

/** A shot after defaults are applied; images still as written (paths not yet staged). */
export type FileShot = z.infer<typeof FileShotSchema> & { prompt: string };

export interface ParsedStoryboard {
  id: string;
  shots: FileShot[];
  /** The file's `budget`, when it gives one. */
  budget?: Budget;
  /** Admission priority 1-5 (5 first) for every shot; `render --priority` overrides it. */
  priority?: number;
  /** Admission fairness key: storyboards of one team share leases round-robin with other teams; `render --team` overrides it. */
  team?: string;
  /** The file's `on_audio_policy`, when it gives one (see {@link AUDIO_POLICIES}). */
  onAudioPolicy?: AudioPolicy;
  /** `draft`: drafts first, reviewed, then finals of the approved shots (common/review.ts); `render --draft` sets it too. */
  mode?: StoryboardMode;
}

export interface StoryboardProblem {
  /** `shots[3].images[1].role`; empty only for a problem with the file as a whole. */
  path: string;
  message: string;
}

/** `['shots', 3, 'images', 1, 'role']` → `shots[3].images[1].role`; odd keys quoted: `shots[0]["a b"]`. */
export function problemPath(segments: readonly PropertyKey[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else {
      const key = String(s);
      if (/^[A-Za-z_][A-Za-z0-9_-]{0,63}$/.test(key)) out += out ? `.${key}` : key;
      else out += `[${JSON.stringify(clip(key, 60))}]`;
    }
  }
  return out;
}

/** Collects problems, keeping the first MAX_REPORTED_PROBLEMS and counting the rest. */
export class ProblemList {
  readonly items: StoryboardProblem[] = [];
  private omitted = 0;
  private firstOmitted = '';
  constructor(private readonly max = MAX_REPORTED_PROBLEMS) {}
  add(path: string, message: string): void {
    if (this.items.length < this.max) this.items.push({ path, message });
    else if (this.omitted++ === 0) this.firstOmitted = path;
  }
  get count(): number {
    return this.items.length + this.omitted;
  }
  /** The problems, with one closing line when some were not listed. */
  list(): StoryboardProblem[] {
    if (!this.omitted) return this.items;
    return [
      ...this.items,
      { path: this.firstOmitted, message: `${this.omitted} more problems from here on are not listed (at most ${this.max} are)` },
    ];
  }
}

/** zod issues as problems under `prefix`; an unknown key is its own problem at its own path. */
function addIssues(problems: ProblemList, error: z.ZodError, prefix: readonly PropertyKey[], known: string): void {
  for (const issue of error.issues) {
    const at = [...prefix, ...issue.path];
    if (issue.code === 'unrecognized_keys') {
      for (const key of issue.keys) problems.add(problemPath([...at, key]), `unknown key ${JSON.stringify(clip(key, 60))} (${known})`);
    } else if (issue.code === 'invalid_type' && / received undefined$/.test(issue.message)) {
      problems.add(problemPath(at), `${String(at[at.length - 1] ?? 'a value')} is required`);
    } else {
      problems.add(problemPath(at), issue.message);
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/** What a value is, for a message: `a list`, `a number`, `nothing`. */
export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (isPlainObject(v)) return 'a mapping';
  if (typeof v === 'object') return `a ${(v as object).constructor?.name ?? 'non-plain object'}`;
  return `a ${typeof v}`;
}

const SHOT_KEYS_HINT = 'a shot has id, prompt, images, videos, audios and the fields in README "Storyboard files"';
const DEFAULTS_KEYS_HINT = 'defaults take the shot fields in README "Storyboard files", not id';
const IMAGE_KEYS_HINT = 'an image has path or url, and role';
const MEDIA_KEYS_HINT = 'a reference video or audio clip has path or url';

/**
 * Validates a parsed file against every rule at once; returns all problems with their paths.
 * Nothing is submitted unless this returns no problems.
 */
export function validateStoryboard(doc: unknown): { storyboard?: ParsedStoryboard; problems: StoryboardProblem[] } {
  if (!isPlainObject(doc)) {
    return {
      problems: [
        { path: '', message: `a storyboard is a mapping with id, shots and optionally defaults; this file holds ${describeValue(doc)}` },
      ],
    };
  }
  const problems = new ProblemList();
  for (const key of Object.keys(doc)) {
    if (!TOP_LEVEL_KEYS.includes(key))
      problems.add(problemPath([key]), `unknown key ${JSON.stringify(clip(key, 60))} (a storyboard has id, defaults, shots and budget)`);
  }

  let budget: Budget | undefined;
  if (doc.budget !== undefined && doc.budget !== null) {
    const parsed = BudgetSchema.safeParse(doc.budget);
    if (parsed.success) budget = parsed.data;
    else problems.add('budget', 'budget is { tokens: <positive integer> } or { amount: <positive number>, currency: <e.g. USD> }');
  }
  let priority: number | undefined;
  if (doc.priority !== undefined && doc.priority !== null) {
    const parsed = PrioritySchema.safeParse(doc.priority);
    if (parsed.success) priority = parsed.data;
    else problems.add('priority', `priority must be a whole number from 1 to 5 (5 is served first), got ${describeValue(doc.priority)}`);
  }
  let team: string | undefined;
  if (doc.team !== undefined && doc.team !== null) {
    const parsed = AdmissionKeySchema.safeParse(doc.team);
    if (parsed.success) team = parsed.data;
    else
      problems.add('team', `team must be 1-64 letters, digits, . _ : - (starting with a letter or digit), got ${describeValue(doc.team)}`);
  }

  let onAudioPolicy: AudioPolicy | undefined;
  if (doc.on_audio_policy !== undefined && doc.on_audio_policy !== null) {
    const parsed = AudioPolicySchema.safeParse(doc.on_audio_policy);
    if (parsed.success) onAudioPolicy = parsed.data;
    else
      problems.add(
        'on_audio_policy',
        `on_audio_policy must be retry_silent (a shot blocked only for its generated audio is rendered once more without sound) or fail (the default), got ${typeof doc.on_audio_policy === 'string' ? JSON.stringify(clip(doc.on_audio_policy, 60)) : describeValue(doc.on_audio_policy)}`,
      );
  }
  let mode: StoryboardMode | undefined;
  if (doc.mode !== undefined && doc.mode !== null) {
    if ((STORYBOARD_MODES as readonly unknown[]).includes(doc.mode)) mode = doc.mode as StoryboardMode;
    else problems.add('mode', `mode is ${STORYBOARD_MODES.join(' or ')}, got ${describeValue(doc.mode)}`);
  }
  if (mode === 'draft' && Array.isArray(doc.shots) && doc.shots.length > MAX_DRAFT_SHOTS)
    problems.add(
      'mode',
      `draft mode takes at most ${MAX_DRAFT_SHOTS} shots (its review lives in one run), this storyboard has ${doc.shots.length}: split it`,
    );

  let id: string | undefined;
  if (doc.id === undefined || doc.id === null) problems.add('id', 'id is required: the storyboard id (1-64 letters, digits, _ or -)');
  else {
    const parsed = safeId('storyboard id').safeParse(doc.id);
    if (parsed.success) id = parsed.data;
    else addIssues(problems, parsed.error, ['id'], '');
  }

  let defaults: Record<string, unknown> = {};
  let defaultsValid = true;
  if (doc.defaults !== undefined && doc.defaults !== null) {
    const raw = doc.defaults;
    if (!isPlainObject(raw)) {
      problems.add('defaults', `defaults must be a mapping of shot fields, got ${describeValue(raw)}`);
      defaultsValid = false;
    } else if (Array.isArray(raw.images) && raw.images.length > MAX_IMAGES_PER_SHOT) {
      problems.add('defaults.images', `at most ${MAX_IMAGES_PER_SHOT} images, got ${raw.images.length}`);
      defaultsValid = false;
    } else {
      const parsed = DefaultsSchema.safeParse(raw);
      if (parsed.success) defaults = parsed.data;
      else {
        addIssues(problems, parsed.error, ['defaults'], DEFAULTS_KEYS_HINT);
        // The shots are still checked, over the defaults that are valid.
        const bad = new Set(parsed.error.issues.flatMap((i) => (i.code === 'unrecognized_keys' ? i.keys : [String(i.path[0])])));
        const rest = DefaultsSchema.safeParse(Object.fromEntries(Object.entries(raw).filter(([k]) => !bad.has(k))));
        if (rest.success) defaults = rest.data;
        else defaultsValid = false;
      }
      if (isGiven(raw.duration) && isGiven(raw.frames)) {
        problems.add('defaults.frames', 'give duration or frames in defaults, not both (a shot may still give the other)');
        const { duration: _d, frames: _f, ...rest } = defaults;
        defaults = rest;
      }
    }
  }

  const shots: FileShot[] = [];
  const rawShots = doc.shots;
  if (rawShots === undefined || rawShots === null) problems.add('shots', 'shots is required: a list of at least one shot');
  else if (!Array.isArray(rawShots)) problems.add('shots', `shots must be a list of shots, got ${describeValue(rawShots)}`);
  else if (rawShots.length === 0) problems.add('shots', 'a storyboard needs at least one shot');
  else if (rawShots.length > MAX_SHOTS) problems.add('shots', `at most ${MAX_SHOTS} shots, got ${rawShots.length}`);
  else if (defaultsValid) {
    const seen = new Map<string, number>();
    rawShots.forEach((raw: unknown, i) => {
      const shot = validateShot(raw, i, defaults, problems);
      // Duplicates are found even in shots that fail other rules.
      const rawId = isPlainObject(raw) ? raw.id : undefined;
      if (typeof rawId === 'string' && SAFE_ID.test(rawId)) {
        const first = seen.get(rawId);
        if (first !== undefined) problems.add(`shots[${i}].id`, `duplicate shot id ${rawId} (also shots[${first}])`);
        else seen.set(rawId, i);
      }
      if (shot) shots.push(shot);
    });
    // The graph is judged once every shot is valid: its paths name shots by their index.
    if (shots.length === rawShots.length)
      for (const p of continuityProblems(shots)) problems.add(problemPath(['shots', p.index, ...p.path]), p.message);
  }
  return problems.count || id === undefined
    ? { problems: problems.list() }
    : {
        storyboard: {
          id,
          shots,
          ...(budget ? { budget } : {}),
          ...(priority !== undefined ? { priority } : {}),
          ...(team ? { team } : {}),
          ...(onAudioPolicy ? { onAudioPolicy } : {}),
          ...(mode ? { mode } : {}),
        },
        problems: [],
      };
}

function validateShot(raw: unknown, i: number, defaults: Record<string, unknown>, problems: ProblemList): FileShot | undefined {
  const at = `shots[${i}]`;
  if (!isPlainObject(raw)) {
    problems.add(at, `a shot is a mapping with id and prompt, got ${describeValue(raw)}`);
    return undefined;
  }
  if (Array.isArray(raw.images) && raw.images.length > MAX_IMAGES_PER_SHOT) {
    problems.add(`${at}.images`, `at most ${MAX_IMAGES_PER_SHOT} images, got ${raw.images.length}`);
    return undefined;
  }
  // A long list is one problem, not one per item (as images).
  for (const [key, max] of Object.entries(MEDIA_LIMITS)) {
    const list = raw[key];
    const what = key === 'videos' ? 'reference videos' : 'reference audio clips';
    if (list !== undefined && list !== null && !Array.isArray(list)) {
      problems.add(`${at}.${key}`, `a list of ${what}, each { path } or { url }, got ${describeValue(list)}`);
      return undefined;
    }
    if (Array.isArray(list) && list.length > max) {
      problems.add(`${at}.${key}`, `at most ${max} ${what} (Seedance 2.0), got ${list.length}`);
      return undefined;
    }
  }
  const before = problems.count;
  const parsed = FileShotSchema.safeParse(applyDefaults(defaults, raw));
  if (!parsed.success) {
    addIssues(problems, parsed.error, [`shots`, i], SHOT_KEYS_HINT);
    fixImageHints(problems, before);
    return undefined;
  }
  const shot = parsed.data;
  if (shot.prompt === undefined) problems.add(`${at}.prompt`, 'prompt is required');
  // The seed rules, checked with placeholder URLs: image locations are checked by the caller.
  const input = toShotInput({ ...shot, prompt: shot.prompt ?? 'x' }, () => 'https://placeholder.invalid/i.png');
  // A continuing shot will start from its source's last frame: checked with it (after its own
  // images, so paths stay theirs). Its own first frame or reference images are the graph check's to report.
  const images = input.images ?? [];
  const media = (shot.videos?.length ?? 0) + (shot.audios?.length ?? 0);
  if (shot.continue_from !== undefined && media === 0 && images.every((img) => img.role === 'last_frame'))
    input.images = [...images, { url: 'https://placeholder.invalid/last-frame.png', role: 'first_frame' }];
  const check = ShotSchema.safeParse(input);
  if (!check.success) addIssues(problems, check.error, ['shots', i], SHOT_KEYS_HINT);
  return shot.prompt !== undefined && problems.count === before ? { ...shot, prompt: shot.prompt } : undefined;
}

/** Unknown keys inside an image get the image hint, not the shot's. */
function fixImageHints(problems: ProblemList, from: number): void {
  for (const p of problems.items.slice(from)) {
    if (/\.images\[\d+\]/.test(p.path) && p.message.endsWith(`(${SHOT_KEYS_HINT})`))
      p.message = p.message.replace(SHOT_KEYS_HINT, IMAGE_KEYS_HINT);
    if (/\.(videos|audios)\[\d+\]/.test(p.path) && p.message.endsWith(`(${SHOT_KEYS_HINT})`))
      p.message = p.message.replace(SHOT_KEYS_HINT, MEDIA_KEYS_HINT);
  }
}

const isGiven = (v: unknown) => v !== undefined && v !== null;

/**
 * A shot's fields over the defaults. `null` in a shot removes a default; tasks-only defaults
 * do not reach a predictions shot. `duration` and `frames` are one choice: a shot that gives
 * either one replaces both of the defaults' (a default `duration: 5` and a shot's
 * `frames: 121` is a 121-frame shot); only a shot giving both is told to pick one.
 */
export function applyDefaults(defaults: Record<string, unknown>, shot: Record<string, unknown>): Record<string, unknown> {
  const inherited: Record<string, unknown> = { ...defaults };
  if (isGiven(shot.duration) || isGiven(shot.frames)) {
    delete inherited.duration;
    delete inherited.frames;
  }
  const merged: Record<string, unknown> = { ...inherited, ...shot };
  // A model that is not a string (`{toString: null}` from JSON) is refused by the schema; it names no family here.
  const api = merged.api ?? inferApi(typeof merged.model === 'string' ? merged.model : undefined);
  if (api === 'predictions') {
    for (const field of TASKS_ONLY_FIELDS) if (!(field in shot)) delete merged[field];
  }
  for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
  return merged;
}

/**
 * A file shot as renderVideo's shot, with each image, video and audio clip replaced by the
 * reference `ref(item)` gives. Empty video and audio lists are left out, so a shot without them
 * is staged exactly as before they existed.
 */
export function toShotInput(shot: FileShot, ref: (item: FileImage | FileMedia, index: number) => string): ShotInput {
  const { id, images, videos, audios, continue_from, ...fields } = shot;
  void id;
  void continue_from;
  const media = (items: FileMedia[] | undefined) => (items?.length ? items.map((item, i) => ({ url: ref(item, i) })) : undefined);
  const v = media(videos);
  const a = media(audios);
  return {
    ...fields,
    images: (images ?? []).map((img, i) => ({ url: ref(img, i), role: img.role })),
    ...(v ? { videos: v } : {}),
    ...(a ? { audios: a } : {}),
  };
}

// ----- the workflow side -----

/** One shot as staged for the workflow: id plus a renderVideo shot with image references. */
export interface StagedShot {
  id: string;
  shot: ShotInput;
  /** The shot whose last frame this one starts from (the file's `continue_from`). */
  continueFrom?: string;
  /** How many later shots continue from this one (its shot asks for its last frame). */
  dependents?: number;
}

/**
 * The storyboard's shots as staged: each image, video and audio clip by its reference (`ref`), and the continuity
 * graph made explicit: a shot others continue from asks for its last frame and knows how many
 * wait for it; a continuing shot names the shot it continues from.
 */
export function toStagedShots(shots: readonly FileShot[], ref: (item: FileImage | FileMedia, index: number) => string): StagedShot[] {
  const dependents = dependentCounts(shots);
  return shots.map((shot) => {
    const count = dependents.get(shot.id);
    const input = toShotInput(shot, ref);
    return {
      id: shot.id,
      shot: count ? { ...input, return_last_frame: true } : input,
      ...(shot.continue_from !== undefined ? { continueFrom: shot.continue_from } : {}),
      ...(count ? { dependents: count } : {}),
    };
  });
}

/** Shots are staged in pages of this many, read one page at a time by the workflow. */
export const STAGE_PAGE_SIZE = 100;

export const ToleranceSchema = sharedSchema('storyboard.ToleranceSchema', () =>
  z
    .object({
      /** Stop launching new shots once more than this many have failed. */
      maxFailures: z.number().int().min(0).optional(),
      /** ...or once failures exceed this percentage of the shots finished so far (after 10 have finished). */
      maxFailurePercent: z.number().min(0).max(100).optional(),
    })
    .strict(),
);
export type Tolerance = z.infer<typeof ToleranceSchema>;

export const MAX_WINDOW = 500;

/** One line of the manifest, in storyboard order. */
export interface ManifestEntry {
  shotId: string;
  status: ManifestStatus;
  taskId?: string;
  key?: string;
  url?: string;
  sha256?: string;
  bytes?: number;
  seed?: number;
  usage?: Usage;
  /** Why a failed shot failed: a FailureType, or the name of a failure nobody typed (see FailureTypeName). */
  failureType?: FailureTypeName;
  failureMessage?: string;
  /** True when an earlier run had already stored this shot. */
  reused?: boolean;
  /** The tokens estimated before submit (a range where the model chooses ratio or duration); see common/estimate.ts. */
  estimatedTokens?: { min: number; max: number };
  /** The shot whose last frame this one started from (the file's `continue_from`). */
  continuedFrom?: string;
  /** This shot's last frame, stored beside its video, when later shots continue from it. */
  lastFrame?: StoredFrame;
  /** Why a last frame that was asked for is not there. */
  lastFrameMissing?: string;
  /** Why the shot ended as it did where the status alone does not say: why a continuing shot was not started, `not approved` for a draft never approved. */
  reason?: string;
  /** For a ContentPolicyViolation: what moderation blocked, from the provider's code (common/content-policy.ts). */
  failureStage?: ContentPolicyStage;
  /**
   * The shot was blocked for its generated audio and rendered a second time without sound
   * (`on_audio_policy: retry_silent`): a second paid task. The line's own task, usage and
   * outcome are the silent render's; this names the first one.
   */
  silentRetry?: SilentRetry;
  /** Draft mode: the approved draft this final was rendered from (its own task, billed apart). */
  draft?: DraftRecord;
  /** Draft mode: why this shot rendered its final without a draft (its model has no draft mode). */
  noDraftReason?: string;
}

/** The first render of a shot that was rendered again without sound (see ManifestEntry.silentRetry). */
export interface SilentRetry {
  /** The task blocked for its generated audio. */
  firstTaskId?: string;
  /** Its failure, as the provider worded it. */
  firstFailureMessage?: string;
}

const StoredFrameSchema = sharedSchema('storyboard.StoredFrameSchema', () =>
  z.object({ key: z.string(), url: z.string(), sha256: z.string(), bytes: z.number(), inputUrl: z.string() }),
);

/**
 * A manifest line's field types, as the workflow checks the lines it carries through
 * continue-as-new. (The report reads stored manifests, which others may write, with more checks.)
 */
export const ManifestEntrySchema = sharedSchema(
  'storyboard.ManifestEntrySchema',
  () =>
    z.object({
      shotId: z.string(),
      status: z.enum(MANIFEST_STATUSES),
      taskId: z.string().optional(),
      key: z.string().optional(),
      url: z.string().optional(),
      sha256: z.string().optional(),
      bytes: z.number().optional(),
      seed: z.number().optional(),
      usage: z.object({ completionTokens: z.number().optional(), totalTokens: z.number().optional() }).optional(),
      failureType: z.string().optional(),
      failureMessage: z.string().optional(),
      reused: z.boolean().optional(),
      estimatedTokens: z.object({ min: z.number(), max: z.number() }).optional(),
      continuedFrom: z.string().optional(),
      lastFrame: StoredFrameSchema.optional(),
      lastFrameMissing: z.string().optional(),
      reason: z.string().optional(),
      failureStage: z.enum(CONTENT_POLICY_STAGES).optional(),
      silentRetry: z.object({ firstTaskId: z.string().optional(), firstFailureMessage: z.string().optional() }).optional(),
      draft: z
        .object({
          taskId: z.string(),
          key: z.string(),
          url: z.string(),
          sha256: z.string(),
          bytes: z.number(),
          seed: z.number().optional(),
          usage: z.object({ completionTokens: z.number().optional(), totalTokens: z.number().optional() }).optional(),
          drafts: z.number(),
          prompt: z.string().optional(),
          expiresAt: z.number(),
        })
        .optional(),
      noDraftReason: z.string().optional(),
    }) satisfies z.ZodType<ManifestEntry>,
);

/** What a shot that others continue from ended with: its last frame, or why there is none. */
export const ContinuitySourceSchema = sharedSchema('storyboard.ContinuitySourceSchema', () =>
  z.object({
    /** Dependents not yet launched. */
    waiting: z.number().int().min(0),
    frame: StoredFrameSchema.optional(),
    /** Why there is no frame (the shot failed, was not started, or stored without one). */
    missing: z.string().optional(),
  }),
);
export type ContinuitySource = z.infer<typeof ContinuitySourceSchema>;

/**
 * What one run of renderStoryboard hands the next through continue-as-new: counts, not
 * shots. Checked with the rest of the input, so a carry this code cannot read fails the
 * storyboard as InvalidRequest instead of being trusted.
 */
export const StoryboardCarrySchema = sharedSchema('storyboard.StoryboardCarrySchema', () =>
  z.object({
    /** Every shot before this index is finished and its page's outcomes are recorded. */
    cursor: z.number().int().min(0),
    stored: z.number().int().min(0),
    failed: z.number().int().min(0),
    tokensUsed: z.number(),
    window: z.number().int().min(1).max(MAX_WINDOW),
    paused: z.boolean(),
    pauseReason: z.string().optional(),
    /** Runs so far, this one included once it has started. */
    runs: z.number().int().min(0),
    /** When the first run started (workflow clock, ms since the epoch). */
    startedAt: z.number(),
    /**
     * The page the cursor stands in, when a run ended mid-page: its finished shots' outcomes
     * (null for the rest), at most one page, so the next run can complete and record it.
     */
    partial: z.object({ page: z.number().int().min(0), entries: z.array(ManifestEntrySchema.nullable()).max(STAGE_PAGE_SIZE) }).optional(),
    /** Where the budget stands (only with a budget): limit, settled spend, reservations by shot. */
    budget: BudgetStateSchema.optional(),
    /**
     * Continuity: outcomes of shots that later shots, not yet launched, continue from (their
     * last frame, or why there is none), by shot id. Entries leave once every dependent has
     * launched, so it holds at most about MAX_CONTINUITY_REACH of them.
     */
    sources: z.record(z.string(), ContinuitySourceSchema).optional(),
  }),
);
export type StoryboardCarry = z.infer<typeof StoryboardCarrySchema>;

/** The staged shots' prefix as staging writes it: `<storyboardId>/.state/input-<hex digest>`. */
export const STAGED_PREFIX = /^([A-Za-z0-9][A-Za-z0-9_-]{0,63})\/\.state\/input-[0-9a-f]{8,64}$/;

/** An inline storyboard (`storyboard` in the input) holds at most this many shots; larger ones go in a file (`source`). */
export const MAX_INLINE_SHOTS = 100;
/** Longest `source` location accepted. */
export const MAX_SOURCE_LENGTH = 1024;

/** The three ways to hand renderStoryboard its shots, as the input's keys. */
const INPUT_FORMS =
  'stagedPrefix with totalShots (shots staged already), source (a storyboard file in storage) or storyboard (an inline storyboard)';

/**
 * renderStoryboard's input: the storyboard id (its workflow id), its shots in exactly one of
 * three forms, and how to run them.
 *
 * - staged: `stagedPrefix` + `totalShots`, shots already staged as pages (what `seedance-flow
 *   render` and `stageStoryboard()` write);
 * - `source`: a storyboard file (YAML or JSON) in the worker's own storage, as
 *   `s3://<its bucket>/<its prefix>/dir/board.yaml`, a `file://` URL under its root, or a key
 *   relative to the storage root (`dir/board.yaml`); image paths are relative to the file;
 * - `storyboard`: the document itself (what a file would hold), at most {@link MAX_INLINE_SHOTS}
 *   shots; its image paths are keys relative to the storage root.
 *
 * For `source` and `storyboard` the workflow's first activity reads, validates and stages the
 * document exactly as the CLI does; the document's `id` must equal `storyboardId`. Any problem
 * ends the workflow with InvalidRequest listing every problem with its path; nothing is submitted.
 */
export const RenderStoryboardInputSchema = sharedSchema('storyboard.RenderStoryboardInputSchema', () =>
  z
    .object({
      storyboardId: safeId('storyboard id'),
      /**
       * Storage key prefix of the staged shot pages (`<prefix>/page-00000.json`, ...): the
       * storyboard's own staging area, {@link STAGED_PREFIX}, under its own id (checked below).
       */
      stagedPrefix: z
        .string()
        .regex(STAGED_PREFIX, 'stagedPrefix must be <storyboardId>/.state/input-<hex>, as staging writes it')
        .optional(),
      totalShots: z.number().int().min(1).optional(),
      /** A storyboard file in the worker's own storage (see above). */
      source: z.string().min(1).max(MAX_SOURCE_LENGTH).optional(),
      /** An inline storyboard document: `{ id, defaults?, shots }` as in a file. */
      storyboard: z.unknown().optional(),
      window: z.number().int().min(1).max(MAX_WINDOW).default(10),
      tolerance: ToleranceSchema.default({}),
      schedule: PollScheduleSchema.partial().optional(),
      /** Task queue of the renderVideo children (default: the storyboard's own). */
      shotTaskQueue: z.string().optional(),
      /** Continue-as-new after this many shots have been launched in one run (history hygiene). */
      shotsPerRun: z.number().int().min(1).max(5000).default(500),
      /** Set the StoryboardId / ShotId search attributes (they must be registered on the namespace). */
      searchAttributes: z.boolean().default(true),
      /**
       * What the storyboard may spend: `{ tokens }`, or `{ amount, currency, prices }` with the
       * price table it is charged by. Each shot reserves its estimate before it is submitted; the
       * storyboard pauses with reason `budget` when the next one would pass it (setBudgetUpdate raises it).
       */
      budget: RunBudgetSchema.optional(),
      /**
       * Account-wide admission control for every shot: the account, the storyboard's priority
       * (1-5, 5 first) and its fairness group (default: the storyboard id). Absent: no limiter.
       */
      admission: AdmissionInputSchema.optional(),
      /**
       * A shot blocked only for its generated audio: `retry_silent` renders it once more with
       * `generate_audio: false` (a second paid task, reserved against the budget); absent or
       * `fail`: it fails. Overrides the file's `on_audio_policy`. See {@link AUDIO_POLICIES}.
       */
      onAudioPolicy: AudioPolicySchema.optional(),
      /**
       * `draft`: every shot whose model has a draft mode renders a draft first and waits for
       * review (approveUpdate, rejectUpdate, finishReviewUpdate); at most {@link MAX_DRAFT_SHOTS}
       * shots. Default: the file's `mode`, else finals directly.
       */
      mode: z.enum(STORYBOARD_MODES).optional(),
      /** Carried across continue-as-new; callers leave it out. */
      carry: StoryboardCarrySchema.optional(),
    })
    .superRefine((input, ctx) => {
      const staged = input.stagedPrefix !== undefined || input.totalShots !== undefined;
      const forms = [staged, input.source !== undefined, input.storyboard !== undefined].filter(Boolean).length;
      if (forms !== 1) {
        ctx.addIssue({ code: 'custom', path: [], message: `give exactly one of ${INPUT_FORMS}; this input gives ${forms}` });
        return;
      }
      if (staged) {
        if (input.stagedPrefix === undefined)
          ctx.addIssue({ code: 'custom', path: ['stagedPrefix'], message: 'stagedPrefix is required with totalShots' });
        if (input.totalShots === undefined)
          ctx.addIssue({ code: 'custom', path: ['totalShots'], message: 'totalShots is required with stagedPrefix' });
        if (input.stagedPrefix !== undefined && STAGED_PREFIX.exec(input.stagedPrefix)?.[1] !== input.storyboardId)
          ctx.addIssue({ code: 'custom', path: ['stagedPrefix'], message: "stagedPrefix must be under the storyboard's own id" });
        return;
      }
      if (input.carry)
        ctx.addIssue({ code: 'custom', path: ['carry'], message: 'carry comes only with staged shots (runs continued as new)' });
      const shots = (input.storyboard as { shots?: unknown } | null | undefined)?.shots;
      if (Array.isArray(shots) && shots.length > MAX_INLINE_SHOTS) {
        ctx.addIssue({
          code: 'custom',
          path: ['storyboard', 'shots'],
          message: `an inline storyboard holds at most ${MAX_INLINE_SHOTS} shots, this one has ${shots.length}: put it in a file in storage and pass its location as source`,
        });
      }
    }),
);

/** The options every form of the input shares. */
type StoryboardRunOptions = Omit<z.input<typeof RenderStoryboardInputSchema>, 'stagedPrefix' | 'totalShots' | 'source' | 'storyboard'>;

/**
 * renderStoryboard's input as callers write it: the shared options and exactly one form of
 * shots (see {@link RenderStoryboardInputSchema}).
 *
 * @example
 *   const staged: RenderStoryboardInput = { storyboardId: 'lighthouse-keeper', stagedPrefix, totalShots };
 *   const file: RenderStoryboardInput = { storyboardId: 'lighthouse-keeper', source: 's3://my-bucket/renders/boards/lighthouse-keeper.yaml' };
 *   const inline: RenderStoryboardInput = { storyboardId: 'teaser', storyboard: { id: 'teaser', shots: [{ id: 's01', prompt: 'A fox' }] } };
 */
export type RenderStoryboardInput = StoryboardRunOptions &
  ({ stagedPrefix: string; totalShots: number } | { source: string } | { storyboard: unknown });

/** The storyboard input once checked and its shots staged, defaults applied: what the window works with. */
export type ParsedStoryboardInput = Omit<
  z.output<typeof RenderStoryboardInputSchema>,
  'stagedPrefix' | 'totalShots' | 'source' | 'storyboard'
> & {
  stagedPrefix: string;
  totalShots: number;
};

/** Shots by state while a storyboard runs (`not_started` is known only at the end; until then such shots are pending). */
export type StoryboardCounts = Record<Exclude<ShotState, 'not_started'>, number>;

/** Shots by state once a storyboard has finished: every state of the glossary (common/states.ts). */
export type FinishedCounts = Record<ShotState, number>;

export interface StoryboardProgress {
  storyboardId: string;
  totalShots: number;
  counts: StoryboardCounts;
  /** Shots not yet finished in this run and the ones finished in it (older runs: see the manifest). */
  shots: Record<string, ShotState>;
  tokensUsed: number;
  window: number;
  paused: boolean;
  pauseReason?: string;
  toleranceExceeded: boolean;
  runs: number;
  startedAt: number;
  done: boolean;
  /** With a budget: its limit, what is spent and reserved, and what remains (in tokens or its currency). */
  budget?: BudgetView;
  /** Shots waiting, outside the window, for the last frame of the shot they continue from: shot id → that shot's id. */
  waitingForFrame?: Record<string, string>;
  /** Draft mode: the review, and whether the storyboard is waiting for it. */
  review?: ReviewView;
}

export interface StoryboardResult {
  storyboardId: string;
  manifestKey: string;
  manifestUrl: string;
  /** report.html beside the manifest, when it could be written. */
  reportKey?: string;
  reportUrl?: string;
  counts: FinishedCounts;
  tokensUsed: number;
  /** With a budget: where it stood at the end. */
  budget?: BudgetView;
  /** The manifest's entries when it is small enough to travel in history (≤ 1000 shots). */
  shots?: ManifestEntry[];
}

export const MANIFEST_INLINE_LIMIT = 1000;

/** The counts of a StoryboardResult written before the glossary, which spelled `not_started` as `notStarted`. */
export type LegacyFinishedCounts = StoryboardCounts & { notStarted: number };

/**
 * A finished storyboard's counts as any version wrote them, keyed by state: results of runs
 * that finished before the glossary carry `notStarted`, and are still read.
 */
export function readFinishedCounts(counts: FinishedCounts | LegacyFinishedCounts): FinishedCounts {
  if ('not_started' in counts) return counts;
  const { notStarted, ...byState } = counts;
  return { ...byState, not_started: notStarted };
}

/** Where a storyboard's things live in storage, relative to the storage root. */
export const storyboardKeys = {
  video: (storyboardId: string, shotId: string) => `${storyboardId}/${shotId}.mp4`,
  /**
   * Draft `n` of a shot (draft mode), in the storyboard's `drafts/` folder. Each draft has a key
   * of its own, named by the storyboard run too (`run`: a token of its run id): a copy never
   * replaces an object already stored at its key, so a re-draft, or a draft of a later run,
   * must not land on an earlier one.
   */
  draft: (storyboardId: string, shotId: string, n: number, run: string) => `${storyboardId}/drafts/${shotId}.${n}.${run}.mp4`,
  manifest: (storyboardId: string) => `${storyboardId}/manifest.json`,
  stagedPage: (prefix: string, page: number) => `${prefix}/page-${String(page).padStart(5, '0')}.json`,
  outcomePage: (storyboardId: string, page: number) => `${storyboardId}/.state/outcomes-${String(page).padStart(5, '0')}.json`,
};

export function shotWorkflowId(storyboardId: string, shotId: string): string {
  return `${storyboardId}/${shotId}`;
}

/**
 * The child workflow id of a shot's silent retry (`on_audio_policy: retry_silent`). Not the
 * shot's own id: renderVideo derives each attempt's seed from its workflow id, and a task-list
 * lookup after an ambiguous submit recognises its task by that seed, so the silent render must
 * not share the first render's seeds (it could adopt the blocked task). Shot ids hold no `/`,
 * so this names no other shot.
 */
export function silentShotWorkflowId(storyboardId: string, shotId: string): string {
  return `${shotWorkflowId(storyboardId, shotId)}/silent`;
}
