/**
 * Heartbeats of one createTask attempt, sent as awaited RPCs rather than through the SDK's
 * throttled `Context.heartbeat()`.
 *
 * Why: the SDK buffers heartbeats and sends the latest one later, so a `preparing` beat could
 * reach the server *after* `sending`, and an attempt that died mid-POST would then look like
 * one that never sent (and be paid twice). Here every beat is awaited in order, and the
 * `sending` beat is acknowledged by the server before the request leaves. The RPC also proves
 * the attempt is still alive at that moment: a timed-out attempt gets "not found" and stops.
 */
import { CancelledFailure } from '@temporalio/common';
import type { SubmitBeat, SubmitPhase } from '../../common/submit-attempt';
import { notSent } from './submit-failures';

/** Records heartbeat details for this attempt; resolves once the server has them. */
export type HeartbeatRpc = (details: SubmitBeat) => Promise<void>;

/**
 * The error names @temporalio/client raises when a heartbeat finds the attempt gone (timed
 * out, completed, paused or reset by an operator) or cancelled: in all of them, do not send.
 */
const GONE = new Set(['ActivityNotFoundError', 'ActivityPausedError', 'ActivityResetError']);
const CANCELLED = 'ActivityCancelledError';

export class AttemptBeacon {
  private details: SubmitBeat;
  private timer: NodeJS.Timeout | undefined;
  private chain: Promise<void> = Promise.resolve();
  private readonly controller = new AbortController();

  constructor(
    private readonly rpc: HeartbeatRpc,
    private readonly everyMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.details = { phase: 'preparing', since: now() };
  }

  /** Aborted when Temporal says the attempt is gone or cancelled: preparation stops at once. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Beats now and then every `everyMs`, in order, until stop() or confirmSending(). */
  start(): void {
    this.beat();
    this.loop();
  }

  /**
   * Stops the `preparing` beats, waits for the last one, and records `sending` with an
   * acknowledged RPC. Throws (and nothing may be sent) when that cannot be confirmed.
   */
  async confirmSending(): Promise<void> {
    this.stopLoop();
    await this.chain;
    this.throwIfLost();
    this.details = { phase: 'sending', since: this.now() };
    let lastError: unknown;
    for (let i = 0; i < 3; i++) {
      try {
        await this.rpc(this.details);
        lastError = undefined;
        break;
      } catch (err) {
        lastError = err;
        if (isGone(err) || isCancelled(err)) break;
        await new Promise((r) => setTimeout(r, 300));
      }
    }
    if (lastError !== undefined) {
      if (isCancelled(lastError)) throw new CancelledFailure('the submit was cancelled before its request was sent');
      throw notSent(`Temporal did not confirm the attempt before sending (${describe(lastError)})`);
    }
    // Keep the attempt alive while the request is in flight; the details no longer change.
    this.loop();
  }

  stop(): void {
    this.stopLoop();
  }

  private loop(): void {
    this.timer = setInterval(() => this.beat(), this.everyMs);
    this.timer.unref();
  }

  private stopLoop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private beat(): void {
    const details = this.details;
    this.chain = this.chain
      .then(() => this.rpc(details))
      .catch((err: unknown) => {
        // Transient failures (Temporal restarting) are ignored: the next beat tries again,
        // and the heartbeat timeout decides if they last too long.
        if ((isGone(err) || isCancelled(err)) && !this.controller.signal.aborted) this.controller.abort(err);
      });
  }

  private throwIfLost(): void {
    if (!this.controller.signal.aborted) return;
    const reason: unknown = this.controller.signal.reason;
    if (isCancelled(reason)) throw new CancelledFailure('the submit was cancelled before its request was sent');
    throw notSent('Temporal no longer knows this attempt (it timed out); a new attempt will send instead');
  }
}

function isGone(err: unknown): boolean {
  return GONE.has((err as { name?: string } | undefined)?.name ?? '');
}

function isCancelled(err: unknown): boolean {
  return (err as { name?: string } | undefined)?.name === CANCELLED;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** How often to beat: a third of the heartbeat timeout, so two beats may be lost in a row. */
export function beatIntervalMs(heartbeatTimeoutMs: number | undefined): number {
  if (!heartbeatTimeoutMs) return 5000;
  return Math.max(200, Math.min(5000, Math.floor(heartbeatTimeoutMs / 3)));
}

export type { SubmitPhase };
