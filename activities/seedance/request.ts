/**
 * One HTTP exchange with the provider: send, classify failures, parse the body with zod.
 * Shared by both families so they classify identically.
 */
import type { AxiosInstance, Method } from 'axios';
import type { z } from 'zod';
import { FailureType } from '../../common/errors';
import { fromAxiosError, PROVIDER_TEXT_LIMIT, ProviderError, truncate, type CallKind } from './provider-error';
import { isValidTaskId } from './schemas';

const ID_RULE = '1-128 of A-Z a-z 0-9 . _ : -, starting with a letter or digit';

/** An id for display: bounded and JSON-quoted, so control characters show as escapes. */
function shownId(id: unknown): string {
  return typeof id === 'string' ? JSON.stringify(truncate(id, 80)) : typeof id;
}

/**
 * The task id of a submit's answer, checked before it can ever become part of a URL. An
 * invalid one fails the submit as SubmitOutcomeUnknown: the provider accepted something and
 * may bill it, so it is never resubmitted, but we cannot address that task.
 */
export function submittedTaskId(id: unknown): string {
  if (isValidTaskId(id)) return id;
  const type = FailureType.SubmitOutcomeUnknown;
  throw new ProviderError(
    { type, rawBody: truncate(typeof id === 'string' ? id : String(id)) },
    `${type}: the submit was answered with an invalid task id ${shownId(id)} (task ids are ${ID_RULE}); the task may exist and be billed, so it is not resubmitted`,
  );
}

/**
 * A task id that is about to become part of a URL (GET, DELETE), wherever it came from
 * (history, a caller's input). `..` would change the path on the provider's host, with the
 * key attached. An invalid one is InvalidRequest and nothing is sent.
 */
export function requestedTaskId(id: unknown, call: CallKind): string {
  if (isValidTaskId(id)) return id;
  const type = FailureType.InvalidRequest;
  throw new ProviderError({ type }, `${type}: refusing to ${call} task ${shownId(id)}: not a task id (${ID_RULE}); nothing was sent`);
}

export async function providerRequest<S extends z.ZodType>(
  http: AxiosInstance,
  opts: { method: Method; url: string; data?: unknown; call: CallKind; taskId?: string; schema: S },
): Promise<z.output<S>> {
  let text: string;
  try {
    const res = await http.request<string>({ method: opts.method, url: opts.url, data: opts.data });
    text = typeof res.data === 'string' ? res.data : JSON.stringify(res.data ?? '');
  } catch (err) {
    throw fromAxiosError(err, opts.call, opts.taskId);
  }
  return parseBody(text, opts);
}

function parseBody<S extends z.ZodType>(text: string, opts: { call: CallKind; taskId?: string; schema: S }): z.output<S> {
  let json: unknown;
  let problem: string | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    problem = 'body is not JSON';
  }
  if (!problem) {
    const parsed = opts.schema.safeParse(json);
    if (parsed.success) return parsed.data;
    // Bounded: issue paths name the provider's keys, and a hostile answer can have many.
    problem = truncate(
      parsed.error.issues
        .slice(0, 10)
        .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`)
        .join('; '),
      PROVIDER_TEXT_LIMIT,
    );
  }
  // A 2xx to a submit that we cannot read may still have created (and billed) a task.
  const type = opts.call === 'submit' ? FailureType.SubmitOutcomeUnknown : FailureType.MalformedResponse;
  throw new ProviderError(
    { type, rawBody: truncate(text), ...(opts.taskId ? { taskId: opts.taskId } : {}) },
    `${type}: unreadable 2xx answer to ${opts.call}${opts.taskId ? ` of ${opts.taskId}` : ''}: ${problem}`,
  );
}
