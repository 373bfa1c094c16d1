/**
 * Storyboard files (YAML or JSON) and what the renderStoryboard workflow works with.
 * The file keys are a contract documented in README.md. No I/O: workflows import this.
 */
import { z } from 'zod';
import type { FailureType } from './errors';
import { PollScheduleSchema } from './poll-schedule';
import type { Usage } from './render';
import { IMAGE_ROLES, ShotFieldsSchema, ShotSchema, TASKS_ONLY_FIELDS, formatIssues, inferApi, type ShotInput } from './shot';

/** Ids end up in workflow ids and storage keys: keep them boring. */
export const SAFE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const safeId = (what: string) =>
  z.string().regex(SAFE_ID, `${what} must be 1-64 letters, digits, _ or -, starting with a letter or digit`);

/** An image as written in a file: a local path (relative to the file) or a URL. */
export const FileImageSchema = z
  .object({
    path: z.string().min(1).optional(),
    url: z.string().min(1).optional(),
    role: z.enum(IMAGE_ROLES).default('first_frame'),
  })
  .strict()
  .superRefine((img, ctx) => {
    if ((img.path === undefined) === (img.url === undefined)) {
      ctx.addIssue({ code: 'custom', path: ['path'], message: 'give exactly one of path or url' });
    }
    if (img.url !== undefined && !/^https?:\/\//.test(img.url)) {
      ctx.addIssue({ code: 'custom', path: ['url'], message: 'url must be http(s); use path for local files' });
    }
  });
export type FileImage = z.infer<typeof FileImageSchema>;

const FileShotFields = ShotFieldsSchema.omit({ images: true }).extend({
  images: z.array(FileImageSchema).max(9).optional(),
});

/** Shot fields as `defaults` may give them: everything optional, nothing shot-specific. */
const DefaultsSchema = FileShotFields.partial().strict();

export const FileShotSchema = FileShotFields.partial({ prompt: true }).extend({ id: safeId('shot id') }).strict();

export const StoryboardFileSchema = z
  .object({
    id: safeId('storyboard id'),
    defaults: DefaultsSchema.optional(),
    shots: z.array(z.unknown()).min(1, 'a storyboard needs at least one shot').max(100_000),
  })
  .strict();

/** A shot after defaults are applied; images still as written (paths not yet staged). */
export type FileShot = z.infer<typeof FileShotSchema> & { prompt: string };

export interface ParsedStoryboard {
  id: string;
  shots: FileShot[];
}

export interface StoryboardProblem {
  /** `shots[3].images[1].role` */
  path: string;
  message: string;
}

/**
 * Validates a parsed file against every rule at once; returns all problems with their paths.
 * Nothing is submitted unless this returns no problems.
 */
export function validateStoryboard(doc: unknown): { storyboard?: ParsedStoryboard; problems: StoryboardProblem[] } {
  const problems: StoryboardProblem[] = [];
  const top = StoryboardFileSchema.safeParse(doc);
  if (!top.success) {
    return { problems: toProblems(formatIssues(top.error)) };
  }
  const { id, defaults = {}, shots: rawShots } = top.data;
  const shots: FileShot[] = [];
  const seen = new Map<string, number>();
  rawShots.forEach((raw, i) => {
    const merged = raw && typeof raw === 'object' && !Array.isArray(raw) ? applyDefaults(defaults, raw as Record<string, unknown>) : raw;
    // Duplicates are found even in shots that fail other rules.
    const rawId = (raw as { id?: unknown } | null)?.id;
    if (typeof rawId === 'string') {
      const first = seen.get(rawId);
      if (first !== undefined) problems.push({ path: `shots[${i}].id`, message: `duplicate shot id ${rawId} (also shots[${first}])` });
      else seen.set(rawId, i);
    }
    const parsed = FileShotSchema.safeParse(merged);
    if (!parsed.success) {
      problems.push(...toProblems(formatIssues(parsed.error, `shots[${i}]`)));
      return;
    }
    const shot = parsed.data;
    if (shot.prompt === undefined) problems.push({ path: `shots[${i}].prompt`, message: 'prompt is required' });
    // The seed rules, checked with placeholder URLs: image locations are checked by the caller.
    const check = ShotSchema.safeParse(toShotInput({ ...shot, prompt: shot.prompt ?? 'x' }, () => 'https://placeholder.invalid/i.png'));
    if (!check.success) problems.push(...toProblems(formatIssues(check.error, `shots[${i}]`)));
    if (shot.prompt !== undefined) shots.push({ ...shot, prompt: shot.prompt });
  });
  return problems.length ? { problems } : { storyboard: { id, shots }, problems };
}

/**
 * A shot's fields over the defaults. `null` in a shot removes a default (e.g. `duration: null`
 * next to `frames`); tasks-only defaults do not reach a predictions shot.
 */
export function applyDefaults(defaults: Record<string, unknown>, shot: Record<string, unknown>): Record<string, unknown> {
  const merged: Record<string, unknown> = { ...defaults, ...shot };
  const api = (merged.api as string | undefined) ?? inferApi(merged.model as string | undefined);
  if (api === 'predictions') {
    for (const field of TASKS_ONLY_FIELDS) if (!(field in shot)) delete merged[field];
  }
  for (const [k, v] of Object.entries(merged)) if (v === null) delete merged[k];
  return merged;
}

function toProblems(lines: string[]): StoryboardProblem[] {
  return lines.map((line) => {
    const at = line.indexOf(': ');
    return at > 0 ? { path: line.slice(0, at), message: line.slice(at + 2) } : { path: '', message: line };
  });
}

/** A file shot as renderVideo's shot, with each image replaced by the reference `ref(image)` gives. */
export function toShotInput(shot: FileShot, ref: (img: FileImage, index: number) => string): ShotInput {
  const { id, images, ...fields } = shot;
  void id;
  return { ...fields, images: (images ?? []).map((img, i) => ({ url: ref(img, i), role: img.role })) };
}

// ----- the workflow side -----

/** One shot as staged for the workflow: id plus a renderVideo shot with image references. */
export interface StagedShot {
  id: string;
  shot: ShotInput;
}

/** Shots are staged in pages of this many, read one page at a time by the workflow. */
export const STAGE_PAGE_SIZE = 100;

export const ToleranceSchema = z
  .object({
    /** Stop launching new shots once more than this many have failed. */
    maxFailures: z.number().int().min(0).optional(),
    /** ...or once failures exceed this percentage of the shots finished so far (after 10 have finished). */
    maxFailurePercent: z.number().min(0).max(100).optional(),
  })
  .strict();
export type Tolerance = z.infer<typeof ToleranceSchema>;

export const MAX_WINDOW = 500;

export const RenderStoryboardInputSchema = z.object({
  storyboardId: safeId('storyboard id'),
  /** Storage key prefix of the staged shot pages (`<prefix>/page-00000.json`, ...). */
  stagedPrefix: z.string().min(1),
  totalShots: z.number().int().min(1),
  window: z.number().int().min(1).max(MAX_WINDOW).default(10),
  tolerance: ToleranceSchema.default({}),
  schedule: PollScheduleSchema.partial().optional(),
  /** Task queue of the renderVideo children (default: the storyboard's own). */
  shotTaskQueue: z.string().optional(),
  /** Continue-as-new after this many shots have been launched in one run (history hygiene). */
  shotsPerRun: z.number().int().min(1).max(5000).default(500),
  /** Set the StoryboardId / ShotId search attributes (they must be registered on the namespace). */
  searchAttributes: z.boolean().default(true),
  /** Carried across continue-as-new; callers leave it out. */
  carry: z.unknown().optional(),
});
export type RenderStoryboardInput = z.input<typeof RenderStoryboardInputSchema>;

export const SHOT_STATES = ['pending', 'submitted', 'rendering', 'copying', 'stored', 'failed'] as const;
export type ShotState = (typeof SHOT_STATES)[number];

/** One line of the manifest, in storyboard order. */
export interface ManifestEntry {
  shotId: string;
  status: 'stored' | 'failed' | 'not_started';
  taskId?: string;
  key?: string;
  url?: string;
  sha256?: string;
  bytes?: number;
  seed?: number;
  usage?: Usage;
  failureType?: FailureType | string;
  failureMessage?: string;
  /** True when an earlier run had already stored this shot. */
  reused?: boolean;
}

export interface StoryboardCounts {
  pending: number;
  submitted: number;
  rendering: number;
  copying: number;
  stored: number;
  failed: number;
}

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
}

export interface StoryboardResult {
  storyboardId: string;
  manifestKey: string;
  manifestUrl: string;
  /** report.html beside the manifest, when it could be written. */
  reportKey?: string;
  reportUrl?: string;
  counts: StoryboardCounts & { notStarted: number };
  tokensUsed: number;
  /** The manifest's entries when it is small enough to travel in history (≤ 1000 shots). */
  shots?: ManifestEntry[];
}

export const MANIFEST_INLINE_LIMIT = 1000;

/** Where a storyboard's things live in storage, relative to the storage root. */
export const storyboardKeys = {
  video: (storyboardId: string, shotId: string) => `${storyboardId}/${shotId}.mp4`,
  manifest: (storyboardId: string) => `${storyboardId}/manifest.json`,
  stagedPage: (prefix: string, page: number) => `${prefix}/page-${String(page).padStart(5, '0')}.json`,
  outcomePage: (storyboardId: string, page: number) => `${storyboardId}/.state/outcomes-${String(page).padStart(5, '0')}.json`,
};

export function shotWorkflowId(storyboardId: string, shotId: string): string {
  return `${storyboardId}/${shotId}`;
}
