/**
 * Continuity: a shot that says `continue_from: <shotId>` starts from that shot's last frame.
 * The earlier shot is submitted with `return_last_frame: true`; its last frame is copied into
 * storage beside its video (activities/storage/copy.ts); the later shot waits for it and is
 * submitted with that stored frame as its `first_frame` (workflows/storyboard-continuity.ts).
 *
 * The rules a storyboard's graph must follow are checked here, with the path of each problem.
 * Provider facts (docs/provider/notes.md, "Limits and tiers"): `return_last_frame` (answered as
 * `content.last_frame_url`) is a Seedance 1.5 pro feature of the tasks family; a first frame
 * cannot be mixed with reference images, and a shot has at most one first frame.
 * No I/O: workflows import this module.
 */
import { inferApi, DEFAULT_MODELS, type ApiFamily, type ShotInput } from './shot';

/**
 * How far back (in shots) `continue_from` may reach. A scene continues from a recent shot; the
 * bound keeps what a storyboard remembers across continue-as-new (the last frames still to be
 * used) small, whatever the storyboard's size.
 */
export const MAX_CONTINUITY_REACH = 100;

/** Models whose tasks return their last frame (docs/provider/notes.md, "Limits and tiers"). */
const LAST_FRAME_MODELS = /seedance-1-5-pro/i;

/** Whether a shot of this family and model can be asked for its last frame. */
export function returnsLastFrame(api: ApiFamily, model: string): boolean {
  return api === 'tasks' && LAST_FRAME_MODELS.test(model);
}

/** The shot fields continuity looks at, as a file shot has them once defaults are applied. */
export interface ContinuityShot {
  id: string;
  continue_from?: string | undefined;
  api?: ApiFamily | undefined;
  model?: string | undefined;
  return_last_frame?: boolean | undefined;
  images?: { role: string }[] | undefined;
  videos?: unknown[] | undefined;
  audios?: unknown[] | undefined;
}

/** A problem found in the graph: the shot's index, the path under it, the message. */
export interface ContinuityProblem {
  index: number;
  path: (string | number)[];
  message: string;
}

/**
 * Every problem of the storyboard's continuity graph: unknown references, a shot continuing from
 * itself, cycles, references to later shots (the earlier shot must come first: shots are launched
 * in storyboard order), reaches beyond {@link MAX_CONTINUITY_REACH}, an earlier shot whose model
 * cannot return its last frame, and a later shot whose own images leave no room for a first frame.
 */
export function continuityProblems(shots: readonly ContinuityShot[]): ContinuityProblem[] {
  const indexOf = new Map<string, number>();
  shots.forEach((s, i) => {
    if (!indexOf.has(s.id)) indexOf.set(s.id, i);
  });
  const problems: ContinuityProblem[] = [];
  const continuedFrom = new Set<number>();
  shots.forEach((shot, i) => {
    const from = shot.continue_from;
    if (from === undefined) return;
    const at = (path: (string | number)[], message: string) => problems.push({ index: i, path, message });
    const j = indexOf.get(from);
    if (j === undefined) return at(['continue_from'], `no shot has id ${from}`);
    if (j === i) return at(['continue_from'], 'a shot cannot continue from itself');
    if (j > i) {
      const cycle = cycleThrough(shots, indexOf, i);
      if (cycle)
        return at(['continue_from'], `continuity cycle: ${cycle.join(' → ')}; a chain must start from a shot that continues from none`);
      return at(
        ['continue_from'],
        `${from} comes later (shots[${j}]): a shot can only continue from an earlier one, so move it after ${from}`,
      );
    }
    if (i - j > MAX_CONTINUITY_REACH) {
      return at(['continue_from'], `${from} is ${i - j} shots earlier; continue_from reaches at most ${MAX_CONTINUITY_REACH} shots back`);
    }
    continuedFrom.add(j);
    (shot.images ?? []).forEach((img, k) => {
      if (img.role === 'first_frame')
        at(['images', k, 'role'], `this shot starts from the last frame of ${from}: it cannot have its own first_frame`);
      if (img.role === 'reference_image')
        at(
          ['images', k, 'role'],
          `this shot starts from the last frame of ${from} (a first frame): reference images cannot be mixed with it`,
        );
    });
    for (const kind of ['videos', 'audios'] as const)
      if (shot[kind]?.length)
        at(
          [kind],
          `this shot starts from the last frame of ${from} (a first frame): reference ${kind === 'videos' ? 'videos' : 'audio'} cannot be mixed with it`,
        );
  });
  for (const j of [...continuedFrom].sort((a, b) => a - b)) {
    const shot = shots[j] as ContinuityShot;
    const api = shot.api ?? inferApi(shot.model);
    const model = shot.model ?? DEFAULT_MODELS[api];
    const dependents = shots.filter((s) => s.continue_from === shot.id).map((s) => s.id);
    if (!returnsLastFrame(api, model)) {
      problems.push({
        index: j,
        path: shot.model !== undefined ? ['model'] : ['api'],
        message: `${dependents.join(', ')} continue${dependents.length === 1 ? 's' : ''} from this shot, but ${model} (${api} family) does not return its last frame: use a Seedance 1.5 pro model on the tasks family`,
      });
    } else if (shot.return_last_frame === false) {
      problems.push({
        index: j,
        path: ['return_last_frame'],
        message: `${dependents.join(', ')} continue${dependents.length === 1 ? 's' : ''} from this shot: return_last_frame cannot be false`,
      });
    }
  }
  return problems;
}

/** The ids along the cycle that starts at shot `start`, or undefined when following `continue_from` from it ends. */
function cycleThrough(shots: readonly ContinuityShot[], indexOf: Map<string, number>, start: number): string[] | undefined {
  const path: number[] = [];
  const seen = new Set<number>();
  let at: number | undefined = start;
  while (at !== undefined && !seen.has(at)) {
    seen.add(at);
    path.push(at);
    const from: string | undefined = shots[at]?.continue_from;
    at = from === undefined ? undefined : indexOf.get(from);
  }
  if (at !== start) return undefined;
  return [...path, start].map((i) => (shots[i] as ContinuityShot).id);
}

/** How many shots continue from each shot id. */
export function dependentCounts(shots: readonly ContinuityShot[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const s of shots) if (s.continue_from !== undefined) counts.set(s.continue_from, (counts.get(s.continue_from) ?? 0) + 1);
  return counts;
}

/** A stored last frame, as the manifest and the carry hold it. */
export interface StoredFrame {
  /** Beside the video: `<storyboard>/<shot>.last-frame.<ext>`. */
  key: string;
  url: string;
  sha256: string;
  bytes: number;
  /**
   * The same bytes as a staged input (`inputs/<sha256>.<ext>`), the only kind of storage
   * reference the submit activity reads and inlines (activities/seedance/images.ts).
   */
  inputUrl: string;
}

/** The shot a later shot submits: its own fields, starting from the stored last frame of the shot it continues. */
export function continuedShot(shot: ShotInput, frame: StoredFrame): ShotInput {
  return { ...shot, images: [{ url: frame.inputUrl, role: 'first_frame' }, ...(shot.images ?? [])] };
}

/** Where a video's last frame is kept: beside it, `<name>.last-frame.<ext>`. */
export function lastFrameKey(videoKey: string, extension: string): string {
  return `${videoKey.replace(/\.mp4$/, '')}.last-frame.${extension}`;
}
