import { AxiosError, AxiosHeaders, type AxiosResponse } from 'axios';
import { FAILURE_TYPES, FailureType, NON_RETRYABLE_TYPES } from '../../common/errors';
import { fromAxiosError, parseErrorBody, parseRetryAfter, type CallKind } from '../../activities/seedance/provider-error';

function httpError(status: number, body: unknown, headers: Record<string, string> = {}): AxiosError {
  const response = {
    status,
    statusText: '',
    data: typeof body === 'string' ? body : JSON.stringify(body),
    headers: new AxiosHeaders(headers),
    config: { headers: new AxiosHeaders({ Authorization: 'sk-secret-key' }) },
  } as unknown as AxiosResponse;
  return new AxiosError(`Request failed with status code ${status}`, 'ERR_BAD_RESPONSE', undefined, {}, response);
}

function transportError(code: string): AxiosError {
  return new AxiosError(`transport ${code}`, code, { headers: new AxiosHeaders({ Authorization: 'sk-secret-key' }) } as never, {});
}

const classify = (err: unknown, call: CallKind = 'get', taskId?: string) => fromAxiosError(err, call, taskId);
const errBody = (code: string, message = 'm') => ({ error: { code, message, type: 'x' } });

describe('error classification', () => {
  test.each<[number, unknown, CallKind, FailureType]>([
    [429, errBody('RateLimitExceeded'), 'submit', FailureType.RateLimited],
    [500, errBody('InternalServiceError'), 'submit', FailureType.ProviderServerError],
    [502, '<html>bad gateway</html>', 'get', FailureType.ProviderServerError],
    [503, '', 'get', FailureType.ProviderServerError],
    [504, '', 'submit', FailureType.ProviderServerError],
    [503, errBody('ContentPolicyViolation', 'Content blocked due to safety concerns'), 'submit', FailureType.ContentPolicyViolation],
    [400, errBody('InputTextSensitiveContentDetected'), 'submit', FailureType.ContentPolicyViolation],
    [400, errBody('InvalidParameter', 'ratio'), 'submit', FailureType.InvalidRequest],
    [401, errBody('AuthenticationError'), 'submit', FailureType.Unauthorized],
    [403, errBody('AccountOverdueError', 'insufficient balance'), 'submit', FailureType.InsufficientBalance],
    [403, errBody('AccessDenied', 'no permission for this model'), 'submit', FailureType.PermissionDenied],
    [404, errBody('NotFound'), 'get', FailureType.TaskNotFound],
    [404, '', 'submit', FailureType.InvalidRequest],
    [403, '<Error>AccessDenied</Error>', 'download', FailureType.OutputGone],
    [404, '', 'download', FailureType.OutputGone],
  ])('HTTP %d %j on %s → %s', (status, body, call, type) => {
    expect(classify(httpError(status, body), call).type).toBe(type);
  });

  test('Retry-After sets the next delay exactly; a 429 without it backs off with jitter', () => {
    const withHeader = classify(httpError(429, errBody('RateLimitExceeded'), { 'retry-after': '7' }), 'submit');
    expect(withHeader.details.retryAfterMs).toBe(7000);
    expect(withHeader.toApplicationFailure().nextRetryDelay).toBe(7000);
    expect(withHeader.toApplicationFailure().nonRetryable).toBe(false);

    const without = classify(httpError(429, errBody('RateLimitExceeded')), 'submit');
    const delays = new Set(Array.from({ length: 20 }, () => without.toApplicationFailure(3).nextRetryDelay as number));
    for (const d of delays) expect(d).toBeGreaterThanOrEqual(4000);
    for (const d of delays) expect(d).toBeLessThanOrEqual(8000);
    expect(delays.size).toBeGreaterThan(1);
  });

  test('Retry-After as an HTTP date', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:05 GMT', now)).toBe(5000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
  });

  test('non-retryable types are flagged so Temporal stops at once', () => {
    for (const type of [
      FailureType.ContentPolicyViolation,
      FailureType.InvalidRequest,
      FailureType.Unauthorized,
      FailureType.InsufficientBalance,
      FailureType.PermissionDenied,
      FailureType.TaskNotFound,
      FailureType.SubmitOutcomeUnknown,
    ]) {
      expect(NON_RETRYABLE_TYPES).toContain(type);
    }
    for (const type of [FailureType.RateLimited, FailureType.ProviderServerError, FailureType.ConnectionFailed]) {
      expect(FAILURE_TYPES[type].retryable).toBe(true);
    }
    expect(classify(httpError(400, errBody('InputImageSensitiveContentDetected')), 'submit').toApplicationFailure().nonRetryable).toBe(
      true,
    );
  });

  test('answerless failures: refused is safe to retry, a lost submit is ambiguous, a lost GET is retried', () => {
    expect(classify(transportError('ECONNREFUSED'), 'submit').type).toBe(FailureType.ConnectionFailed);
    expect(classify(transportError('ECONNABORTED'), 'submit').type).toBe(FailureType.SubmitOutcomeUnknown);
    expect(classify(transportError('ECONNRESET'), 'submit').type).toBe(FailureType.SubmitOutcomeUnknown);
    expect(classify(transportError('ECONNABORTED'), 'get').type).toBe(FailureType.RequestTimedOut);
  });

  test('the failure carries provider code, message, task id and raw body, never the key', () => {
    const e = classify(httpError(500, '<html><body>upstream exploded</body></html>'), 'get', 'cgt-1');
    expect(e.details).toMatchObject({ httpStatus: 500, taskId: 'cgt-1', rawBody: expect.stringContaining('upstream exploded') });
    const f = classify(httpError(400, errBody('InvalidParameter', 'bad ratio')), 'submit');
    expect(f.details).toMatchObject({ providerCode: 'InvalidParameter', providerMessage: 'bad ratio' });
    expect(f.message).toContain('bad ratio');
    for (const err of [e, f, classify(transportError('ECONNRESET'), 'submit')]) {
      expect(JSON.stringify(err.toApplicationFailure())).not.toContain('sk-secret-key');
      expect(err.message).not.toContain('sk-secret-key');
    }
  });

  test('error bodies: object, string, top-level, HTML, empty; long bodies truncated', () => {
    expect(parseErrorBody('{"error":{"code":"C","message":"M"}}')).toMatchObject({ code: 'C', message: 'M' });
    expect(parseErrorBody('{"error":"plain"}')).toMatchObject({ message: 'plain' });
    expect(parseErrorBody('{"code":401,"message":"bad key"}')).toMatchObject({ code: '401', message: 'bad key' });
    expect(parseErrorBody('<html>x</html>')).toEqual({ rawBody: '<html>x</html>' });
    expect(parseErrorBody('')).toEqual({ rawBody: '' });
    expect((parseErrorBody('x'.repeat(5000)).rawBody ?? '').length).toBeLessThan(600);
  });
});
