/**
 * Storyboard activities: the workflow reads staged shots a page at a time and writes
 * outcomes and the manifest to storage, so neither a whole storyboard nor all its results
 * ever sit in one history.
 */
import type { BudgetView } from '../../common/budget';
import { MANIFEST_INLINE_LIMIT, STAGE_PAGE_SIZE, storyboardKeys, type ManifestEntry, type StagedShot } from '../../common/storyboard';
import { workflowTaskQueue, type ActivityRoleDeclaration } from '../../common/task-queues';
import { activityContext, whileHeartbeating } from '../heartbeat';
import type { StorageBackend } from '../../storage/backend';
import { readVideoRecord } from '../storage/copy';
import { stageOrStorageError, stageStoryboardSourceWith, type StageSourceResult, type StoryboardSourceInput } from './source';

export interface StoryboardDeps {
  storage: StorageBackend;
}

/** A staged shot plus, when an earlier run already stored its video, that entry. */
export interface PageShot extends StagedShot {
  stored?: ManifestEntry;
}

export interface ManifestSummary {
  manifestKey: string;
  manifestUrl: string;
  /** Entries in storyboard order when there are at most MANIFEST_INLINE_LIMIT of them. */
  entries?: ManifestEntry[];
}

/** What the manifest is written from: the storyboard, its size, and where its budget ended (with one). */
export interface ManifestInput {
  storyboardId: string;
  totalShots: number;
  budget?: BudgetView;
}

/** Light page reads and manifest writes run beside the workflows, on the queue they were started on. */
export const storyboardActivityRole = { role: 'workflows', taskQueue: workflowTaskQueue } as const satisfies ActivityRoleDeclaration;

export function createStoryboardActivities({ storage }: StoryboardDeps) {
  /**
   * A storyboard handed over as a file in storage (or inline): read, checked with the rules of
   * `validate`, its images and shots staged as `render` stages them (activities/storyboard/source.ts).
   * Returns the staged reference, or every problem (nothing staged).
   */
  async function stageStoryboardSource(input: StoryboardSourceInput): Promise<StageSourceResult> {
    const signal = activityContext()?.cancellationSignal;
    return whileHeartbeating(() => stageOrStorageError(() => stageStoryboardSourceWith(storage, input, signal), signal));
  }

  /** Reads one page of staged shots and marks those whose video is already in storage. */
  async function loadShotPage(input: { storyboardId: string; stagedPrefix: string; page: number }): Promise<PageShot[]> {
    return whileHeartbeating(() => readShotPage(input));
  }

  async function readShotPage(input: { storyboardId: string; stagedPrefix: string; page: number }): Promise<PageShot[]> {
    const text = await storage.readText(storyboardKeys.stagedPage(input.stagedPrefix, input.page));
    if (text === null) throw new Error(`staged page ${input.page} of ${input.storyboardId} is missing`);
    const shots = JSON.parse(text) as StagedShot[];
    return Promise.all(
      shots.map(async (s): Promise<PageShot> => {
        const key = storyboardKeys.video(input.storyboardId, s.id);
        const found = await readVideoRecord(storage, key);
        if (!found) return s;
        const { record, stored } = found;
        return {
          ...s,
          stored: {
            shotId: s.id,
            status: 'stored',
            taskId: record.taskId,
            key,
            url: stored.url,
            sha256: record.sha256,
            bytes: record.bytes,
            ...(record.seed !== undefined ? { seed: record.seed } : {}),
            ...(record.usage ? { usage: record.usage } : {}),
            ...(record.lastFrame ? { lastFrame: record.lastFrame } : {}),
            ...(record.lastFrameMissing ? { lastFrameMissing: record.lastFrameMissing } : {}),
            reused: true,
          },
        };
      }),
    );
  }

  /** Persists the outcomes of one finished page, in storyboard order. */
  async function recordOutcomes(input: { storyboardId: string; page: number; entries: ManifestEntry[] }): Promise<void> {
    await whileHeartbeating(() =>
      storage.writeText(storyboardKeys.outcomePage(input.storyboardId, input.page), JSON.stringify(input.entries), 'application/json'),
    );
  }

  /** Joins every page's outcomes into `<storyboardId>/manifest.json`, next to the videos. */
  async function writeManifest(input: ManifestInput): Promise<ManifestSummary> {
    return whileHeartbeating(() => joinManifest(input));
  }

  async function joinManifest(input: ManifestInput): Promise<ManifestSummary> {
    const pages = Math.ceil(input.totalShots / STAGE_PAGE_SIZE);
    const entries: ManifestEntry[] = [];
    for (let page = 0; page < pages; page++) {
      const text = await storage.readText(storyboardKeys.outcomePage(input.storyboardId, page));
      if (text === null) throw new Error(`outcomes of page ${page} of ${input.storyboardId} are missing`);
      entries.push(...(JSON.parse(text) as ManifestEntry[]));
    }
    const manifestKey = storyboardKeys.manifest(input.storyboardId);
    const manifest = {
      storyboardId: input.storyboardId,
      writtenAt: new Date().toISOString(),
      totalShots: input.totalShots,
      ...(input.budget ? { budget: input.budget } : {}),
      shots: entries,
    };
    await storage.writeText(manifestKey, JSON.stringify(manifest, null, 2), 'application/json');
    return {
      manifestKey,
      manifestUrl: storage.urlOf(manifestKey),
      ...(entries.length <= MANIFEST_INLINE_LIMIT ? { entries } : {}),
    };
  }

  return { stageStoryboardSource, loadShotPage, recordOutcomes, writeManifest };
}

export type StoryboardActivities = ReturnType<typeof createStoryboardActivities>;
