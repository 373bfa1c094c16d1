/**
 * A checked storyboard written into storage as the renderStoryboard workflow reads it: the
 * shots in pages of STAGE_PAGE_SIZE under a prefix named by their content, and a record of
 * the last staging (so `retry` can run it again without the file). The CLI (`render`) and the
 * worker (a storyboard handed over as a file or inline) both stage through here, so they
 * write the same keys and the same record.
 */
import { STORYBOARD_MODES, type StoryboardMode } from '../common/review';
import { createHash } from 'node:crypto';
import {
  AudioPolicySchema,
  normalizeHttpUrl,
  STAGE_PAGE_SIZE,
  storyboardKeys,
  toStagedShots,
  type AudioPolicy,
  type FileImage,
  type FileMedia,
  type ParsedStoryboard,
  type StagedShot,
} from '../common/storyboard';
import type { StorageBackend } from './backend';
import { BudgetSchema, type Budget } from '../common/budget';

export interface StagedStoryboard {
  storyboardId: string;
  stagedPrefix: string;
  totalShots: number;
}

/**
 * Writes the shots of a valid storyboard as pages, each image, video and audio clip replaced by
 * its reference: http(s) URLs pass through (scheme in lower case), a local path becomes
 * `refOfPath(path)` (its staged `inputs/<sha256>.<ext>` URL). The prefix is named by the pages' content, so a
 * storyboard that is running keeps reading the pages it began with even if it is staged again.
 * `invalid` builds the error for a URL that does not normalize (validation already refused those).
 */
export async function writeStagedStoryboard(
  storage: StorageBackend,
  storyboard: ParsedStoryboard,
  refOfPath: (path: string) => string,
  invalid: (message: string) => Error = (message) => new Error(message),
): Promise<StagedStoryboard> {
  const refOf = (img: FileImage | FileMedia): string => {
    if (img.url) {
      const url = normalizeHttpUrl(img.url);
      if (!url.ok) throw invalid(url.problem);
      return url.url;
    }
    return refOfPath(img.path as string);
  };
  const staged: StagedShot[] = toStagedShots(storyboard.shots, refOf);
  // The same digest as sha256(JSON.stringify(staged)), without building that string whole.
  const hash = createHash('sha256').update('[');
  staged.forEach((s, i) => hash.update(`${i ? ',' : ''}${JSON.stringify(s)}`));
  const digest = hash.update(']').digest('hex').slice(0, 16);
  const stagedPrefix = `${storyboard.id}/.state/input-${digest}`;
  for (let page = 0; page * STAGE_PAGE_SIZE < staged.length; page++) {
    const slice = staged.slice(page * STAGE_PAGE_SIZE, (page + 1) * STAGE_PAGE_SIZE);
    await storage.writeText(storyboardKeys.stagedPage(stagedPrefix, page), JSON.stringify(slice), 'application/json');
  }
  const result = { storyboardId: storyboard.id, stagedPrefix, totalShots: staged.length };
  await storage.writeText(
    stagedRecordKey(storyboard.id),
    // The file's budget, audio policy and mode are kept with the record so `retry` runs the storyboard by them too.
    JSON.stringify({
      ...result,
      ...(storyboard.budget ? { budget: storyboard.budget } : {}),
      ...(storyboard.onAudioPolicy ? { onAudioPolicy: storyboard.onAudioPolicy } : {}),
      ...(storyboard.mode ? { mode: storyboard.mode } : {}),
      stagedAt: new Date().toISOString(),
    }),
    'application/json',
  );
  return result;
}

/** The last staging of a storyboard, so `retry` can run it again without the file. */
export function stagedRecordKey(storyboardId: string): string {
  return `${storyboardId}/.state/staged.json`;
}

export async function readStagedRecord(storage: StorageBackend, storyboardId: string): Promise<StagedStoryboard | null> {
  const text = await storage.readText(stagedRecordKey(storyboardId));
  if (!text) return null;
  const { storyboardId: id, stagedPrefix, totalShots } = JSON.parse(text) as StagedStoryboard;
  return { storyboardId: id, stagedPrefix, totalShots };
}

/** The budget the staged file gave, if any (a record that holds no valid one: none). */
export async function readStagedBudget(storage: StorageBackend, storyboardId: string): Promise<Budget | undefined> {
  const text = await storage.readText(stagedRecordKey(storyboardId));
  if (!text) return undefined;
  const parsed = BudgetSchema.safeParse((JSON.parse(text) as { budget?: unknown }).budget);
  return parsed.success ? parsed.data : undefined;
}

/** The `on_audio_policy` the staged file gave, if any (a record that holds no valid one: none). */
export async function readStagedAudioPolicy(storage: StorageBackend, storyboardId: string): Promise<AudioPolicy | undefined> {
  const text = await storage.readText(stagedRecordKey(storyboardId));
  if (!text) return undefined;
  const parsed = AudioPolicySchema.safeParse((JSON.parse(text) as { onAudioPolicy?: unknown }).onAudioPolicy);
  return parsed.success ? parsed.data : undefined;
}

/** The mode the staged file gave (`draft`), if any. */
export async function readStagedMode(storage: StorageBackend, storyboardId: string): Promise<StoryboardMode | undefined> {
  const text = await storage.readText(stagedRecordKey(storyboardId));
  if (!text) return undefined;
  const mode = (JSON.parse(text) as { mode?: unknown }).mode;
  return (STORYBOARD_MODES as readonly unknown[]).includes(mode) ? (mode as StoryboardMode) : undefined;
}
