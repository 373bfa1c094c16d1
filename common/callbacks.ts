/**
 * Provider callbacks, the part workflows see (no I/O: workflows import this module).
 *
 * A tasks-family submit may carry `callback_url`; the provider then POSTs the task body on
 * every status change. seedance-flow gives every submit attempt its own unguessable URL
 * (workers: activities/seedance/callback-token.ts), receives the POSTs in the `callbacks`
 * worker role, and signals the shot's workflow. A callback is a hint, never proof: the
 * workflow confirms a terminal status with one GET before it copies or fails, and keeps a
 * slow safety-net poll, so a lost callback costs latency, never the video.
 */
import type { TaskStatus } from './states';

/** The signal the callback receiver sends a shot's workflow; the payload is {@link ProviderCallback}. */
export const PROVIDER_CALLBACK_SIGNAL = 'providerCallback';

/** What one callback said, checked and bounded by the receiver. */
export interface ProviderCallback {
  /** The submit attempt whose callback URL it came to (the token says which). */
  attempt: number;
  taskId: string;
  status: TaskStatus;
  /** The provider's own word for the status. */
  rawStatus: string;
  /** When the receiver got it, epoch milliseconds (receiver clock). */
  receivedAt: number;
}

/**
 * How a submit that carried a callback URL is watched: set by the worker's configuration
 * and returned by the submit attempt, so the workflow needs no configuration of its own and
 * no secret enters history.
 */
export interface CallbackPlan {
  /** The safety-net poll: first look after this long (a lost callback costs at most this). */
  safetyInitialDelayMs: number;
  /** ... and then at most this far apart. */
  safetyMaxIntervalMs: number;
  /** After an ambiguous submit: how long to wait for a callback carrying that attempt's token. */
  adoptWaitMs: number;
}

/** How the task was last heard from, for the progress query. */
export type HeardFrom = 'submit' | 'poll' | 'callback';
