/**
 * Typed helpers for storyboards: start or attach, follow progress, pause/resume/cancel, and
 * read the outcome whether the workflow is running or long finished.
 */
import {
  WorkflowExecutionAlreadyStartedError,
  WorkflowFailedError,
  WorkflowNotFoundError,
  type Client,
  type WorkflowHandle,
} from '@temporalio/client';
import type { StorageBackend } from '../storage/backend';
import {
  storyboardKeys,
  type ManifestEntry,
  type RenderStoryboardInput,
  type StoryboardCounts,
  type StoryboardProgress,
  type StoryboardResult,
  readFinishedCounts,
} from '../common/storyboard';
import type { FailureTypeName } from '../common/errors';
import type { StoryboardRunStatus } from '../common/states';
import { pauseSignal, renderStoryboard, resumeSignal, storyboardProgressQuery } from '../workflows';
import { describeFailure } from './video';

export type StoryboardHandle = WorkflowHandle<typeof renderStoryboard>;

/** The storyboard's workflow id is its id: starting it twice attaches to the running one. */
export async function startStoryboard(client: Client, input: RenderStoryboardInput, taskQueue: string): Promise<StoryboardHandle> {
  try {
    return await client.workflow.start(renderStoryboard, {
      taskQueue,
      workflowId: input.storyboardId,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A finished storyboard may run again: it renders only what is missing or failed.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle(input.storyboardId);
    throw err;
  }
}

/** What `status --json` and `render --json` print: the manifest fields plus where it stands. */
export interface StoryboardReport {
  storyboardId: string;
  status: StoryboardRunStatus;
  /** By state (common/states.ts); `not_started` once finished. */
  counts?: StoryboardCounts & { not_started?: number };
  tokensUsed?: number;
  paused?: boolean;
  pauseReason?: string;
  window?: number;
  manifestUrl?: string;
  shots?: Array<ManifestEntry | { shotId: string; status: string }>;
  failureType?: FailureTypeName;
  message?: string;
}

export async function storyboardReport(client: Client, storage: StorageBackend, storyboardId: string): Promise<StoryboardReport> {
  const handle: StoryboardHandle = client.workflow.getHandle(storyboardId);
  let status: string;
  try {
    status = (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) throw new Error(`no storyboard ${storyboardId} in this namespace`);
    throw err;
  }
  if (status === 'RUNNING' || status === 'CONTINUED_AS_NEW') {
    const p = await handle.query(storyboardProgressQuery);
    return progressReport(p);
  }
  if (status === 'COMPLETED') return resultReport(await handle.result(), storage);
  try {
    await handle.result();
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const f = describeFailure(err.cause);
      return {
        storyboardId,
        status: f.status === 'cancelled' ? 'cancelled' : 'failed',
        ...pickDefined({ failureType: f.failureType, message: f.message }),
      };
    }
  }
  return { storyboardId, status: status.toLowerCase() as StoryboardReport['status'] };
}

export function progressReport(p: StoryboardProgress): StoryboardReport {
  return {
    storyboardId: p.storyboardId,
    status: 'running',
    counts: p.counts,
    tokensUsed: p.tokensUsed,
    paused: p.paused,
    ...(p.pauseReason ? { pauseReason: p.pauseReason } : {}),
    window: p.window,
    shots: Object.entries(p.shots).map(([shotId, status]) => ({ shotId, status })),
  };
}

export async function resultReport(r: StoryboardResult, storage: StorageBackend): Promise<StoryboardReport> {
  let shots = r.shots;
  if (!shots) {
    const text = await storage.readText(storyboardKeys.manifest(r.storyboardId));
    shots = text ? (JSON.parse(text) as { shots: ManifestEntry[] }).shots : undefined;
  }
  return {
    storyboardId: r.storyboardId,
    status: 'completed',
    // Results of storyboards that finished before the glossary say `notStarted`.
    counts: readFinishedCounts(r.counts),
    tokensUsed: r.tokensUsed,
    manifestUrl: r.manifestUrl,
    ...(shots ? { shots } : {}),
  };
}

export async function pauseStoryboard(client: Client, storyboardId: string, reason = 'paused from the CLI'): Promise<void> {
  await client.workflow.getHandle(storyboardId).signal(pauseSignal, reason);
}

export async function resumeStoryboard(client: Client, storyboardId: string): Promise<void> {
  await client.workflow.getHandle(storyboardId).signal(resumeSignal);
}

/** Cancels the storyboard; its running shots are cancelled with it (and their provider tasks where possible). */
export async function cancelStoryboard(client: Client, storyboardId: string): Promise<void> {
  await client.workflow.getHandle(storyboardId).cancel();
}

/** Polls progress until the workflow ends; returns the final report. */
export async function followStoryboard(
  client: Client,
  storage: StorageBackend,
  storyboardId: string,
  onProgress: (p: StoryboardProgress) => void,
  everyMs = 1000,
): Promise<StoryboardReport> {
  const handle: StoryboardHandle = client.workflow.getHandle(storyboardId);
  let done = false;
  const result = handle.result().finally(() => (done = true));
  result.catch(() => undefined);
  while (!done) {
    try {
      onProgress(await handle.query(storyboardProgressQuery));
    } catch {
      // between continue-as-new runs, or the worker is busy: ask again
    }
    await Promise.race([result.catch(() => undefined), new Promise((r) => setTimeout(r, everyMs))]);
  }
  try {
    return await resultReport(await result, storage);
  } catch (err) {
    if (err instanceof WorkflowFailedError) {
      const f = describeFailure(err.cause);
      return {
        storyboardId,
        status: f.status === 'cancelled' ? 'cancelled' : 'failed',
        ...pickDefined({ failureType: f.failureType, message: f.message }),
      };
    }
    throw err;
  }
}

function pickDefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
