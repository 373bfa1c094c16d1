/**
 * Turns whatever HTTP answered (or failed to) into one FailureType, then into the
 * ApplicationFailure that Temporal's retry machinery understands.
 */
import type { ApplicationFailure } from '@temporalio/common';
import { type AxiosError, isAxiosError } from 'axios';
import { contentPolicyStage } from '../../common/content-policy';
import { FailureType, failure, isBalanceReason, isContentPolicyCode, type FailureDetails } from '../../common/errors';

const RAW_BODY_LIMIT = 500;

/**
 * Provider codes and messages are cut to this many characters before they are classified or
 * stored: they flow into history, the manifest and the report, and a 292 KiB message once
 * stalled the event loop in a regex. A real provider message is a sentence.
 */
export const PROVIDER_TEXT_LIMIT = 500;

/** Which call failed decides how an answerless failure reads: a lost GET is harmless, a lost POST is not. */
export type CallKind = 'submit' | 'get' | 'list' | 'cancel' | 'download';

export class ProviderError extends Error {
  constructor(
    readonly details: FailureDetails,
    message: string,
  ) {
    super(message);
    this.name = 'ProviderError';
  }

  get type(): FailureType {
    return this.details.type;
  }

  /**
   * The failure Temporal sees. Retry-After sets the next delay exactly; a 429 without it
   * backs off exponentially with full jitter so a batch of shots does not retry in lockstep.
   */
  toApplicationFailure(attempt = 1): ApplicationFailure {
    const { type, retryAfterMs } = this.details;
    let nextRetryDelay: number | undefined = retryAfterMs;
    if (type === FailureType.RateLimited && retryAfterMs === undefined) {
      const ceiling = Math.min(60_000, 1000 * 2 ** Math.min(attempt, 6));
      nextRetryDelay = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
    }
    const delay = nextRetryDelay !== undefined ? { nextRetryDelay } : {};
    const details = { ...this.details, ...(nextRetryDelay !== undefined ? { nextRetryDelayMs: nextRetryDelay } : {}) };
    // Used as given: the message names its type already (all but the one for an unexpected error).
    return failure(type, this.message, details, { prefixed: true, ...delay });
  }
}

/** Connection errors raised before a single byte of the request can have reached the provider. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ERR_INVALID_URL']);

/** `{"error":{"code","message"}}`, `{"error":"text"}`, `{"code","message"}`, HTML or nothing. */
export function parseErrorBody(data: unknown): { code?: string; message?: string; rawBody?: string } {
  let text: string | undefined;
  let body: unknown = data;
  if (Buffer.isBuffer(data)) text = data.toString('utf8');
  else if (typeof data === 'string') text = data;
  if (text !== undefined) {
    try {
      body = JSON.parse(text);
    } catch {
      return { rawBody: truncate(text) };
    }
  }
  const rawBody = truncate(text ?? safeStringify(body));
  if (!body || typeof body !== 'object') return { rawBody };
  const record = body as Record<string, unknown>;
  const inner = record.error;
  if (inner && typeof inner === 'object') {
    const e = inner as Record<string, unknown>;
    return { code: asText(e.code) ?? asText(e.type), message: asText(e.message), rawBody };
  }
  if (typeof inner === 'string' && inner) return { message: inner, rawBody };
  return { code: asText(record.code), message: asText(record.message) ?? asText(record.msg), rawBody };
}

function asText(v: unknown): string | undefined {
  if (typeof v === 'string' && v) return truncate(v, PROVIDER_TEXT_LIMIT);
  if (typeof v === 'number') return String(v);
  return undefined;
}

function safeStringify(v: unknown): string {
  try {
    return JSON.stringify(v) ?? '';
  } catch {
    return String(v);
  }
}

/** At most `limit` characters plus an ellipsis, never splitting a surrogate pair. */
export function truncate(text: string, limit = RAW_BODY_LIMIT): string {
  if (text.length <= limit) return text;
  const end = /[\uD800-\uDBFF]/.test(text.charAt(limit - 1)) ? limit - 1 : limit;
  return `${text.slice(0, end)}…`;
}

/** Retry-After is seconds or an HTTP date; anything else is ignored (we back off instead). */
export function parseRetryAfter(value: unknown, now = Date.now()): number | undefined {
  if (typeof value !== 'string' && typeof value !== 'number') return undefined;
  const text = String(value).trim();
  // An HTTP date is 29 characters; anything much longer is not a Retry-After worth parsing.
  if (text.length > 64) return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.round(Number(text) * 1000);
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Classify an HTTP status plus body into the vocabulary. */
export function classifyStatus(status: number, body: { code?: string; message?: string }, call: CallKind): FailureType {
  const reason = `${body.code ?? ''} ${body.message ?? ''}`;
  if (status === 429) return FailureType.RateLimited;
  if (status === 401) return FailureType.Unauthorized;
  if (status === 403) {
    if (call === 'download') return FailureType.OutputGone;
    return isBalanceReason(reason) ? FailureType.InsufficientBalance : FailureType.PermissionDenied;
  }
  if (status === 404 || status === 410) {
    if (call === 'download') return FailureType.OutputGone;
    return call === 'submit' ? FailureType.InvalidRequest : FailureType.TaskNotFound;
  }
  // Content policy arrives as 400 in practice and as 503 in the gateway's documentation.
  if ((status === 400 || status === 503) && isContentPolicyCode(reason)) return FailureType.ContentPolicyViolation;
  if (status === 408 || status >= 500) return FailureType.ProviderServerError;
  return FailureType.InvalidRequest;
}

/** What an HTTP answer carried, however it was read (axios' buffered text, a stream's prefix). */
export interface HttpAnswer {
  status: number;
  headers: Record<string, unknown>;
  data: unknown;
}

/** A non-2xx answer → ProviderError, classified by status and body. */
export function fromHttpAnswer(response: HttpAnswer, call: CallKind, taskId?: string): ProviderError {
  const body = parseErrorBody(response.data);
  const type = classifyStatus(response.status, body, call);
  const retryAfterMs = type === FailureType.RateLimited ? parseRetryAfter(headerOf(response.headers, 'retry-after')) : undefined;
  const details: FailureDetails = {
    type,
    httpStatus: response.status,
    ...(body.code ? { providerCode: body.code } : {}),
    ...(body.message ? { providerMessage: body.message } : {}),
    ...(taskId ? { taskId } : {}),
    ...(body.rawBody !== undefined ? { rawBody: body.rawBody } : {}),
    ...(retryAfterMs !== undefined ? { retryAfterMs } : {}),
    // What was refused (the prompt, an image, ...): the code tells, and what can be done about it depends on it.
    ...(type === FailureType.ContentPolicyViolation ? { stage: contentPolicyStage(body.code, body.message) } : {}),
  };
  const what = [body.code, body.message].filter(Boolean).join(': ') || body.rawBody || '(empty body)';
  return new ProviderError(details, `${type}: HTTP ${response.status} on ${call}${taskId ? ` of ${taskId}` : ''}: ${what}`);
}

function headerOf(headers: Record<string, unknown>, name: string): unknown {
  const h = headers as { get?: (n: string) => unknown };
  return typeof h.get === 'function' ? h.get(name) : headers[name];
}

/** Any error from an axios call → ProviderError. Never copies request config or headers. */
export function fromAxiosError(err: unknown, call: CallKind, taskId?: string): ProviderError {
  if (err instanceof ProviderError) return err;
  if (!isAxiosError(err)) {
    const message = err instanceof Error ? err.message : String(err);
    return new ProviderError(
      { type: FailureType.ProviderServerError, ...(taskId ? { taskId } : {}) },
      `unexpected error: ${truncate(message, PROVIDER_TEXT_LIMIT)}`,
    );
  }
  const axiosErr = err as AxiosError;
  const response = axiosErr.response;
  if (!response) return fromTransportError(axiosErr, call, taskId);
  return fromHttpAnswer(
    { status: response.status, headers: response.headers as Record<string, unknown>, data: response.data },
    call,
    taskId,
  );
}

/** axios' words when an answer passes maxContentLength (see http.ts); anchored, so linear. */
const TOO_LARGE = /^maxContentLength size of (\d+) exceeded$/;
/** axios' words when a request body passes maxBodyLength: raised before anything is sent. */
const BODY_TOO_LARGE = 'Request body larger than maxBodyLength limit';

function fromTransportError(err: AxiosError, call: CallKind, taskId?: string): ProviderError {
  const code = err.code ?? 'UNKNOWN';
  const of = taskId ? ` of ${taskId}` : '';
  const tooLarge = code === 'ERR_BAD_RESPONSE' ? TOO_LARGE.exec(err.message) : null;
  if (tooLarge) {
    const type = FailureType.ResponseTooLarge;
    const hint = call === 'submit' ? ' — the request was sent, so the task may exist and be billed; it is not resubmitted' : '';
    return new ProviderError(
      { type, providerCode: code, ...(taskId ? { taskId } : {}) },
      `${type}: the answer to ${call}${of} is over the ${tooLarge[1]}-byte limit on provider answers; it was not read${hint}`,
    );
  }
  if (code === 'ERR_BAD_REQUEST' && err.message === BODY_TOO_LARGE) {
    return new ProviderError(
      { type: FailureType.InvalidRequest, providerCode: code, ...(taskId ? { taskId } : {}) },
      `${FailureType.InvalidRequest}: the ${call} request${of} is larger than the provider's request limit; it was not sent`,
    );
  }
  const neverSent = NEVER_SENT_CODES.has(code);
  let type: FailureType;
  if (neverSent) type = FailureType.ConnectionFailed;
  else if (call === 'submit') type = FailureType.SubmitOutcomeUnknown;
  else type = FailureType.RequestTimedOut;
  const hint =
    type === FailureType.SubmitOutcomeUnknown
      ? ' — the request was sent but no answer came; the task may exist and be billed, so it is not resubmitted'
      : '';
  return new ProviderError(
    { type, providerCode: code, ...(taskId ? { taskId } : {}) },
    `${type}: ${call} failed with ${code} (${truncate(err.message, PROVIDER_TEXT_LIMIT)})${hint}`,
  );
}
