/**
 * The last two steps before a submit's POST, each acknowledged by Temporal:
 *
 * 1. `confirmAttemptAlive`: one heartbeat sent as an awaited RPC. It answers "not found" once
 *    Temporal has given the attempt up (timed out, or paused/reset by an operator), which the
 *    SDK's buffered heartbeats would only report seconds later: a given-up attempt must never
 *    send, because the workflow is already trying again.
 * 2. `announceSending`: the `submitSending` signal to the attempt's own workflow, recorded in
 *    history before the first byte of the request leaves (common/submit-attempt.ts).
 *
 * Either failing means nothing was sent: the attempt ends `SubmitNotSent` and is retried.
 */
import { CancelledFailure } from '@temporalio/common';
import type { SubmitSending } from '../../common/submit-attempt';
import { notSent } from './submit-failures';

/** Records a heartbeat for the attempt's task token; resolves once the server has it. */
export type HeartbeatRpc = (taskToken: Uint8Array, details: unknown) => Promise<void>;
/** Signals `submitSending` to the workflow run; resolves once it is in history. */
export type SendingAnnouncer = (workflow: { workflowId: string; runId: string }, sending: SubmitSending) => Promise<void>;

/** The names @temporalio/client gives a heartbeat that finds the attempt gone or cancelled. */
const GONE = new Set(['ActivityNotFoundError', 'ActivityPausedError', 'ActivityResetError']);
const CANCELLED = 'ActivityCancelledError';
const TRIES = 3;
const PAUSE_MS = 300;

export async function confirmAttemptAlive(rpc: HeartbeatRpc, taskToken: Uint8Array): Promise<void> {
  await acknowledged('Temporal did not confirm the attempt before sending', () => rpc(taskToken, { phase: 'sending' }));
}

export async function announceSending(
  announce: SendingAnnouncer,
  workflow: { workflowId: string; runId: string },
  sending: SubmitSending,
): Promise<void> {
  await acknowledged('the workflow could not be told the request is leaving', () => announce(workflow, sending));
}

/** Runs `call` (tried a few times on transient errors); any lasting failure means "do not send". */
async function acknowledged(what: string, call: () => Promise<void>): Promise<void> {
  let last: unknown;
  for (let i = 0; i < TRIES; i++) {
    try {
      await call();
      return;
    } catch (err) {
      last = err;
      const name = (err as { name?: string } | undefined)?.name ?? '';
      if (name === CANCELLED) throw new CancelledFailure('the submit was cancelled before its request was sent');
      if (GONE.has(name)) throw notSent('Temporal no longer runs this attempt (it timed out); a new attempt sends instead');
      if (i < TRIES - 1) await new Promise((r) => setTimeout(r, PAUSE_MS));
    }
  }
  throw notSent(`${what} (${last instanceof Error ? last.message : String(last)})`);
}
