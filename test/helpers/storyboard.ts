/**
 * Storyboards for integration tests: written to a file, validated and staged exactly as the
 * CLI does it, then started through the same client helpers.
 */
import { copyFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStorage } from '../../storage/from-config';
import { startStoryboard, type StoryboardHandle } from '../../client/storyboard';
import { checkStoryboardFile, stageStoryboard, type StagedStoryboard } from '../../client/storyboard-file';
import type { RenderStoryboardInput } from '../../common/storyboard';
import { FAST_SCHEDULE, type Harness } from './harness';

export function boardDoc(id: string, count: number, prompt: (i: number) => string = (i) => `shot ${i} of ${id}`) {
  return {
    id,
    defaults: { duration: 5 },
    shots: Array.from({ length: count }, (_, i) => ({ id: `s${String(i).padStart(4, '0')}`, prompt: prompt(i) })),
  };
}

/** `files`: name in the storyboard's folder → file to copy there (images the shots name by path). */
export async function stageBoard(h: Harness, doc: object, files: Record<string, string> = {}): Promise<StagedStoryboard> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-board-'));
  for (const [name, source] of Object.entries(files)) copyFileSync(source, path.join(dir, name));
  const file = path.join(dir, 'board.json');
  writeFileSync(file, JSON.stringify(doc));
  const checked = await checkStoryboardFile(file);
  if (checked.problems.length) throw new Error(`invalid test storyboard: ${JSON.stringify(checked.problems)}`);
  return stageStoryboard(createStorage(h.config).storage, checked);
}

export async function startBoard(
  h: Harness,
  staged: StagedStoryboard,
  extra: Partial<RenderStoryboardInput> = {},
  taskQueue = h.config.SEEDANCE_TASK_QUEUE,
): Promise<StoryboardHandle> {
  return startStoryboard(h.client, { ...staged, schedule: FAST_SCHEDULE, ...extra }, taskQueue);
}
