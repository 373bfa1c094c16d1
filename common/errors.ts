/**
 * The one error vocabulary of seedance-flow.
 *
 * Every failure that crosses an activity or workflow boundary carries one of these `type`
 * strings (as `ApplicationFailure.type`), so callers, retry policies and tests match on a
 * stable name rather than on message text or minified class names. Whether a type is
 * retried is decided here and nowhere else; {@link failure} builds every failure from it.
 *
 * No I/O: workflows import this module.
 */
import { ApplicationFailure } from '@temporalio/common';
import type { ContentPolicyStage } from './content-policy';

export const FailureType = {
  /** HTTP 429: request rate, queue depth or quota. The provider accepted nothing. */
  RateLimited: 'RateLimited',
  /** HTTP 500/502/503(non-policy)/504: the provider did not accept the request. */
  ProviderServerError: 'ProviderServerError',
  /** Connection refused / DNS failure before the request left: nothing can have been accepted. */
  ConnectionFailed: 'ConnectionFailed',
  /** A read-only call (GET, download) timed out or lost its connection: safe to repeat. */
  RequestTimedOut: 'RequestTimedOut',
  /** A submit was sent but no answer came back: the task may exist and be billed. Never resubmitted. */
  SubmitOutcomeUnknown: 'SubmitOutcomeUnknown',
  /** HTTP 400 that is not content policy, or input that fails our own validation. */
  InvalidRequest: 'InvalidRequest',
  /**
   * Input or output blocked by moderation: HTTP 400, the gateway's documented 503, or a task
   * failed on output. Its details carry the `stage` (common/content-policy.ts): what was blocked.
   */
  ContentPolicyViolation: 'ContentPolicyViolation',
  /** HTTP 401: API key missing or wrong. */
  Unauthorized: 'Unauthorized',
  /** HTTP 403 without a balance reason: the key may not use this model or resource. */
  PermissionDenied: 'PermissionDenied',
  /** HTTP 403 for money: a batch should pause, not fail every remaining shot. */
  InsufficientBalance: 'InsufficientBalance',
  /** HTTP 404 on a task: unknown id or a record older than ~7 days. */
  TaskNotFound: 'TaskNotFound',
  /** The task ended `failed` for a reason other than moderation. */
  TaskFailed: 'TaskFailed',
  /** The task ended `expired` (execution_expires_after passed while it waited). */
  TaskExpired: 'TaskExpired',
  /** The task ended `cancelled` without us asking. */
  TaskCancelled: 'TaskCancelled',
  /** The provider reported a status we do not know, repeatedly. */
  UnknownTaskStatus: 'UnknownTaskStatus',
  /** A 2xx answer whose body does not match the contract (malformed JSON, missing fields). */
  MalformedResponse: 'MalformedResponse',
  /** Our overall polling deadline passed; the task id is kept so nothing is resubmitted. */
  PollDeadlineExceeded: 'PollDeadlineExceeded',
  /** Download answered 403/404: the ~24 h output link is dead. */
  OutputGone: 'OutputGone',
  /** The output URL is not http(s), or the task succeeded without one. */
  InvalidOutputUrl: 'InvalidOutputUrl',
  /** The output is larger than the configured limit. */
  OutputTooLarge: 'OutputTooLarge',
  /**
   * The output URL, or a redirect on the way, leads to an address the worker must not fetch
   * (loopback, private, link-local, cloud metadata, ...) or downgrades https to http.
   */
  UnsafeOutputUrl: 'UnsafeOutputUrl',
  /** A provider answer was larger than the limit on what the worker reads from the provider. */
  ResponseTooLarge: 'ResponseTooLarge',
  /** Object storage refused or failed a write or read. */
  StorageError: 'StorageError',
  /**
   * Object storage could not be reached, timed out or failed while a submit was being
   * prepared (reading staged images): nothing was sent to the provider.
   */
  StorageUnavailable: 'StorageUnavailable',
  /**
   * A submit attempt stopped before its request left: its time was nearly up, Temporal no
   * longer knew the attempt, or the worker died while preparing. Nothing can have been billed.
   */
  SubmitNotSent: 'SubmitNotSent',
  /** A manifest that fails validation: report.html cannot be made from it. */
  InvalidManifest: 'InvalidManifest',
  /** A storage key that resolves outside the storage root (a symlink out of a file:// root). */
  KeyOutsideStorage: 'KeyOutsideStorage',

  // ---- how a workflow ended, as the storyboard and the CLI name it (never raised by an activity) ----
  /** The render or shot was cancelled: by its caller, or with its storyboard. */
  Cancelled: 'Cancelled',
  /** The workflow was terminated (by an operator, or a reset). */
  Terminated: 'Terminated',
  /** The workflow passed its execution or run timeout. */
  WorkflowTimedOut: 'WorkflowTimedOut',
  /** A storyboard shot's workflow id is already running elsewhere (another run of the storyboard, a stray start). */
  ShotAlreadyRunning: 'ShotAlreadyRunning',
  /** A shot's child workflow failed without a cause that says more. */
  ChildFailed: 'ChildFailed',

  // ---- names given by others ----
  /**
   * A failure without a type of ours: Temporal names a plain `Error` thrown by an activity
   * after its class, and an ApplicationFailure may come without a type.
   */
  Error: 'Error',
  /**
   * Raised by the Temporal worker, not by us: it has no activity of that name (an older
   * worker during a rolling upgrade, e.g. one without `createTask`).
   */
  NotFoundError: 'NotFoundError',
} as const;

export type FailureType = (typeof FailureType)[keyof typeof FailureType];

export interface FailureTypeInfo {
  /** Whether an activity that fails with this type is tried again by Temporal (an `outcome` is never raised by one). */
  retryable: boolean;
  /** Why: the reasoning a reader needs before changing the flag. */
  why: string;
  /**
   * The type names how a workflow ended (given by Temporal or by a workflow about its
   * child) and no activity raises it, so activity retry policies leave it out.
   */
  outcome?: true;
}

export const FAILURE_TYPES: Record<FailureType, FailureTypeInfo> = {
  RateLimited: { retryable: true, why: 'Nothing was accepted; Retry-After or backoff with jitter.' },
  ProviderServerError: { retryable: true, why: 'A 5xx means the request was not accepted; the seeds ask to retry.' },
  ConnectionFailed: { retryable: true, why: 'The request never reached the provider.' },
  RequestTimedOut: { retryable: true, why: 'Only used for idempotent calls (GET, download), which are safe to repeat.' },
  SubmitOutcomeUnknown: {
    retryable: false,
    why: 'The provider may have accepted (and billed) the task; repeating the POST could pay twice.',
  },
  InvalidRequest: { retryable: false, why: 'The same input fails the same way.' },
  ContentPolicyViolation: { retryable: false, why: 'Moderation is deterministic enough that retrying only costs money.' },
  Unauthorized: { retryable: false, why: 'A wrong key does not fix itself.' },
  PermissionDenied: { retryable: false, why: 'Needs a human to grant access.' },
  InsufficientBalance: { retryable: false, why: 'Needs a top-up; storyboards pause on it instead of failing.' },
  TaskNotFound: { retryable: false, why: 'The record is unknown or aged out; repeating the GET will not bring it back.' },
  TaskFailed: { retryable: false, why: 'The provider gave up on the task; a new task is a new, paid decision.' },
  TaskExpired: { retryable: false, why: 'The task waited past execution_expires_after.' },
  TaskCancelled: { retryable: false, why: 'Someone cancelled the task at the provider.' },
  UnknownTaskStatus: { retryable: false, why: 'Reported with the raw status so a human can decide; never a crash loop.' },
  MalformedResponse: { retryable: true, why: 'Proxies garble answers now and then; a GET is safe to repeat.' },
  PollDeadlineExceeded: { retryable: false, why: 'The task id is kept; query it later instead of paying again.' },
  OutputGone: { retryable: false, why: 'An expired link stays expired.' },
  InvalidOutputUrl: { retryable: false, why: 'We only fetch http(s) URLs the provider gave us.' },
  OutputTooLarge: { retryable: false, why: 'The limit protects storage and cost; raise it deliberately.' },
  UnsafeOutputUrl: {
    retryable: false,
    why: 'The same URL leads to the same address; fetching inside our network is refused unless configuration allows that host.',
  },
  ResponseTooLarge: {
    retryable: false,
    why: 'An answer that large is not a glitch; after a submit the request went out, so the task may exist and be billed (as with SubmitOutcomeUnknown) and it is never resubmitted.',
  },
  StorageError: { retryable: true, why: 'Object storage outages are usually short; the copy restarts cleanly.' },
  StorageUnavailable: {
    retryable: true,
    why: 'An unreachable store says nothing about the input; the shot waits for it instead of failing, and nothing was sent.',
  },
  InvalidManifest: {
    retryable: false,
    why: 'The same manifest fails the same way; the videos are unaffected, only the report is skipped.',
  },
  KeyOutsideStorage: { retryable: false, why: 'A link out of the storage root stays there; writing through it would escape the root.' },
  SubmitNotSent: { retryable: true, why: 'The request provably never left, so a new attempt cannot pay twice.' },
  Cancelled: { retryable: false, outcome: true, why: 'Someone asked for it to stop; rendering it again is their decision.' },
  Terminated: { retryable: false, outcome: true, why: 'An operator ended it; rendering it again is their decision.' },
  WorkflowTimedOut: { retryable: false, outcome: true, why: 'The timeout was set by the caller; a re-run is a new decision.' },
  ShotAlreadyRunning: {
    retryable: false,
    outcome: true,
    why: 'The running execution renders and stores the shot; starting a second one could pay twice.',
  },
  ChildFailed: { retryable: false, outcome: true, why: 'The shot is recorded as failed; `seedance-flow retry` renders it again.' },
  Error: {
    retryable: true,
    why: 'Temporal retries an untyped activity error by default; our activities type every failure they mean, so an untyped one is read in its message.',
  },
  NotFoundError: {
    retryable: true,
    why: 'Another worker may have the activity; renderVideo reads it on a submit as nothing sent, since the worker refused before doing anything.',
  },
};

/** Types that Temporal must never retry, for activity retry policies. */
export const NON_RETRYABLE_TYPES: FailureType[] = (Object.keys(FAILURE_TYPES) as FailureType[]).filter(
  (t) => !FAILURE_TYPES[t].retryable && !FAILURE_TYPES[t].outcome,
);

/** Whether Temporal retries an activity failing with this type (by the policies above): a type we do not know is retried. */
export function isRetryable(type: string): boolean {
  return !(NON_RETRYABLE_TYPES as string[]).includes(type);
}

/**
 * A failure type as read back from a failure or a manifest: one of ours, or, for a failure
 * nobody typed, a name we did not choose (the SDK's class name, such as `TerminatedFailure`,
 * for a child that ended oddly; a type from another version).
 */
export type FailureTypeName = FailureType | (string & {});

/** True for a type in the table. */
export function isFailureType(type: string | undefined): type is FailureType {
  return type !== undefined && Object.prototype.hasOwnProperty.call(FAILURE_TYPES, type);
}

export interface FailureOptions {
  /** Overrides the table: a workflow ends its render non-retryable whatever the type. */
  nonRetryable?: boolean;
  /** The delay Temporal waits before the next attempt (Retry-After, or jittered backoff), in milliseconds. */
  nextRetryDelay?: number;
  /**
   * The message names its type already and is used as given (a ProviderError's, built with
   * its prefix); otherwise it is prefixed `"<type>: "`.
   */
  prefixed?: true;
}

/**
 * The one way a failure of ours is made: an ApplicationFailure of `type`, its message
 * prefixed `"<type>: "`, `nonRetryable` as the table says (unless `options` says otherwise),
 * and `details` (when given) as `details[0]`.
 *
 * @example
 *   throw failure(FailureType.StorageError, `copying the output of ${taskId} failed: ${why}`, { type: FailureType.StorageError, taskId });
 */
export function failure(type: FailureType, message: string, details?: FailureDetails, options: FailureOptions = {}): ApplicationFailure {
  return ApplicationFailure.create({
    type,
    message: options.prefixed ? message : `${type}: ${message}`,
    nonRetryable: options.nonRetryable ?? !FAILURE_TYPES[type].retryable,
    ...(details ? { details: [details] } : {}),
    ...(options.nextRetryDelay !== undefined ? { nextRetryDelay: options.nextRetryDelay } : {}),
  });
}

/**
 * The structured details attached to every provider failure (as `ApplicationFailure.details[0]`).
 * Holds what a human needs to act: never the API key or request headers.
 */
export interface FailureDetails {
  type: FailureType;
  httpStatus?: number;
  providerCode?: string;
  providerMessage?: string;
  taskId?: string;
  /** Raw response text, truncated, for HTML or empty error bodies from proxies. */
  rawBody?: string;
  /** Delay the provider asked for (Retry-After), in milliseconds. */
  retryAfterMs?: number;
  /** The delay this failure asks for before the next attempt (Retry-After, or jittered backoff). */
  nextRetryDelayMs?: number;
  /** The raw status string, for UnknownTaskStatus. */
  rawStatus?: string;
  /** For ContentPolicyViolation: what moderation blocked, from the provider's code (common/content-policy.ts). */
  stage?: ContentPolicyStage;
  /** For an invalid storyboard handed over as a file or inline: every problem with its path (as `validate` lists them). */
  problems?: Array<{ path: string; message: string }>;
}

/**
 * Provider error codes (tasks family and observed gateways) that mean moderation. An
 * alternation of fixed words: linear in the text. Workflows call it on snapshot codes and
 * messages, which the activities truncate, so it is left exactly as histories replay it.
 */
export function isContentPolicyCode(code: string | undefined | null): boolean {
  if (!code) return false;
  return /sensitive|content[_ ]?policy|moderation|nsfw|safety/i.test(code);
}

/** How much of a text isBalanceReason looks at: a truncated code plus message fits well inside. */
const BALANCE_SCAN_LIMIT = 4096;

/** Provider messages/codes on a 403 that mean money rather than permission. */
export function isBalanceReason(text: string | undefined | null): boolean {
  if (!text) return false;
  // Linear on purpose: `quota.*exhaust` as a regex rescans the rest of the text from every
  // "quota" (a 292 KiB message blocked the event loop for 6 s). Callers pass truncated text;
  // the bound here keeps any other caller safe too.
  const t = text.slice(0, BALANCE_SCAN_LIMIT).toLowerCase();
  if (/balance|overdue|arrear|insufficient|payment|billing|credit/.test(t)) return true;
  const quota = t.indexOf('quota');
  return quota >= 0 && t.indexOf('exhaust', quota + 5) >= 0;
}
