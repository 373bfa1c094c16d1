/**
 * What a hostile or broken provider can send back, through the real HTTP client against a
 * local server: answers too large to read, enormous messages, the API key echoed back, and
 * task ids that would change the request path. Each must end as a clear, typed failure
 * that is bounded in size and time and never carries the key.
 */
import { AxiosError } from 'axios';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import {
  createProviderHttp,
  MAX_PROVIDER_REQUEST_BYTES,
  MAX_PROVIDER_RESPONSE_BYTES,
  type AuthScheme,
} from '../../activities/seedance/http';
import { PredictionsClient } from '../../activities/seedance/predictions-client';
import { fromAxiosError, parseErrorBody, parseRetryAfter, ProviderError } from '../../activities/seedance/provider-error';
import { TasksTaskSchema } from '../../activities/seedance/schemas';
import { normalizeStatus } from '../../activities/seedance/status';
import { TasksClient, toTasksSnapshot } from '../../activities/seedance/tasks-client';
import type { PreparedSubmit } from '../../activities/seedance/types';
import { FAILURE_TYPES, FailureType, isBalanceReason } from '../../common/errors';

const KEY = 'sk-live-9f8e7d6c5b4a3210';

interface Seen {
  method: string;
  url: string;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

let server: http.Server;
let baseUrl: string;
let handler: Handler;
const seen: Seen[] = [];
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '' });
    req.resume();
    req.on('end', () => handler(req, res));
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen.length = 0;
  handler = (_req, res) => {
    res.writeHead(500);
    res.end();
  };
});

const json =
  (status: number, body: unknown): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

/** Streams `total` bytes: `head`, then filler, then `tail`, as fast as the client reads. */
const streamed =
  (status: number, total: number, head = '', tail = ''): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.write(head);
    let left = total - head.length - tail.length;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (left > 0) {
        const n = Math.min(left, chunk.length);
        left -= n;
        if (!res.write(chunk.subarray(0, n))) return;
      }
      res.end(tail);
    };
    res.on('drain', pump);
    pump();
  };

const clients = (scheme: AuthScheme = 'raw') => {
  const http = createProviderHttp({ baseUrl, apiKey: KEY, authScheme: scheme, timeoutMs: 10_000 });
  return { tasks: new TasksClient(http), predictions: new PredictionsClient(http) };
};

const prepared = (body: unknown = { model: 'm', content: [{ type: 'text', text: 'p' }] }): PreparedSubmit => ({
  api: 'tasks',
  model: 'm',
  path: '/api/v3/contents/generations/tasks',
  body,
});

async function failure(p: Promise<unknown>): Promise<ProviderError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof ProviderError) return err;
    throw err;
  }
  throw new Error('expected a ProviderError');
}

/** Everything of a failure that can reach history, the manifest or a terminal. */
const everything = (e: ProviderError) => {
  const f = e.toApplicationFailure();
  return JSON.stringify({ message: f.message, details: f.details, own: e.message, d: e.details });
};

describe('answers too large to read', () => {
  const big = MAX_PROVIDER_RESPONSE_BYTES * 2;

  test('a huge (valid) task answer to a GET is ResponseTooLarge, not read whole', async () => {
    handler = streamed(200, big, '{"id":"cgt-1","status":"running","pad":"', '"}');
    const e = await failure(clients().tasks.get('cgt-1'));
    expect(e.type).toBe(FailureType.ResponseTooLarge);
    expect(e.toApplicationFailure().nonRetryable).toBe(true);
    expect(e.message).toMatch(new RegExp(`${MAX_PROVIDER_RESPONSE_BYTES}-byte limit`));
  });

  test('a huge answer to a submit is ResponseTooLarge and says it is never resubmitted', async () => {
    handler = streamed(200, big, '{"id":"cgt-1","pad":"', '"}');
    const e = await failure(clients().tasks.send(prepared()));
    expect(e.type).toBe(FailureType.ResponseTooLarge);
    expect(e.toApplicationFailure().nonRetryable).toBe(true);
    expect(e.message).toMatch(/may exist and be billed; it is not resubmitted/);
    expect(seen.filter((s) => s.method === 'POST')).toHaveLength(1);
    expect(FAILURE_TYPES[FailureType.ResponseTooLarge].why).toMatch(/never resubmitted/);
  });

  test('a huge error body is ResponseTooLarge too, not an empty-body InvalidRequest', async () => {
    handler = streamed(400, big);
    const e = await failure(clients().predictions.get('abc123'));
    expect(e.type).toBe(FailureType.ResponseTooLarge);
  });

  test(`a request body over the provider's ${MAX_PROVIDER_REQUEST_BYTES / 2 ** 20} MiB limit is InvalidRequest and never sent`, async () => {
    handler = json(200, { id: 'cgt-1' });
    const text = 'x'.repeat(MAX_PROVIDER_REQUEST_BYTES);
    const e = await failure(clients().tasks.send(prepared({ model: 'm', content: [{ type: 'text', text }] })));
    expect(e.type).toBe(FailureType.InvalidRequest);
    expect(e.message).toMatch(/not sent/);
    expect(seen).toHaveLength(0);
  });
});

describe('provider text', () => {
  test('a 292 KiB message is classified in milliseconds and stored truncated', async () => {
    const message = 'quota '.repeat(50_000);
    handler = json(403, { error: { code: 'AccessDenied', message } });
    const t0 = performance.now();
    const e = await failure(clients().tasks.get('cgt-1'));
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(e.type).toBe(FailureType.PermissionDenied);
    expect(e.details.providerMessage?.length).toBeLessThanOrEqual(501);
    expect(e.message.length).toBeLessThan(1200);
    expect(everything(e).length).toBeLessThan(4000);
  });

  test('isBalanceReason is linear, and still finds quota … exhausted', () => {
    const t0 = performance.now();
    expect(isBalanceReason('quota '.repeat(50_000))).toBe(false);
    expect(isBalanceReason(`${'quota '.repeat(50_000)}x`)).toBe(false);
    expect(performance.now() - t0).toBeLessThan(200);
    expect(isBalanceReason('Your quota has been exhausted')).toBe(true);
    expect(isBalanceReason('insufficient balance')).toBe(true);
    expect(isBalanceReason('exhausted quota')).toBe(false);
  });

  test('codes are truncated too, and Retry-After of any size is parsed in bounded time', () => {
    const body = parseErrorBody(JSON.stringify({ error: { code: 'C'.repeat(100_000), message: 'm' } }));
    expect(body.code?.length).toBeLessThanOrEqual(501);
    expect(parseRetryAfter('1'.repeat(100_000))).toBeUndefined();
    expect(parseRetryAfter(' 7 ')).toBe(7000);
  });

  test('a GET snapshot truncates task.error code and message, and the status word', () => {
    const task = TasksTaskSchema.parse({
      id: 'cgt-1',
      status: 'failed',
      error: { code: 'E'.repeat(100_000), message: 'M'.repeat(100_000) },
    });
    const snap = toTasksSnapshot(task);
    expect(snap.error?.code?.length).toBeLessThanOrEqual(501);
    expect(snap.error?.message?.length).toBeLessThanOrEqual(501);
    const str = toTasksSnapshot(TasksTaskSchema.parse({ id: 'cgt-1', status: 'failed', error: 'S'.repeat(100_000) }));
    expect(str.error?.message?.length).toBeLessThanOrEqual(501);
    const odd = toTasksSnapshot(TasksTaskSchema.parse({ id: 'cgt-1', status: 'w'.repeat(100_000) }));
    expect(odd.status).toBe('unknown');
    expect(odd.rawStatus.length).toBeLessThanOrEqual(101);
    // Status words are looked up as own keys only (the fuzz tests found `_ proto _`).
    for (const word of ['__proto__', '_ proto _', 'constructor', 'toString', 'hasOwnProperty'])
      expect(normalizeStatus(word)).toBe('unknown');
  });

  test.each<AuthScheme>(['raw', 'bearer'])('an API key echoed in an error (%s scheme) reaches no failure', async (scheme) => {
    handler = json(401, { error: { code: `bad key ${KEY}`, message: `Authorization: Bearer ${KEY} is not valid; got ${KEY}` } });
    const e = await failure(clients(scheme).tasks.get('cgt-1'));
    expect(e.type).toBe(FailureType.Unauthorized);
    expect(everything(e)).not.toContain(KEY);
    expect(e.message).toContain('Bearer [redacted]');
  });

  test('an echoed key is removed before truncation, so no prefix of it survives at the cut', async () => {
    const message = `${'m'.repeat(495)}${KEY}`;
    handler = json(400, { error: { code: 'InvalidParameter', message } });
    const e = await failure(clients().tasks.get('cgt-1'));
    expect(everything(e)).not.toContain(KEY.slice(0, 5));
  });

  test('an echoed key is removed from unreadable 2xx bodies and from failed tasks', async () => {
    handler = json(200, `not json ${KEY}`);
    const malformed = await failure(clients().tasks.get('cgt-1'));
    expect(malformed.type).toBe(FailureType.MalformedResponse);
    expect(everything(malformed)).not.toContain(KEY);

    handler = json(200, { id: 'cgt-1', status: 'failed', error: { code: 'InternalError', message: `key ${KEY} failed` } });
    const snap = await clients().tasks.get('cgt-1');
    expect(JSON.stringify(snap)).not.toContain(KEY);
    expect(snap.error?.message).toBe('key [redacted] failed');
  });

  test('a transport error message is bounded', () => {
    const err = new AxiosError('x'.repeat(100_000), 'ECONNRESET');
    expect(fromAxiosError(err, 'get').message.length).toBeLessThan(1000);
  });
});

describe('task ids', () => {
  test.each(['..', '.', '../other', 'a/b', 'a?b', 'a%2e', '', ' cgt-1', 'x'.repeat(129), '-x'])(
    'getTask/cancelTask with id %j is InvalidRequest and sends nothing',
    async (id) => {
      handler = json(200, { id: 'cgt-1', status: 'running' });
      const { tasks, predictions } = clients();
      for (const call of [() => tasks.get(id), () => tasks.cancel(id), () => predictions.get(id)]) {
        const e = await failure(call());
        expect(e.type).toBe(FailureType.InvalidRequest);
        expect(e.toApplicationFailure().nonRetryable).toBe(true);
      }
      expect(seen).toEqual([]);
    },
  );

  test.each(['cgt-20250101123456-abcde', 'a1b2c3d4e5f6', 'task_1.v2:x'])('a real-looking id %s is used as is', async (id) => {
    handler = json(200, { id, status: 'running' });
    const snap = await clients().tasks.get(id);
    expect(snap.taskId).toBe(id);
    expect(seen[0]?.url).toBe(`/api/v3/contents/generations/tasks/${encodeURIComponent(id)}`);
  });

  test.each(['..', 'a/../b', 'x'.repeat(200), '\u001b[31mred'])(
    'a submit answered with id %j fails as SubmitOutcomeUnknown, never resubmitted',
    async (id) => {
      handler = json(200, { id });
      const e = await failure(clients().tasks.send(prepared()));
      expect(e.type).toBe(FailureType.SubmitOutcomeUnknown);
      expect(e.toApplicationFailure().nonRetryable).toBe(true);
      expect(e.message).toMatch(/invalid task id/);
      expect(e.message).not.toContain('\u001b');

      handler = json(200, { data: { id, status: 'created' } });
      const p = await failure(
        clients().predictions.send({ api: 'predictions', model: 'm', path: '/api/v3/bytedance/m/text-to-video', body: { prompt: 'p' } }),
      );
      expect(p.type).toBe(FailureType.SubmitOutcomeUnknown);
      expect(seen.filter((s) => s.method === 'POST')).toHaveLength(2);
    },
  );

  test('a snapshot carries the id that was asked about, not one the answer claims', async () => {
    handler = json(200, { id: '../../elsewhere', status: 'running' });
    expect((await clients().tasks.get('cgt-1')).taskId).toBe('cgt-1');
  });
});
