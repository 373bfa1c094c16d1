import { AxiosError, AxiosHeaders, type AxiosResponse } from 'axios';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { FAILURE_TYPES, FailureType, NON_RETRYABLE_TYPES, failure, isFailureType, isRetryable } from '../../common/errors';
import { fromAxiosError, parseErrorBody, parseRetryAfter, type CallKind } from '../../activities/seedance/provider-error';
import { invalidRequest, notSent, storageUnavailable } from '../../activities/seedance/submit-failures';

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

describe('the failure table and its factory', () => {
  test('failure(): the type, the prefixed message, nonRetryable from the table, details as details[0]', () => {
    for (const type of Object.keys(FAILURE_TYPES) as FailureType[]) {
      const f = failure(type, 'what happened', { type, taskId: 't-1' });
      expect(f.type).toBe(type);
      expect(f.message).toBe(`${type}: what happened`);
      expect(f.nonRetryable).toBe(!FAILURE_TYPES[type].retryable);
      expect(f.details).toEqual([{ type, taskId: 't-1' }]);
      expect(f.nextRetryDelay).toBeUndefined();
    }
    expect(failure(FailureType.OutputTooLarge, 'x').details).toBeUndefined();
  });

  test('failure() options: a workflow ends non-retryable; a retry delay; a message that names its type already', () => {
    expect(failure(FailureType.StorageError, 'x', undefined, { nonRetryable: true }).nonRetryable).toBe(true);
    const delayed = failure(FailureType.RateLimited, 'slow down', { type: FailureType.RateLimited }, { nextRetryDelay: 7000 });
    expect(delayed.nextRetryDelay).toBe(7000);
    expect(delayed.nonRetryable).toBe(false);
    expect(failure(FailureType.RateLimited, 'RateLimited: as given', undefined, { prefixed: true }).message).toBe('RateLimited: as given');
  });

  test('the submit failures keep their shape: type, prefix, retryability, the type as details', () => {
    for (const [make, type] of [
      [invalidRequest, FailureType.InvalidRequest],
      [storageUnavailable, FailureType.StorageUnavailable],
      [notSent, FailureType.SubmitNotSent],
    ] as const) {
      const f = make('because');
      expect({ type: f.type, message: f.message, nonRetryable: f.nonRetryable, details: f.details }).toEqual({
        type,
        message: `${type}: because`,
        nonRetryable: !FAILURE_TYPES[type].retryable,
        details: [{ type }],
      });
    }
  });

  test("activity retry policies' non-retryable list is exactly what it was (types that name an outcome stay out)", () => {
    // These lists go into the retry policy of every getTask, cancelTask and copyToStorage
    // the workflows schedule: a change is a change of behaviour, not of vocabulary.
    expect([...NON_RETRYABLE_TYPES].sort()).toEqual(
      [
        'SubmitOutcomeUnknown',
        'InvalidRequest',
        'ContentPolicyViolation',
        'Unauthorized',
        'PermissionDenied',
        'InsufficientBalance',
        'TaskNotFound',
        'TaskFailed',
        'TaskExpired',
        'TaskCancelled',
        'UnknownTaskStatus',
        'PollDeadlineExceeded',
        'OutputGone',
        'InvalidOutputUrl',
        'OutputTooLarge',
        'UnsafeOutputUrl',
        'ResponseTooLarge',
        'InvalidManifest',
        'KeyOutsideStorage',
      ].sort(),
    );
    for (const type of Object.keys(FAILURE_TYPES)) expect(isRetryable(type)).toBe(!(NON_RETRYABLE_TYPES as string[]).includes(type));
    // Unknown types, untyped errors and the worker's own "no such activity" are retried, as Temporal does.
    for (const type of ['TypeError', '', FailureType.Error, FailureType.NotFoundError]) expect(isRetryable(type)).toBe(true);
  });

  test('every entry says why; the keys are the values', () => {
    for (const [key, value] of Object.entries(FailureType)) expect(key).toBe(value);
    for (const info of Object.values(FAILURE_TYPES)) expect(info.why.length).toBeGreaterThan(20);
    expect(isFailureType('Cancelled')).toBe(true);
    expect(isFailureType('TerminatedFailure')).toBe(false);
    expect(isFailureType('toString')).toBe(false);
  });

  test('the code names failure types through the table, never as string literals', () => {
    const ROOT = path.resolve(__dirname, '../..');
    const files = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => {
        const full = path.join(dir, name);
        return statSync(full).isDirectory() ? files(full) : full.endsWith('.ts') ? [full] : [];
      });
    // `failureType: 'X'`, `x.type === 'X'`, `cause.type ?? 'X'` (not display labels such as report.html's `failureType ?? 'Failed'`).
    const literal = /(?:\bfailureType\s*(?::|===|!==)|\.type\s*(?:===|!==|\?\?))\s*'([A-Z][A-Za-z]+)'/g;
    const found: string[] = [];
    for (const dir of ['workflows', 'client', 'activities']) {
      for (const file of files(path.join(ROOT, dir))) {
        for (const m of readFileSync(file, 'utf8').matchAll(literal)) found.push(`${path.relative(ROOT, file)}: ${m[0]}`);
      }
    }
    expect(found).toEqual([]);
  });
});
