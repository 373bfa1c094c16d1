/**
 * The provider activities: submitTask (the only place a task is POSTed), getTask and
 * cancelTask. Built by a factory so workers inject their clients (and tests their fakes).
 */
import { Context } from '@temporalio/activity';
import { shotFromInput, type ResolvedShot, type ShotInput } from '../../common/shot';
import type { ApiFamily } from '../../common/shot';
import { countMetric } from '../metrics';
import type { PhaseReport, PhaseReporter } from '../phase-reporter';
import { ProviderError } from './provider-error';
import { resolveImageUrl, type S3ObjectReader } from './images';
import type { SeedanceFamilyClient, SubmitResult, TaskSnapshot } from './types';

export interface SeedanceDeps {
  clients: Record<ApiFamily, SeedanceFamilyClient>;
  readS3: S3ObjectReader;
  /** Tells storyboards their shots' phases; absent, nothing is reported. */
  phases?: PhaseReporter;
}

export interface TaskRef {
  api: ApiFamily;
  taskId: string;
}

export interface CancelResult {
  cancelled: boolean;
  reason?: string;
}

/** Runs a provider call and converts its ProviderError into the ApplicationFailure Temporal retries on. */
async function asActivity<T>(call: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProviderError) {
      countMetric('seedance_provider_failures', 1, { type: err.type, call }, 'provider calls that failed, by failure type');
      throw err.toApplicationFailure(Context.current().info.attempt);
    }
    throw err;
  }
}

export function createSeedanceActivities(deps: SeedanceDeps) {
  /**
   * POSTs the task once. Temporal retries this activity only for failures where the provider
   * cannot have accepted it (429, 5xx, connection refused); a request that went out without
   * an answer fails as SubmitOutcomeUnknown, never silently resubmitted.
   */
  async function submitTask(input: ShotInput, report?: PhaseReport): Promise<SubmitResult> {
    const shot: ResolvedShot = shotFromInput(input);
    const images = await Promise.all(shot.images.map((img) => resolveImageUrl(img, deps.readS3)));
    const result = await asActivity('submit', () => deps.clients[shot.api].submit(shot, images));
    countMetric('seedance_submissions', 1, { api: shot.api, model: shot.model }, 'tasks accepted by the provider');
    deps.phases?.fromActivity(report, 'submitted', result.taskId);
    return result;
  }

  /** One cheap status read; polling cadence is the workflow's business. */
  async function getTask(ref: TaskRef, report?: PhaseReport): Promise<TaskSnapshot> {
    const snapshot = await asActivity('get', () => deps.clients[ref.api].get(ref.taskId));
    countMetric('seedance_polls', 1, { api: ref.api, status: snapshot.status }, 'status polls, by normalized status');
    if (snapshot.status === 'running') deps.phases?.fromActivity(report, 'rendering', ref.taskId);
    return snapshot;
  }

  /** Cancels at the provider where the family allows it (tasks: queued only). */
  async function cancelTask(ref: TaskRef): Promise<CancelResult> {
    const client = deps.clients[ref.api];
    if (!client.cancel) return { cancelled: false, reason: `the ${ref.api} family has no cancel call` };
    try {
      await client.cancel(ref.taskId);
      return { cancelled: true };
    } catch (err) {
      if (err instanceof ProviderError && !err.toApplicationFailure().nonRetryable) {
        throw err.toApplicationFailure(Context.current().info.attempt);
      }
      // A running or finished task cannot be cancelled: report it, the workflow still ends cancelled.
      return { cancelled: false, reason: err instanceof Error ? err.message : String(err) };
    }
  }

  return { submitTask, getTask, cancelTask };
}

export type SeedanceActivities = ReturnType<typeof createSeedanceActivities>;
