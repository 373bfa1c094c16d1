/**
 * One HTTP exchange with the provider: send, classify failures, parse the body with zod.
 * Shared by both families so they classify identically.
 */
import type { AxiosInstance, Method } from 'axios';
import type { z } from 'zod';
import { FailureType } from '../../common/errors';
import { fromAxiosError, ProviderError, truncate, type CallKind } from './provider-error';

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

function parseBody<S extends z.ZodType>(
  text: string,
  opts: { call: CallKind; taskId?: string; schema: S },
): z.output<S> {
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
    problem = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
  }
  // A 2xx to a submit that we cannot read may still have created (and billed) a task.
  const type = opts.call === 'submit' ? FailureType.SubmitOutcomeUnknown : FailureType.MalformedResponse;
  throw new ProviderError(
    { type, rawBody: truncate(text), ...(opts.taskId ? { taskId: opts.taskId } : {}) },
    `${type}: unreadable 2xx answer to ${opts.call}${opts.taskId ? ` of ${opts.taskId}` : ''}: ${problem}`,
  );
}
