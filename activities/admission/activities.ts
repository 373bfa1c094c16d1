/**
 * Admission activities: a shot asks its account's limiter for a lease (creating the limiter on
 * first use), and the limiter asks which lease holders' runs have closed. Both talk to Temporal
 * through the worker's own client; the limits come from this worker's configuration, so no
 * setting lives in workflow code.
 */
import { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import {
  LIMITER_WORKFLOW,
  limiterWorkflowId,
  REQUEST_LEASE_SIGNAL,
  type HolderRef,
  type LeaseRequest,
  type LimiterInput,
  type LimitsConfig,
} from '../../common/admission';
import { workflowTaskQueue, type ActivityRoleDeclaration } from '../../common/task-queues';

export interface AdmissionDeps {
  /** The limits this worker is configured with (SEEDANCE_MAX_ACTIVE_PER_MODEL, SEEDANCE_MAX_QUEUED). */
  limits: Partial<LimitsConfig>;
  /** Absent: the activity context's client (the worker's own). */
  client?: Client;
}

/** Light Temporal calls beside the workflows, on the queue they were started on (the limiter runs there too). */
export const admissionActivityRole = { role: 'workflows', taskQueue: workflowTaskQueue } as const satisfies ActivityRoleDeclaration;

/** How many describe calls one sweep keeps in flight. */
const SWEEP_PARALLEL = 16;

export function createAdmissionActivities(deps: AdmissionDeps) {
  const client = () => deps.client ?? Context.current().client;

  /**
   * Asks the account's limiter for a lease, starting the limiter if it is not running
   * (signal-with-start). The grant comes back as a signal to the asking shot. A signal, not an
   * update: a server admits only a few updates in flight per workflow (10 on the dev server),
   * and a storyboard's window asks for far more at once; signals have no such limit.
   */
  async function requestLease(input: { account: string; request: LeaseRequest }): Promise<void> {
    const limiterInput: LimiterInput = { config: deps.limits };
    await client().workflow.signalWithStart(LIMITER_WORKFLOW, {
      workflowId: limiterWorkflowId(input.account),
      taskQueue: Context.current().info.taskQueue,
      args: [limiterInput],
      signal: REQUEST_LEASE_SIGNAL,
      signalArgs: [input.request, deps.limits],
    });
  }

  /** The runs among `runs` that are no longer running (or no longer exist). */
  async function closedRuns(runs: HolderRef[]): Promise<HolderRef[]> {
    const closed: HolderRef[] = [];
    for (let i = 0; i < runs.length; i += SWEEP_PARALLEL) {
      const batch = runs.slice(i, i + SWEEP_PARALLEL);
      const states = await Promise.all(
        batch.map(async (run) => {
          try {
            const d = await client().workflow.getHandle(run.workflowId, run.runId).describe();
            return d.status.name !== 'RUNNING';
          } catch (err) {
            if (err instanceof WorkflowNotFoundError) return true;
            throw err;
          }
        }),
      );
      batch.forEach((run, j) => {
        if (states[j]) closed.push(run);
      });
      Context.current().heartbeat();
    }
    return closed;
  }

  return { requestLease, closedRuns };
}

export type AdmissionActivities = ReturnType<typeof createAdmissionActivities>;
