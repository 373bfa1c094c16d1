/**
 * A storyboard handed over to renderStoryboard as a file in storage (or inline) instead of
 * staged shots: read bounded, checked by the same pipeline and rules as the CLI's `validate`
 * (common/storyboard-check.ts), its images (and reference videos and audio) resolved relative
 * to the file and checked by their real headers, then staged exactly as `seedance-flow render`
 * stages (storage/staged-storyboard.ts: same pages, same record, same image keys), so re-runs
 * and `retry` work alike.
 *
 * What a caller may name is bounded: the file must be in this worker's own storage (its bucket
 * and prefix, or under its filesystem root), a `.yaml`, `.yml` or `.json` key without hidden or
 * `..` segments; images must stay inside the file's folder (for an inline storyboard, inside
 * the storage root). A problem with the file is returned as a list, never thrown: the workflow
 * ends with InvalidRequest and submits nothing. A store that cannot answer is thrown (retried).
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, failure } from '../../common/errors';
import { formatBytes } from '../../common/byte-sizes';
import {
  checkStoryboardDocument,
  checkStoryboardText,
  mapLimit,
  type CheckedText,
  type ImageResolverFactory,
} from '../../common/storyboard-check';
import type { StoryboardMode } from '../../common/review';
import { clip, MAX_SOURCE_LENGTH, type AudioPolicy, type StoryboardProblem } from '../../common/storyboard';
import { MAX_STORYBOARD_BYTES } from '../../common/storyboard-text';
import { isObjectMissing, ObjectTooLargeError, readAll, type StorageBackend } from '../../storage/backend';
import { KeyOutsideStorageError } from '../../storage/fs';
import { writeStagedStoryboard } from '../../storage/staged-storyboard';
import { IMAGE_STAGE_CONCURRENCY, type HashedImage, type HashedMedia } from '../../storage/staged-images';
import { inspectStoredImage, stageStoredImage } from './stored-images';
import { inspectStoredMedia, stageStoredMedia } from './stored-media';

/** What renderStoryboard hands its first activity: a file's location, or the document itself. */
export type StoryboardSourceInput = { storyboardId: string; source: string } | { storyboardId: string; storyboard: unknown };

/** Staged (what the window reads), or every problem with its path (nothing was staged). */
export type StageSourceResult =
  | {
      ok: true;
      storyboardId: string;
      stagedPrefix: string;
      totalShots: number;
      budget?: { tokens: number };
      /** The file's `on_audio_policy`, when it gives one. */
      onAudioPolicy?: AudioPolicy;
      /** The file's `mode`, when it gives one. */
      mode?: StoryboardMode;
    }
  | { ok: false; problems: StoryboardProblem[] };

/**
 * The storage key a source names, or why it may not be read: a key relative to the storage
 * root (`boards/x.yaml`), or a URL of this storage (`s3://<its bucket>/<its prefix>/boards/x.yaml`,
 * `file:///<its root>/boards/x.yaml`).
 */
export function sourceKey(storage: StorageBackend, source: string): { key: string } | { problem: string } {
  if (source.length === 0 || source.length > MAX_SOURCE_LENGTH) return { problem: `a source is 1-${MAX_SOURCE_LENGTH} characters` };
  let key = source;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(source)?.[1]?.toLowerCase();
  if (scheme !== undefined) {
    const base = storage.urlOf('probe').slice(0, -'probe'.length);
    if (!source.startsWith(base)) {
      const where = scheme === 's3' && base.startsWith('s3://') ? 'another bucket or outside its prefix' : 'outside it';
      return { problem: `${clip(source, 200)} is ${where}; this worker reads storyboards from its own storage, ${base}` };
    }
    key = source.slice(base.length);
    if (scheme === 'file') {
      try {
        key = decodeURIComponent(key);
      } catch {
        return { problem: `${clip(source, 200)} is not a usable file:// URL` };
      }
    }
  }
  const problem = keyProblem(key);
  if (problem) return { problem: `${clip(source, 200)}: ${problem}` };
  if (scheme !== undefined && storage.urlOf(key) !== source) return { problem: `${clip(source, 200)} does not name a key of this storage` };
  if (!/\.(ya?ml|json)$/i.test(key)) return { problem: `${clip(source, 200)}: a storyboard file ends in .yaml, .yml or .json` };
  return { key };
}

/** Why `key` may not be read: `..`, `.` or empty segments, hidden (bookkeeping) names, a leading slash, control characters. */
function keyProblem(key: string): string | undefined {
  // eslint-disable-next-line no-control-regex -- refusing control characters is the point
  if (/[\u0000-\u001f\u007f\\]/.test(key)) return 'contains a control character or a backslash';
  const segments = key.split('/');
  if (segments.some((s) => s === '')) return 'a key has no leading slash and no empty segments (//)';
  if (segments.some((s) => s === '.' || s === '..')) return 'a key has no . or .. segments: it stays inside the storage';
  if (segments.some((s) => s.startsWith('.'))) return 'hidden names (.state/, .meta/) are bookkeeping, not storyboards or images';
  return undefined;
}

/**
 * The key an image path names, relative to the folder `dir` (`''`: the storage root), as a
 * path on disk resolves: `.` and `..` are followed, and the result must lie inside `dir`.
 */
export function imageKey(dir: string, written: string): { id: string } | { problem: string } {
  if (written.startsWith('/')) return { problem: "an absolute path; write it relative to the storyboard's folder" };
  const folder = dir ? dir.split('/') : [];
  const out = [...folder];
  let aboveRoot = false;
  for (const segment of written.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment !== '..') out.push(segment);
    else if (out.pop() === undefined) aboveRoot = true;
  }
  const underFolder = !aboveRoot && folder.every((s, i) => out[i] === s);
  if (underFolder && out.length === folder.length) return { problem: 'names the folder itself, not an image' };
  if (!underFolder || out.length < folder.length)
    return { problem: `leaves the storyboard's folder ${dir ? `${dir}/` : '(the storage root)'}; images stay inside it` };
  const problem = keyProblem(out.join('/'));
  return problem ? { problem } : { id: out.join('/') };
}

/** Reads the file at `key`, bounded; its text, or a problem (missing, too large). Throws when the store cannot answer. */
async function readSource(storage: StorageBackend, key: string, signal?: AbortSignal): Promise<{ text: string } | { problem: string }> {
  try {
    const body = await storage.openRead(key, { maxBytes: MAX_STORYBOARD_BYTES, ...(signal ? { signal } : {}) });
    return { text: (await readAll(body)).toString('utf8') };
  } catch (err) {
    const where = storage.urlOf(key);
    if (isObjectMissing(err)) return { problem: `${where}: no such object in storage` };
    if (err instanceof ObjectTooLargeError)
      return { problem: `${where}: over the storyboard's ${MAX_STORYBOARD_BYTES}-byte limit (${formatBytes(MAX_STORYBOARD_BYTES)})` };
    if (err instanceof KeyOutsideStorageError) return { problem: err.message };
    throw err;
  }
}

/**
 * Checks and stages a storyboard handed over as a file in storage or inline. Never stages
 * anything when there is a problem. `storyboardId` is the workflow's: the document's `id`
 * must be the same (the workflow id is the storyboard id, chosen before the file is read).
 * `signal` (the activity's cancellation) stops the reads.
 */
export async function stageStoryboardSourceWith(
  storage: StorageBackend,
  input: StoryboardSourceInput,
  signal?: AbortSignal,
): Promise<StageSourceResult> {
  let dir = '';
  let checked: CheckedText;
  const hashed = new Map<string, HashedImage>();
  const hashedMedia = new Map<string, HashedMedia>();
  const images: ImageResolverFactory = async (storyboard) => {
    if (storyboard.id !== input.storyboardId) {
      return {
        path: 'id',
        problem: `the storyboard's id is ${storyboard.id}, but it was handed over as ${input.storyboardId} (the workflow id); make them the same`,
      };
    }
    return {
      resolve: async (written) => imageKey(dir, written),
      check: async (key, kind) => {
        if (kind !== 'image') {
          const media = await inspectStoredMedia(storage, key, kind, signal);
          if ('problem' in media) return media.problem;
          hashedMedia.set(key, media.media);
          return undefined;
        }
        const result = await inspectStoredImage(storage, key, signal);
        if ('problem' in result) return result.problem;
        hashed.set(key, result.image);
        return undefined;
      },
    };
  };
  if ('source' in input) {
    const located = sourceKey(storage, input.source);
    if ('problem' in located) return { ok: false, problems: [{ path: '', message: located.problem }] };
    dir = located.key.includes('/') ? located.key.slice(0, located.key.lastIndexOf('/')) : '';
    const read = await readSource(storage, located.key, signal);
    if ('problem' in read) return { ok: false, problems: [{ path: '', message: read.problem }] };
    checked = await checkStoryboardText(read.text, located.key, images);
  } else {
    checked = await checkStoryboardDocument(input.storyboard, images);
  }
  if (!checked.storyboard || checked.problems.length) return { ok: false, problems: checked.problems };
  const budget = checked.storyboard.budget;
  if (budget && !('tokens' in budget)) {
    // The worker charges no prices of its own: a currency budget comes with its prices in the input (the CLI sends them).
    const message = `a budget in ${budget.currency} needs prices: give it in tokens here, or pass budget with its prices in the workflow input`;
    return { ok: false, problems: [{ path: 'budget', message }] };
  }
  signal?.throwIfAborted();

  const keyOf = checked.images ?? new Map<string, string>();
  const refs = new Map<string, string>();
  await mapLimit([...new Set(keyOf.values())], IMAGE_STAGE_CONCURRENCY, async (key) => {
    // A key is valid as one kind only: an image, or a reference video or audio clip.
    const media = hashedMedia.get(key);
    refs.set(
      key,
      media ? await stageStoredMedia(storage, key, media) : await stageStoredImage(storage, key, hashed.get(key) as HashedImage),
    );
  });
  const staged = await writeStagedStoryboard(storage, checked.storyboard, (p) => refs.get(keyOf.get(p) as string) as string);
  const { onAudioPolicy, mode } = checked.storyboard;
  return { ok: true, ...staged, ...(budget ? { budget } : {}), ...(onAudioPolicy ? { onAudioPolicy } : {}), ...(mode ? { mode } : {}) };
}

/**
 * The activity's outcome as Temporal should see it: problems are returned; a store that cannot
 * be reached is a retryable StorageError; anything typed already passes through.
 */
export async function stageOrStorageError(work: () => Promise<StageSourceResult>, signal?: AbortSignal): Promise<StageSourceResult> {
  try {
    return await work();
  } catch (err) {
    // Cancelled: the reads stopped because Temporal asked, not because the store failed.
    if (err instanceof ApplicationFailure || signal?.aborted) throw err;
    throw failure(FailureType.StorageError, `reading or staging the storyboard failed: ${clip(String(err), 500)}`);
  }
}
