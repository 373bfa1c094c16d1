/**
 * Storyboard files on the local disk (the CLI's `validate` and `render`): read bounded, checked
 * by the shared pipeline (common/storyboard-check.ts: syntax, rules, images, every problem with
 * its path), local images checked by their headers, and the shots staged into storage
 * (storage/staged-storyboard.ts), exactly as the worker does for a storyboard handed over in
 * storage (activities/storyboard/source.ts).
 *
 * A storyboard file is input from people and is read as such: at most MAX_STORYBOARD_BYTES,
 * regular files only, and every image checked by its header, at most IMAGE_CHECK_CONCURRENCY
 * at once, keeping no bytes. Image paths stay inside the storyboard's folder (after symbolic
 * links are resolved) unless the caller allows otherwise.
 */
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import type { StorageBackend } from '../storage/backend';
import { checkStoryboardText, mapLimit, shotFiles, type FileKind } from '../common/storyboard-check';
import { clip, type ParsedStoryboard, type StoryboardProblem } from '../common/storyboard';
import { MAX_STORYBOARD_BYTES } from '../common/storyboard-text';
import { LocalFileError, readBoundedFile } from '../storage/local-file';
import { IMAGE_STAGE_CONCURRENCY } from '../storage/staged-images';
import { writeStagedStoryboard, type StagedStoryboard } from '../storage/staged-storyboard';
import { checkImageFile, ImageError, stageImage } from './stage';
import { checkMediaFile, stageMedia } from './stage-media';

export {
  MAX_EXPANDED_SIZE,
  MAX_NESTING,
  MAX_STORYBOARD_BYTES,
  MAX_YAML_ALIAS_COUNT,
  parseStoryboardText,
  type ParsedText,
} from '../common/storyboard-text';
export { IMAGE_CHECK_CONCURRENCY, mapLimit } from '../common/storyboard-check';
export {
  readStagedAudioPolicy,
  readStagedBudget,
  readStagedMode,
  readStagedRecord,
  stagedRecordKey,
  type StagedStoryboard,
} from '../storage/staged-storyboard';
export { IMAGE_STAGE_CONCURRENCY } from '../storage/staged-images';

/** The flag that lets image paths leave the storyboard's folder. */
export const ALLOW_IMAGES_OUTSIDE_FLAG = '--allow-images-outside';

export interface CheckOptions {
  /** Accept image paths that resolve (after symbolic links) outside the storyboard's folder. */
  allowImagesOutside?: boolean;
}

export interface CheckedStoryboard {
  file: string;
  storyboard?: ParsedStoryboard;
  problems: StoryboardProblem[];
  /** Local image paths as written → the real file staged for each. */
  images?: Map<string, string>;
}

function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** The real file an image path names, or why it may not be used. */
async function resolveImage(
  baseDir: string,
  realBase: string,
  written: string,
  options: CheckOptions,
): Promise<{ real: string } | { problem: string }> {
  const abs = path.resolve(baseDir, written);
  let real: string;
  try {
    real = await realpath(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      problem: `cannot read (${code === 'ENOENT' || code === 'ENOTDIR' ? `${code}: no such file` : (code ?? (err as Error).message)})`,
    };
  }
  if (!options.allowImagesOutside && !isInside(realBase, real)) {
    return {
      problem: `resolves to ${clip(real, 200)}, outside the storyboard's folder ${clip(realBase, 200)}; move it there, or pass ${ALLOW_IMAGES_OUTSIDE_FLAG} to allow it`,
    };
  }
  return { real };
}

/** Every problem in a storyboard file, including unreadable or invalid local images. */
export async function checkStoryboardFile(file: string, options: CheckOptions = {}): Promise<CheckedStoryboard> {
  let text: string;
  try {
    text = (await readBoundedFile(file, MAX_STORYBOARD_BYTES, "the storyboard's")).toString('utf8');
  } catch (err) {
    const message = err instanceof LocalFileError ? err.reason : `cannot read: ${(err as Error).message}`;
    return { file, problems: [{ path: '', message }] };
  }
  const baseDir = path.dirname(path.resolve(file));
  const checked = await checkStoryboardText(text, file, async () => {
    let realBase: string;
    try {
      realBase = await realpath(baseDir);
    } catch (err) {
      return { problem: `cannot resolve the storyboard's folder: ${(err as Error).message}` };
    }
    return {
      resolve: async (written) => {
        const resolved = await resolveImage(baseDir, realBase, written, options);
        return 'problem' in resolved ? resolved : { id: resolved.real };
      },
      check: (real, kind) =>
        (kind === 'image' ? checkImageFile(real) : checkMediaFile(real, kind)).then(
          () => undefined,
          (e: Error) => (e instanceof ImageError && e.message.startsWith(`${real}: `) ? e.message.slice(real.length + 2) : e.message),
        ),
    };
  });
  return { file, ...checked };
}

/**
 * Uploads local images (content-addressed) and writes the shots as pages under a prefix
 * named by their content, so a storyboard that is running keeps reading the pages it began
 * with even if the file is staged again.
 */
export async function stageStoryboard(storage: StorageBackend, checked: CheckedStoryboard): Promise<StagedStoryboard> {
  const storyboard = checked.storyboard;
  if (!storyboard || checked.problems.length) throw new ImageError('cannot stage an invalid storyboard');
  const baseDir = path.dirname(path.resolve(checked.file));
  // The real files validation resolved (inside the folder unless allowed); the rest by path.
  const realOf = (p: string) => checked.images?.get(p) ?? path.resolve(baseDir, p);
  // Images, videos and audio clips alike, each real file once (a file is valid as one kind only).
  const reals = new Map<string, FileKind>();
  for (const shot of storyboard.shots) for (const f of shotFiles(shot)) reals.set(realOf(f.path), f.kind);
  const refs = new Map<string, string>();
  const validated = new Set(checked.images?.values() ?? []);
  await mapLimit([...reals], IMAGE_STAGE_CONCURRENCY, async ([real, kind]) => {
    // What was validated is what is staged: a path turned into a symbolic link since is refused.
    if (validated.has(real) && (await realpath(real).catch(() => undefined)) !== real) {
      throw new ImageError(`${real}: changed since it was validated (it is now a symbolic link or gone); validate again`);
    }
    refs.set(real, kind === 'image' ? await stageImage(storage, real) : await stageMedia(storage, real, kind));
  });
  return writeStagedStoryboard(
    storage,
    storyboard,
    (p) => refs.get(realOf(p)) as string,
    (message) => new ImageError(message),
  );
}
