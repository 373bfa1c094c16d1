/**
 * Storyboard files: read (YAML or JSON), validate every rule at once with paths, check local
 * images, and stage the shots into storage as pages the workflow reads one at a time.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { StorageBackend } from '../activities/storage/backend';
import {
  STAGE_PAGE_SIZE,
  storyboardKeys,
  toShotInput,
  validateStoryboard,
  type FileImage,
  type ParsedStoryboard,
  type StagedShot,
  type StoryboardProblem,
} from '../common/storyboard';
import { ImageError, readCheckedImage, stageImage } from './stage';

export interface CheckedStoryboard {
  file: string;
  storyboard?: ParsedStoryboard;
  problems: StoryboardProblem[];
}

/** Parses YAML or JSON (by extension; unknown extensions try JSON, then YAML). */
export function parseStoryboardText(text: string, file: string): unknown {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return JSON.parse(text);
  if (ext !== '.yaml' && ext !== '.yml') {
    try {
      return JSON.parse(text);
    } catch {
      // fall through to YAML, a superset of JSON
    }
  }
  return parseYaml(text, { prettyErrors: true });
}

/** Every problem in a storyboard file, including unreadable or invalid local images. */
export async function checkStoryboardFile(file: string): Promise<CheckedStoryboard> {
  let doc: unknown;
  try {
    doc = parseStoryboardText(await readFile(file, 'utf8'), file);
  } catch (err) {
    const message = err instanceof YAMLParseError || err instanceof SyntaxError ? err.message : `cannot read: ${(err as Error).message}`;
    return { file, problems: [{ path: '', message }] };
  }
  const { storyboard, problems } = validateStoryboard(doc);
  if (!storyboard) return { file, problems };
  const baseDir = path.dirname(path.resolve(file));
  const imageProblems: StoryboardProblem[] = [];
  const checked = new Map<string, Promise<string | undefined>>();
  await Promise.all(
    storyboard.shots.flatMap((shot, i) =>
      (shot.images ?? []).map(async (img, j) => {
        if (!img.path) return;
        const abs = path.resolve(baseDir, img.path);
        if (!checked.has(abs)) checked.set(abs, readCheckedImage(abs).then(() => undefined, (e: Error) => e.message));
        const problem = await checked.get(abs);
        if (problem) imageProblems.push({ path: `shots[${i}].images[${j}].path`, message: problem.replace(abs, img.path) });
      }),
    ),
  );
  imageProblems.sort((a, b) => a.path.localeCompare(b.path, undefined, { numeric: true }));
  return imageProblems.length ? { file, problems: imageProblems } : { file, storyboard, problems: [] };
}

export interface StagedStoryboard {
  storyboardId: string;
  stagedPrefix: string;
  totalShots: number;
}

/**
 * Uploads local images (content-addressed) and writes the shots as pages under a prefix
 * named by their content, so a storyboard that is running keeps reading the pages it began
 * with even if the file is staged again.
 */
export async function stageStoryboard(storage: StorageBackend, checked: CheckedStoryboard): Promise<StagedStoryboard> {
  const storyboard = checked.storyboard;
  if (!storyboard) throw new ImageError('cannot stage an invalid storyboard');
  const baseDir = path.dirname(path.resolve(checked.file));
  const refs = new Map<string, Promise<string>>();
  const refOf = (img: FileImage): Promise<string> => {
    if (img.url) return Promise.resolve(img.url);
    const abs = path.resolve(baseDir, img.path as string);
    if (!refs.has(abs)) refs.set(abs, stageImage(storage, abs));
    return refs.get(abs) as Promise<string>;
  };
  const staged: StagedShot[] = [];
  for (const shot of storyboard.shots) {
    const urls = await Promise.all((shot.images ?? []).map(refOf));
    staged.push({ id: shot.id, shot: toShotInput(shot, (_img, i) => urls[i] as string) });
  }
  const digest = createHash('sha256').update(JSON.stringify(staged)).digest('hex').slice(0, 16);
  const stagedPrefix = `${storyboard.id}/.state/input-${digest}`;
  for (let page = 0; page * STAGE_PAGE_SIZE < staged.length; page++) {
    const slice = staged.slice(page * STAGE_PAGE_SIZE, (page + 1) * STAGE_PAGE_SIZE);
    await storage.writeText(storyboardKeys.stagedPage(stagedPrefix, page), JSON.stringify(slice), 'application/json');
  }
  const result = { storyboardId: storyboard.id, stagedPrefix, totalShots: staged.length };
  await storage.writeText(stagedRecordKey(storyboard.id), JSON.stringify({ ...result, stagedAt: new Date().toISOString() }), 'application/json');
  return result;
}

/** The last staging of a storyboard, so `retry` can run it again without the file. */
export function stagedRecordKey(storyboardId: string): string {
  return `${storyboardId}/.state/staged.json`;
}

export async function readStagedRecord(storage: StorageBackend, storyboardId: string): Promise<StagedStoryboard | null> {
  const text = await storage.readText(stagedRecordKey(storyboardId));
  return text ? (JSON.parse(text) as StagedStoryboard) : null;
}
