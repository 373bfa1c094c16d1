/**
 * A shot's side of admission control (workflows/admission-limiter.ts): a lease is asked for
 * right before each submit attempt and held until the task reaches a terminal status (the
 * copy holds none). Without `admission` in the input every method does nothing and records
 * nothing, so histories of renders without it are unchanged.
 */
import { condition, getExternalWorkflowHandle, log, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { AdmissionActivities } from '../activities/admission/activities';
import { limiterWorkflowId, temporalPriority, type Admission, type LeaseEvent } from '../common/admission';
import { leaseEventSignal, leaseGrantedSignal } from './admission-limiter';

/**
 * How long a shot waits for its grant signal before asking again (the same, idempotent request):
 * only a limiter terminated and started afresh needs it, so it is rare and cheap.
 */
const ASK_AGAIN_MS = 120_000;

export class AdmissionGate {
  private readonly grants = new Set<string>();
  private held: string | undefined;
  /** A request made and not yet granted: withdrawn if the render ends first (cancelled while waiting). */
  private asking: string | undefined;

  constructor(
    private readonly admission: Admission | undefined,
    private readonly model: string,
  ) {
    setHandler(leaseGrantedSignal, (leaseId) => {
      this.grants.add(leaseId);
    });
  }

  /** Waits for the lease of submit attempt `attempt` (deterministic id: run and attempt). */
  async acquire(attempt: number, onWait?: () => void): Promise<void> {
    const admission = this.admission;
    if (!admission || this.held) return;
    const { workflowId, runId } = workflowInfo();
    const leaseId = `${workflowId}/${runId}/${attempt}`;
    const { requestLease } = proxyActivities<AdmissionActivities>({
      startToCloseTimeout: '30 seconds',
      retry: { initialInterval: '1 second', maximumInterval: '30 seconds', maximumAttempts: 20 },
      priority: temporalPriority(admission.priority, admission.group),
    });
    const request = { leaseId, workflowId, runId, model: this.model, priority: admission.priority, group: admission.group ?? 'videos' };
    this.asking = leaseId;
    for (let asked = 0; ; asked++) {
      await requestLease({ account: admission.account, request });
      if (asked === 0 && !this.grants.has(leaseId)) onWait?.();
      if (await condition(() => this.grants.has(leaseId), ASK_AGAIN_MS)) break;
    }
    this.asking = undefined;
    this.held = leaseId;
  }

  /** The held lease's task was accepted (the limiter counts it toward raising its limit). */
  async submitted(): Promise<void> {
    if (this.held) await this.tell({ leaseId: this.held, event: 'submitted' });
  }

  /** Gives the lease back; `throttledMs`: the submit was answered 429 with this Retry-After. */
  async release(throttledMs?: number): Promise<void> {
    const leaseId = this.held ?? this.asking;
    if (!leaseId || !this.admission) return;
    this.held = undefined;
    this.asking = undefined;
    await this.tell(
      throttledMs !== undefined ? { leaseId, event: 'throttled', retryAfterMs: throttledMs } : { leaseId, event: 'released' },
    );
  }

  private async tell(event: LeaseEvent): Promise<void> {
    if (!this.admission) return;
    try {
      await getExternalWorkflowHandle(limiterWorkflowId(this.admission.account)).signal(leaseEventSignal, event);
    } catch (err) {
      // No limiter running (terminated): nothing holds the lease any more.
      log.warn('lease event not delivered', { ...event, error: String(err) });
    }
  }
}
