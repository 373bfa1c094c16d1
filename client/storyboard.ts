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
import { DEFAULT_PRIORITY, temporalPriority } from '../common/admission';
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
import { pauseSignal, renderStoryboard, resumeSignal, setBudgetUpdate, setWindowUpdate, storyboardProgressQuery } from '../workflows';
import type { BudgetView } from '../common/budget';
import type { ReviewView } from '../common/review';
import { describeFailure } from './video';

export type StoryboardHandle = WorkflowHandle<typeof renderStoryboard>;

/**
 * Starts renderStoryboard for a staged storyboard (see `stageStoryboard`), or attaches to the
 * one already running: the storyboard's workflow id is its id, so starting twice never pays twice.
 *
 * @example
 * ```ts
 * const staged = await stageStoryboard(storage, await checkStoryboardFile('board.yaml'));
 * const handle = await startStoryboard(client, { ...staged, window: 10 }, 'seedance-flow');
 * const result = await handle.result();
 * ```
 */
export async function startStoryboard(client: Client, input: RenderStoryboardInput, taskQueue: string): Promise<StoryboardHandle> {
  try {
    return await client.workflow.start(renderStoryboard, {
      taskQueue,
      workflowId: input.storyboardId,
      args: [input],
      workflowIdConflictPolicy: 'USE_EXISTING',
      // A finished storyboard may run again: it renders only what is missing or failed.
      workflowIdReusePolicy: 'ALLOW_DUPLICATE',
      // Temporal's own task priority follows the admission priority; children and activities inherit it.
      ...(input.admission
        ? { priority: temporalPriority(input.admission.priority ?? DEFAULT_PRIORITY, input.admission.group ?? input.storyboardId) }
        : {}),
    });
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return client.workflow.getHandle(input.storyboardId);
    throw err;
  }
}

/** What `status --json` and `render --json` print: the manifest fields plus where it stands. */
export interface StoryboardStatus {
  storyboardId: string;
  status: StoryboardRunStatus;
  /** By state (common/states.ts); `not_started` once finished. */
  counts?: StoryboardCounts & { not_started?: number };
  tokensUsed?: number;
  paused?: boolean;
  pauseReason?: string;
  window?: number;
  /** With a budget: limit, spent, reserved and remaining, in tokens or its currency. */
  budget?: BudgetView;
  manifestUrl?: string;
  /** Draft mode, while it runs: the review, and whether the storyboard waits for it. */
  review?: ReviewView;
  shots?: Array<ManifestEntry | { shotId: string; status: string; reason?: string }>;
  failureType?: FailureTypeName;
  message?: string;
}

/**
 * Where a storyboard stands, whether it is running (its progress query), long finished (its
 * result and manifest) or ended otherwise (its failure): what `seedance-flow status` prints.
 *
 * @example
 * ```ts
 * const status = await storyboardStatus(client, storage, 'lighthouse-keeper');
 * console.log(status.status, status.counts);
 * ```
 */
export async function storyboardStatus(client: Client, storage: StorageBackend, storyboardId: string): Promise<StoryboardStatus> {
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
    return statusFromProgress(p);
  }
  if (status === 'COMPLETED') return statusFromResult(await handle.result(), storage);
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
  return { storyboardId, status: status.toLowerCase() as StoryboardStatus['status'] };
}

/** A running storyboard's progress (the `storyboardProgress` query) as a status. */
export function statusFromProgress(p: StoryboardProgress): StoryboardStatus {
  return {
    storyboardId: p.storyboardId,
    status: 'running',
    counts: p.counts,
    tokensUsed: p.tokensUsed,
    paused: p.paused,
    ...(p.pauseReason ? { pauseReason: p.pauseReason } : {}),
    window: p.window,
    ...(p.budget ? { budget: p.budget } : {}),
    ...(p.review ? { review: p.review } : {}),
    shots: [
      ...Object.entries(p.shots).map(([shotId, status]) => ({ shotId, status })),
      // Continuing shots not launched yet: pending, and why.
      ...Object.entries(p.waitingForFrame ?? {}).map(([shotId, from]) => ({
        shotId,
        status: 'pending',
        reason: `waiting for the last frame of ${from}`,
      })),
    ],
  };
}

/** A completed storyboard's result as a status, with the shots read from its manifest when the result leaves them out. */
export async function statusFromResult(r: StoryboardResult, storage: StorageBackend): Promise<StoryboardStatus> {
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
    ...(r.budget ? { budget: r.budget } : {}),
    manifestUrl: r.manifestUrl,
    ...(shots ? { shots } : {}),
  };
}

/** Stops launching new shots (the `pause` signal); shots in flight finish. `resumeStoryboard` continues. */
export async function pauseStoryboard(client: Client, storyboardId: string, reason = 'paused from the CLI'): Promise<void> {
  await client.workflow.getHandle(storyboardId).signal(pauseSignal, reason);
}

/** Continues a paused storyboard (the `resume` signal), whether a person or an insufficient balance paused it. */
export async function resumeStoryboard(client: Client, storyboardId: string): Promise<void> {
  await client.workflow.getHandle(storyboardId).signal(resumeSignal);
}

/** Cancels the storyboard; its running shots are cancelled with it (and their provider tasks where possible). */
export async function cancelStoryboard(client: Client, storyboardId: string): Promise<void> {
  await client.workflow.getHandle(storyboardId).cancel();
}

/** Polls progress until the workflow ends, calling `onProgress` each time; returns its final status. */
export async function followStoryboard(
  client: Client,
  storage: StorageBackend,
  storyboardId: string,
  onProgress: (p: StoryboardProgress) => void,
  everyMs = 1000,
): Promise<StoryboardStatus> {
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
    return await statusFromResult(await result, storage);
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

/**
 * Changes a running storyboard's sliding window (the `setWindow` update) and answers the window
 * now in force; a size outside [1, 500] is refused before it is recorded.
 *
 * @example
 * ```ts
 * const now = await setStoryboardWindow(client, 'lighthouse-keeper', 20);
 * ```
 */
export async function setStoryboardWindow(client: Client, storyboardId: string, size: number): Promise<number> {
  return client.workflow.getHandle(storyboardId).executeUpdate(setWindowUpdate, { args: [size] });
}

/**
 * Sets a running storyboard's budget (the `setBudget` update), in its unit (tokens, or the
 * currency it was given in), and answers where the budget now stands; a storyboard paused with
 * reason `budget` resumes once its next shot fits. Refused before it is recorded when the
 * storyboard has no budget or the value is below what is already spent.
 *
 * @example
 * ```ts
 * const now = await setStoryboardBudget(client, 'lighthouse-keeper', 1_500_000);
 * console.log(`${now.remaining} ${now.unit} remaining`);
 * ```
 */
export async function setStoryboardBudget(client: Client, storyboardId: string, limit: number): Promise<BudgetView> {
  return client.workflow.getHandle(storyboardId).executeUpdate(setBudgetUpdate, { args: [limit] });
}
