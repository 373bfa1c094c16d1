/**
 * Tells storyboards what their shots are doing, in batches.
 *
 * The shot's activities know the moment a phase starts (the provider accepted the task, a
 * poll saw it running, the copy began). Sending that from here costs the storyboard one signal
 * per flush for all its shots, where a signal from each child workflow cost both histories
 * events and an extra workflow task per phase: 2.8 signals per shot were most of the
 * storyboard's orchestration overhead in the benchmark (bench/, scenario 1).
 *
 * Best effort by design: a lost batch (worker killed between flushes, parent gone) leaves a
 * shot showing an earlier phase until its next one; stored/failed come from the child's
 * completion, which is durable.
 */
import { Context } from '@temporalio/activity';
import type { ParentRef, ShotPhase, ShotPhaseEvent } from '../common/phase-events';

export type SendPhases = (parentWorkflowId: string, updates: ShotPhaseEvent[]) => Promise<void>;

export interface PhaseRelayOptions {
  send: SendPhases;
  /** How long updates wait to share a signal. */
  intervalMs?: number;
  /** Called when a batch could not be sent (it is dropped, see above). */
  onError?: (parentWorkflowId: string, err: unknown) => void;
}

export class PhaseRelay {
  // parent -> child workflow id -> latest phase: a shot that moved twice between flushes sends once.
  private pending = new Map<string, Map<string, ShotPhaseEvent>>();
  private timer: NodeJS.Timeout | undefined;
  private sending: Promise<void> = Promise.resolve();
  private readonly intervalMs: number;

  constructor(private readonly options: PhaseRelayOptions) {
    this.intervalMs = options.intervalMs ?? 1000;
  }

  /** Queues a phase for the next flush; never throws, never waits. */
  queue(parent: ParentRef | undefined, event: ShotPhaseEvent): void {
    if (!parent) return;
    let forParent = this.pending.get(parent.parentWorkflowId);
    if (!forParent) this.pending.set(parent.parentWorkflowId, (forParent = new Map()));
    forParent.set(event.workflowId, event);
    if (!this.timer) {
      this.timer = setTimeout(() => void this.flush(), this.intervalMs);
      // Progress must not keep a finished process alive; shutdown calls flush() itself.
      this.timer.unref();
    }
  }

  /** From inside an activity: the phase of the workflow that scheduled it. */
  fromActivity(parent: ParentRef | undefined, phase: ShotPhase, taskId?: string): void {
    this.forWorkflow(parent, Context.current().info.workflowExecution?.workflowId, phase, taskId);
  }

  /**
   * The phase of the shot workflow `workflowId`, from outside any activity (the callback
   * receiver, which knows the workflow from the callback's token).
   */
  forWorkflow(parent: ParentRef | undefined, workflowId: string | undefined, phase: ShotPhase, taskId?: string): void {
    if (!parent || !workflowId) return;
    this.queue(parent, { workflowId, phase, ...(taskId ? { taskId } : {}) });
  }

  /** Sends everything queued, one signal per storyboard; resolves when sent (or dropped). */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = new Map();
    // Chained, so batches for the same storyboard leave in the order they were queued.
    this.sending = this.sending.then(() =>
      Promise.all(
        [...batch].map(([parent, updates]) =>
          this.options.send(parent, [...updates.values()]).catch((err: unknown) => this.options.onError?.(parent, err)),
        ),
      ).then(() => undefined),
    );
    return this.sending;
  }
}
