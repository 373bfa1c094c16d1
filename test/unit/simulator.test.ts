/**
 * The Seedance API simulator, end to end over HTTP with the global fetch: both API families,
 * the time model, prompt directives, scripted and random faults, cancellation, stats, auth,
 * the control API and shutdown. Waits are bounded polls on conditions, never blind sleeps.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { generatedVideo, simulatorOptionsFromEnv, startSimulator, type RunningSimulator } from '../../simulator';

const KEY = 'sk-test';
const AUTH = { authorization: `Bearer ${KEY}` };
const TASKS = '/api/v3/contents/generations/tasks';
const MODEL = 'doubao-seedance-2-0-fast-260128';
const ASSETS = join(__dirname, '..', '..', 'simulator', 'assets');
const SAMPLE_MP4 = readFileSync(join(ASSETS, 'sample.mp4'));

/** Parsed JSON answers; the assertions are what check their shape. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  json: () => Json;
}

let sim: RunningSimulator;

beforeAll(async () => {
  // Long enough phases that a 15 ms poll sees queued and running even on a busy machine.
  sim = await startSimulator({ port: 0, apiKey: KEY, config: { renderMs: 300, queueMs: 100 } });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(() => sim.reset());

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = AUTH): Promise<Answer> {
  const res = await fetch(path.startsWith('http') ? path : `${sim.url}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, json: () => JSON.parse(text) };
}

async function bytes(url: string): Promise<{ status: number; headers: Headers; body: Buffer }> {
  const res = await fetch(url);
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

/** Polls `probe` until `done` holds or `timeoutMs` passes; every value seen is kept. */
async function waitFor<T>(probe: () => Promise<T>, done: (v: T) => boolean, timeoutMs = 3000): Promise<{ last: T; seen: T[] }> {
  const deadline = Date.now() + timeoutMs;
  const seen: T[] = [];
  for (;;) {
    const value = await probe();
    seen.push(value);
    if (done(value)) return { last: value, seen };
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 15));
  }
}

function taskBody(text: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { model: MODEL, content: [{ type: 'text', text }], ...extra };
}

async function submitTask(text: string, extra: Record<string, unknown> = {}): Promise<string> {
  const answer = await call('POST', TASKS, taskBody(text, extra));
  expect(answer.status).toBe(200);
  return answer.json().id as string;
}

const getTask = async (id: string): Promise<Json> => (await call('GET', `${TASKS}/${id}`)).json();

async function untilStatus(id: string, status: string): Promise<string[]> {
  const { seen } = await waitFor(
    () => getTask(id),
    (t) => t.status === status,
  );
  return seen.map((t) => t.status as string);
}

const isMp4 = (b: Buffer): boolean => b.subarray(4, 8).toString('latin1') === 'ftyp';

async function sha256(stream: Readable): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

describe('tasks family', () => {
  it('submits, goes queued → running → succeeded and serves a real MP4 and last frame', async () => {
    const id = await submitTask('a fox in the snow', { seed: 7, return_last_frame: true, resolution: '480p' });
    expect(id).toMatch(/^cgt-\d{14}-\d+$/);

    const statuses = await untilStatus(id, 'succeeded');
    expect(statuses).toContain('queued');
    expect(statuses).toContain('running');

    const task = await getTask(id);
    expect(Object.keys(task)).toEqual([
      'id',
      'model',
      'status',
      'content',
      'usage',
      'seed',
      'resolution',
      'duration',
      'ratio',
      'created_at',
      'updated_at',
      'framespersecond',
    ]);
    expect(task).toMatchObject({ id, model: MODEL, seed: '7', resolution: '480p', duration: 5, ratio: '16:9', framespersecond: 24 });
    expect(task.created_at).toMatch(/^\d{10}$/);
    expect(task.usage.completion_tokens).toBeGreaterThan(0);
    expect(task.usage.total_tokens).toBe(task.usage.completion_tokens);
    expect(task.content.video_url).toBe(`${sim.url}/videos/${id}.mp4`);

    const video = await bytes(task.content.video_url);
    expect(video.status).toBe(200);
    expect(video.headers.get('content-type')).toBe('video/mp4');
    expect(Number(video.headers.get('content-length'))).toBe(video.body.length);
    expect(isMp4(video.body)).toBe(true);
    expect(video.body.equals(SAMPLE_MP4)).toBe(true);
    expect(SAMPLE_MP4.length).toBeLessThan(100 * 1024);

    const frame = await bytes(task.content.last_frame_url);
    expect(frame.headers.get('content-type')).toBe('image/png');
    expect(frame.body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(frame.body.equals(readFileSync(join(ASSETS, 'frame.png')))).toBe(true);
  });

  it('reports frames instead of duration when frames were requested, and no content before success', async () => {
    const id = await submitTask('frames [sim:render=60000]', { frames: 121, ratio: 'adaptive' });
    const task = await getTask(id);
    expect(task.frames).toBe(121);
    expect(task).not.toHaveProperty('duration');
    expect(task).not.toHaveProperty('content');
    expect(task.ratio).toBe('16:9');
  });

  it.each([
    ['no model', { content: [{ type: 'text', text: 'x' }] }],
    ['empty content', { model: MODEL, content: [] }],
    ['unknown item type', { model: MODEL, content: [{ type: 'video', text: 'x' }] }],
    ['bad role', { model: MODEL, content: [{ type: 'image_url', image_url: { url: 'https://x/a.png' }, role: 'middle' }] }],
    ['bad image url', { model: MODEL, content: [{ type: 'image_url', image_url: { url: 'ftp://x/a.png' } }] }],
    [
      'mixed scenarios',
      {
        model: MODEL,
        content: [
          { type: 'image_url', image_url: { url: 'https://x/a.png' }, role: 'first_frame' },
          { type: 'image_url', image_url: { url: 'https://x/b.png' }, role: 'reference_image' },
        ],
      },
    ],
    ['duration not an integer', { ...taskBody('x'), duration: 'long' }],
    ['invalid JSON', '{"model":'],
  ])('refuses %s with 400 InvalidParameter', async (_name, body) => {
    const answer = await call('POST', TASKS, body);
    expect(answer.status).toBe(400);
    expect(answer.json().error).toMatchObject({ code: 'InvalidParameter', type: 'BadRequest' });
    expect(sim.stats().submissions).toBe(0);
  });

  it('accepts image-only requests with a data URL and role', async () => {
    const answer = await call('POST', TASKS, {
      model: MODEL,
      content: [{ type: 'image_url', image_url: { url: 'data:image/png;base64,iVBORw0KGgo=' }, role: 'first_frame' }],
    });
    expect(answer.status).toBe(200);
  });

  it('builds links from the Host the client used (a worker reaching http://simulator:8787)', async () => {
    const id = await submitTask('x [sim:render=0]');
    const { request } = await import('node:http');
    const body = await new Promise<string>((resolve, reject) => {
      const req = request(`${sim.url}${TASKS}/${id}`, { headers: { ...AUTH, host: `simulator:${sim.port}` } }, (res) => {
        let text = '';
        res
          .setEncoding('utf8')
          .on('data', (c: string) => (text += c))
          .on('end', () => resolve(text));
      });
      req.on('error', reject).end();
    });
    expect(JSON.parse(body).content.video_url).toBe(`http://simulator:${sim.port}/videos/${id}.mp4`);
  });

  it('answers 404 with an error body for an unknown id', async () => {
    const answer = await call('GET', `${TASKS}/cgt-20260101000000-1`);
    expect(answer.status).toBe(404);
    expect(answer.json().error.code).toBe('ResourceNotFound');
  });
});

describe('predictions family', () => {
  it('answers the seed envelope, then progresses to an output', async () => {
    const answer = await call('POST', `/api/v3/bytedance/${MODEL}/image-to-video`, {
      prompt: 'a girl holding a fox',
      image: 'https://example.com/cat.png',
      aspect_ratio: '9:16',
      duration: '5',
      seed: -1,
    });
    expect(answer.status).toBe(200);
    const envelope = answer.json();
    expect(Object.keys(envelope)).toEqual(['data', 'message', 'code']);
    expect(envelope).toMatchObject({ message: 'success', code: 200 });
    const { data } = envelope;
    expect(Object.keys(data)).toEqual([
      'id',
      'model',
      'outputs',
      'urls',
      'status',
      'error',
      'executionTime',
      'timings',
      'has_nsfw_contents',
      'created_at',
    ]);
    expect(data).toMatchObject({ model: MODEL, outputs: [], status: 'created', error: null, executionTime: 0, timings: { inference: 0 } });
    expect(data.urls.get).toBe(`${sim.url}/api/v3/predictions/${data.id}/result`);
    expect(data.created_at).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);

    const { last, seen } = await waitFor(
      async () => (await call('GET', data.urls.get)).json().data,
      (d) => d.status === 'succeeded',
    );
    expect(seen.map((d) => d.status)).toContain('running');
    expect(last.outputs).toHaveLength(1);
    expect(last.executionTime).toBeGreaterThan(0);
    expect([null, '']).toContain(last.error);
    const video = await bytes(last.outputs[0]);
    expect(isMp4(video.body)).toBe(true);
  });

  it('requires an image for image-to-video only', async () => {
    const i2v = await call('POST', `/api/v3/bytedance/${MODEL}/image-to-video`, { prompt: 'x' });
    expect(i2v.status).toBe(400);
    const t2v = await call('POST', `/api/v3/bytedance/${MODEL}/text-to-video`, { prompt: 'x' });
    expect(t2v.status).toBe(200);
  });

  it('reports a failure as a string error', async () => {
    const answer = await call('POST', `/api/v3/bytedance/${MODEL}/text-to-video`, { prompt: 'x [sim:fail=QuotaExceeded] [sim:render=0]' });
    const result = await call('GET', answer.json().data.urls.get);
    expect(result.json().data).toMatchObject({ status: 'failed', outputs: [] });
    expect(result.json().data.error).toContain('QuotaExceeded');
  });
});

describe('gateway naming', () => {
  it('renames statuses and sends numbers as numbers when asked', async () => {
    sim.configure({ statusNames: 'gateway', numbersAsStrings: false });
    const id = await submitTask('gateway names', { seed: 42 });
    const statuses = await untilStatus(id, 'completed');
    expect(statuses).toContain('created');
    expect(statuses).toContain('processing');
    const task = await getTask(id);
    expect(task.seed).toBe(42);
    expect(typeof task.created_at).toBe('number');
    expect(typeof task.updated_at).toBe('number');

    const submitted = await call('POST', `/api/v3/bytedance/${MODEL}/text-to-video`, { prompt: 'p [sim:render=0]' });
    const result = await call('GET', submitted.json().data.urls.get);
    expect(result.json().data.status).toBe('completed');
  });
});

describe('prompt directives', () => {
  it('[sim:fail] and [sim:fail=CODE] end the task failed with that code', async () => {
    const plain = await submitTask('x [sim:fail] [sim:render=0]');
    expect((await getTask(plain)).error).toMatchObject({ code: 'InternalServiceError' });
    const coded = await submitTask('x [sim:fail=ModelOverloaded] [sim:render=0]');
    const task = await getTask(coded);
    expect(task.status).toBe('failed');
    expect(task.error.code).toBe('ModelOverloaded');
    expect(task).not.toHaveProperty('content');
  });

  it('[sim:expire] waits queued and ends expired without running', async () => {
    const id = await submitTask('x [sim:expire] [sim:render=150]');
    const statuses = await untilStatus(id, 'expired');
    expect(statuses).not.toContain('running');
    expect(statuses[0]).toBe('queued');
  });

  it('[sim:output-policy] fails with OutputVideoSensitiveContentDetected', async () => {
    const id = await submitTask('x [sim:output-policy] [sim:render=0]');
    expect((await getTask(id)).error.code).toBe('OutputVideoSensitiveContentDetected');
  });

  it('[sim:policy], [sim:balance] and [sim:forbidden] refuse the submit and create nothing', async () => {
    const policy = await call('POST', TASKS, taskBody('x [sim:policy]'));
    expect(policy.status).toBe(400);
    expect(policy.json().error).toMatchObject({ code: 'InputTextSensitiveContentDetected', type: 'BadRequest' });
    const balance = await call('POST', `/api/v3/bytedance/${MODEL}/text-to-video`, { prompt: 'x [sim:balance]' });
    expect(balance.status).toBe(403);
    expect(balance.json().error).toMatchObject({ code: 'AccountOverdueError', message: 'insufficient balance' });
    const forbidden = await call('POST', TASKS, taskBody('x [sim:forbidden]'));
    expect(forbidden.status).toBe(403);
    expect(forbidden.json().error.code).toBe('AccessDenied');
    expect(sim.stats()).toMatchObject({ submissions: 0, submitAttempts: 3 });
  });

  it('[sim:size=BYTES] streams a deterministic generated video with its length', async () => {
    const size = 3 * 1024 * 1024 + 17;
    const id = await submitTask(`big [sim:size=${size}] [sim:render=0]`);
    const video = await bytes((await getTask(id)).content.video_url);
    expect(video.status).toBe(200);
    expect(Number(video.headers.get('content-length'))).toBe(size);
    expect(video.body.length).toBe(size);
    expect(isMp4(video.body)).toBe(true);
    expect(createHash('sha256').update(video.body).digest('hex')).toBe(await sha256(generatedVideo(size, id)));
  });

  it('[sim:status=NAME] reports the raw status instead of running', async () => {
    const id = await submitTask('x [sim:status=in_review] [sim:queue=0] [sim:render=60000]');
    expect((await getTask(id)).status).toBe('in_review');
    expect(sim.stats().tasks[0]?.status).toBe('running');
  });

  it('[sim:gone] makes the output link answer 404', async () => {
    const id = await submitTask('x [sim:gone] [sim:render=0]');
    const task = await getTask(id);
    expect(task.status).toBe('succeeded');
    expect((await bytes(task.content.video_url)).status).toBe(404);
  });

  it('[sim:queue] and [sim:render] override the timing', async () => {
    const id = await submitTask('instant [sim:queue=0] [sim:render=0]');
    expect((await getTask(id)).status).toBe('succeeded');
    const slow = await submitTask('slow [sim:queue=60000] [sim:render=60000]');
    expect((await getTask(slow)).status).toBe('queued');
  });

  it('refuses unknown or malformed directives', async () => {
    expect((await call('POST', TASKS, taskBody('x [sim:explode]'))).status).toBe(400);
    expect((await call('POST', TASKS, taskBody('x [sim:render=soon]'))).status).toBe(400);
  });

  it('expires output links after outputTtlMs with 403', async () => {
    sim.configure({ outputTtlMs: 150 });
    const id = await submitTask('x [sim:render=0]');
    const url = (await getTask(id)).content.video_url as string;
    expect((await bytes(url)).status).toBe(200);
    const { last } = await waitFor(
      () => bytes(url),
      (r) => r.status !== 200,
    );
    expect(last.status).toBe(403);
  });
});

describe('scripted faults', () => {
  it('answers a 429 with Retry-After once, then normally', async () => {
    const id = await submitTask('x');
    sim.addFaults([{ on: 'get', status: 429, retryAfter: 7 }]);
    const limited = await call('GET', `${TASKS}/${id}`);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('7');
    expect(limited.json().error).toMatchObject({ code: 'RateLimitExceeded', type: 'TooManyRequests' });
    expect((await call('GET', `${TASKS}/${id}`)).status).toBe(200);
  });

  it('sends raw HTML and empty bodies, and creates nothing when a submit fails', async () => {
    sim.addFaults([
      { on: 'submit', status: 502, body: '<html><body>Bad Gateway</body></html>' },
      { on: 'submit', status: 503, body: '' },
    ]);
    const html = await call('POST', TASKS, taskBody('x'));
    expect(html.status).toBe(502);
    expect(html.headers.get('content-type')).toContain('text/html');
    expect(html.text).toContain('Bad Gateway');
    const empty = await call('POST', TASKS, taskBody('x'));
    expect(empty).toMatchObject({ status: 503, text: '' });
    expect(sim.stats()).toMatchObject({ submissions: 0, submitAttempts: 2 });
  });

  it('answers 200 with malformed JSON', async () => {
    sim.addFaults([{ on: 'submit', malformed: true }]);
    const answer = await call('POST', TASKS, taskBody('x'));
    expect(answer.status).toBe(200);
    expect(() => answer.json()).toThrow(SyntaxError);
  });

  it('applies a fault `times` times to any request kind, in order', async () => {
    sim.addFaults([
      { on: 'any', status: 500, times: 2 },
      { on: 'submit', status: 429 },
    ]);
    expect((await call('POST', TASKS, taskBody('x'))).status).toBe(500);
    expect((await call('GET', `${TASKS}/nope`)).status).toBe(500);
    expect((await call('POST', TASKS, taskBody('x'))).status).toBe(429);
    expect((await call('POST', TASKS, taskBody('x'))).status).toBe(200);
  });

  it('delays an answer without changing it', async () => {
    const id = await submitTask('x');
    sim.addFaults([{ on: 'get', delayMs: 150 }]);
    const started = Date.now();
    const answer = await call('GET', `${TASKS}/${id}`);
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(answer.status).toBe(200);
  });

  it('hangs a request while later ones are answered', async () => {
    const id = await submitTask('x');
    sim.addFaults([{ on: 'get', hang: true }]);
    await expect(fetch(`${sim.url}${TASKS}/${id}`, { headers: AUTH, signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect((await call('GET', `${TASKS}/${id}`)).status).toBe(200);
  });

  it('acceptThenHang creates exactly one task that the client never hears about', async () => {
    sim.addFaults([{ on: 'submit', acceptThenHang: true }]);
    const request = fetch(`${sim.url}${TASKS}`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify(taskBody('ambiguous')),
      signal: AbortSignal.timeout(300),
    });
    await expect(request).rejects.toThrow();
    const stats = sim.stats();
    expect(stats).toMatchObject({ submissions: 1, submitAttempts: 1, submissionsByPrompt: { ambiguous: 1 } });
    const created = stats.tasks[0];
    expect(created).toMatchObject({ prompt: 'ambiguous', family: 'tasks', submissions: 1 });
    expect((await call('GET', `${TASKS}/${created?.id ?? ''}`)).status).toBe(200);
  });

  it('cuts a malformed download short of its Content-Length', async () => {
    const id = await submitTask('x [sim:render=0]');
    sim.addFaults([{ on: 'download', malformed: true }]);
    const res = await fetch(`${sim.url}/videos/${id}.mp4`);
    expect(Number(res.headers.get('content-length'))).toBe(SAMPLE_MP4.length);
    await expect(res.arrayBuffer()).rejects.toThrow();
    expect((await bytes(`${sim.url}/videos/${id}.mp4`)).body.length).toBe(SAMPLE_MP4.length);
  });

  it('rejects invalid faults', () => {
    expect(() => sim.addFaults([{ on: 'everything' as 'any' }])).toThrow(TypeError);
  });
});

describe('random misbehaviour', () => {
  it('rolls 429s (with retryAfterSeconds), 500s and failed tasks from the rates', async () => {
    sim.configure({ rates: { rateLimit: 1 }, retryAfterSeconds: 3 });
    const limited = await call('POST', TASKS, taskBody('x'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('3');
    sim.configure({ rates: { rateLimit: 0, serverError: 1 } });
    expect((await call('POST', TASKS, taskBody('x'))).status).toBe(500);
    sim.configure({ rates: { serverError: 0, failed: 1 } });
    const id = await submitTask('x [sim:render=0]');
    expect((await getTask(id)).status).toBe('failed');
  });

  it('is reproducible for a given randomSeed', async () => {
    const run = async (): Promise<number[]> => {
      sim.reset();
      sim.configure({ randomSeed: 1234, rates: { rateLimit: 0.5 } });
      const codes: number[] = [];
      for (let i = 0; i < 12; i += 1) codes.push((await call('POST', TASKS, taskBody(`r${i}`))).status);
      return codes;
    };
    const first = await run();
    expect(first).toContain(429);
    expect(first).toContain(200);
    expect(await run()).toEqual(first);
  });
});

describe('DELETE', () => {
  it('cancels a queued task, then deletes its finished record', async () => {
    const id = await submitTask('x [sim:queue=60000] [sim:render=60000]');
    const cancelled = await call('DELETE', `${TASKS}/${id}`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.json()).toEqual({});
    expect((await getTask(id)).status).toBe('cancelled');
    expect((await call('DELETE', `${TASKS}/${id}`)).status).toBe(200);
    expect((await call('GET', `${TASKS}/${id}`)).status).toBe(404);
  });

  it('refuses to cancel a running task', async () => {
    const id = await submitTask('x [sim:queue=0] [sim:render=60000]');
    const answer = await call('DELETE', `${TASKS}/${id}`);
    expect(answer.status).toBe(400);
    expect(answer.json().error.code).toBe('InvalidAction.TaskNotCancellable');
    expect((await getTask(id)).status).toBe('running');
  });

  it('deletes a finished record (its output link still works) and 404s unknown ids', async () => {
    const id = await submitTask('x [sim:render=0]');
    expect((await call('DELETE', `${TASKS}/${id}`)).status).toBe(200);
    expect((await call('GET', `${TASKS}/${id}`)).status).toBe(404);
    expect((await bytes(`${sim.url}/videos/${id}.mp4`)).status).toBe(200);
    expect((await call('DELETE', `${TASKS}/cgt-nope`)).status).toBe(404);
    expect(sim.stats().cancels).toBe(2);
  });
});

describe('stats', () => {
  it('counts requests, duplicate prompts and the peak of tasks in flight', async () => {
    const long = await Promise.all([1, 2, 3].map((i) => submitTask(`long ${i} [sim:render=60000]`)));
    await submitTask('dup [sim:render=0]');
    await submitTask('dup [sim:render=0]');
    await Promise.all(long.map((id) => getTask(id)));
    await bytes(`${sim.url}/videos/${long[0] ?? ''}.mp4`);
    // The two instant tasks end as they start, so the peak is the three long ones.
    const stats = sim.stats();
    expect(stats).toMatchObject({ submissions: 5, submitAttempts: 5, getRequests: 3, downloads: 1, cancels: 0, maxConcurrent: 3 });
    expect(stats.submissionsByPrompt['dup [sim:render=0]']).toBe(2);
    expect(stats.tasks.filter((t) => t.prompt.startsWith('dup')).map((t) => t.submissions)).toEqual([2, 2]);
    expect(stats.tasks.every((t) => t.family === 'tasks' && t.model === MODEL && t.createdAt > 0)).toBe(true);
  });

  it('accountConcurrency: tasks beyond it stay queued until a slot frees (first come first served), then render their full time', async () => {
    sim.configure({ accountConcurrency: 2, queueMs: 0 });
    const ids: string[] = [];
    for (const i of [1, 2, 3]) ids.push(await submitTask(`slot ${i} [sim:render=400]`));
    const third = await getTask(ids[2] ?? '');
    expect(third.status).toBe('queued');
    await untilStatus(ids[0] ?? '', 'succeeded');
    await untilStatus(ids[2] ?? '', 'running');
    await untilStatus(ids[2] ?? '', 'succeeded');
    const stats = sim.stats();
    expect(stats.maxRunning).toBe(2);
    expect(stats.maxConcurrent).toBe(3);
  });

  it('maxTasksInFlight: a submit beyond it is answered 429 with Retry-After and creates nothing', async () => {
    sim.configure({ maxTasksInFlight: 1, retryAfterSeconds: 2 });
    await submitTask('first [sim:render=60000]');
    const refused = await call('POST', TASKS, taskBody('second'));
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toBe('2');
    expect(sim.stats().submissions).toBe(1);
  });

  it('does not count sequential tasks as concurrent', async () => {
    const first = await submitTask('a [sim:render=30]');
    await untilStatus(first, 'succeeded');
    await submitTask('b [sim:render=30]');
    expect(sim.stats().maxConcurrent).toBe(1);
  });

  it('tracks submits in flight and the time of the latest submit event', async () => {
    expect(sim.stats()).toMatchObject({ submitsInFlight: 0, lastSubmitAt: null });
    const before = Date.now();
    await submitTask('answered');
    const answered = sim.stats();
    expect(answered.submitsInFlight).toBe(0);
    expect(answered.lastSubmitAt).toBeGreaterThanOrEqual(before);
    expect(answered.lastSubmitAt).toBeLessThanOrEqual(Date.now());

    // An accepted but unanswered submit stays in flight until the client gives up.
    sim.addFaults([{ on: 'submit', acceptThenHang: true }]);
    const abort = new AbortController();
    const hung = fetch(`${sim.url}${TASKS}`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify(taskBody('ambiguous')),
      signal: abort.signal,
    });
    const { last: open } = await waitFor(
      async () => sim.stats(),
      (s) => s.submissions === 2,
    );
    expect(open.submitsInFlight).toBe(1);
    expect(open.lastSubmitAt).toBeGreaterThanOrEqual(answered.lastSubmitAt ?? Infinity);
    abort.abort();
    await expect(hung).rejects.toThrow();
    const { last: dropped } = await waitFor(
      async () => sim.stats(),
      (s) => s.submitsInFlight === 0,
    );
    expect(dropped.lastSubmitAt).toBeGreaterThanOrEqual(open.lastSubmitAt ?? Infinity);

    sim.reset();
    expect(sim.stats()).toMatchObject({ submitsInFlight: 0, lastSubmitAt: null });
  });
});

describe('auth', () => {
  it('requires the key, bare or as a Bearer token, except on output links', async () => {
    const refused: Array<Record<string, string>> = [{}, { authorization: 'Bearer wrong' }, { authorization: '' }];
    for (const headers of refused) {
      const answer = await call('POST', TASKS, taskBody('x'), headers);
      expect(answer.status).toBe(401);
      expect(answer.json().error).toMatchObject({ code: 'AuthenticationError', type: 'Unauthorized' });
    }
    expect((await call('POST', TASKS, taskBody('x'), { authorization: KEY })).status).toBe(200);
    const id = await submitTask('y [sim:render=0]');
    expect((await bytes(`${sim.url}/videos/${id}.mp4`)).status).toBe(200);
  });

  it('accepts any non-empty Authorization when no key is configured', async () => {
    const open = await startSimulator({ config: { renderMs: 0 } });
    try {
      const ok = await fetch(`${open.url}${TASKS}`, {
        method: 'POST',
        headers: { authorization: 'whatever' },
        body: JSON.stringify(taskBody('x')),
      });
      expect(ok.status).toBe(200);
      const missing = await fetch(`${open.url}${TASKS}`, { method: 'POST', body: JSON.stringify(taskBody('x')) });
      expect(missing.status).toBe(401);
    } finally {
      await open.close();
    }
  });
});

describe('control API', () => {
  it('exposes health, config, faults, stats and reset over HTTP', async () => {
    expect((await call('GET', '/__sim/health', undefined, {})).json()).toEqual({ ok: true });
    const config = await call('POST', '/__sim/config', { statusNames: 'gateway', rates: { failed: 0.25 } }, {});
    expect(config.json()).toMatchObject({ statusNames: 'gateway', rates: { failed: 0.25, rateLimit: 0 }, renderMs: 300 });
    expect((await call('POST', '/__sim/config', { renderMs: -1 }, {})).status).toBe(400);
    expect((await call('POST', '/__sim/faults', [{ on: 'submit', status: 500 }], {})).json()).toEqual({ pending: 1 });
    expect((await call('POST', TASKS, taskBody('x'))).status).toBe(500);
    expect((await call('GET', '/__sim/stats', undefined, {})).json()).toMatchObject({ submitAttempts: 1, submissions: 0 });
    expect((await call('POST', '/__sim/reset', {}, {})).status).toBe(200);
    expect(sim.stats().submitAttempts).toBe(0);
    expect((await call('GET', '/__sim/config', undefined, {})).json().statusNames).toBe('standard');
  });
});

describe('lifecycle', () => {
  it('close() destroys hung connections so nothing is left open', async () => {
    const local = await startSimulator();
    local.addFaults([{ on: 'get', hang: true }]);
    const hung = fetch(`${local.url}${TASKS}/x`, { headers: { authorization: 'k' } });
    await waitFor(
      async () => local.stats().getRequests,
      (n) => n === 1,
      2000,
    );
    await local.close();
    await expect(hung).rejects.toThrow();
  });

  it('reads its options from the environment', () => {
    expect(simulatorOptionsFromEnv({})).toEqual({ port: 8787, host: '127.0.0.1', config: {} });
    expect(
      simulatorOptionsFromEnv({ SIMULATOR_PORT: '0', SIMULATOR_HOST: '0.0.0.0', SIMULATOR_API_KEY: 'k', SIMULATOR_RENDER_MS: '500' }),
    ).toEqual({ port: 0, host: '0.0.0.0', apiKey: 'k', config: { renderMs: 500 } });
    expect(simulatorOptionsFromEnv({ HOST: '0.0.0.0', PORT: '9000', SIMULATOR_PORT: '' })).toMatchObject({ host: '0.0.0.0', port: 9000 });
    expect(() => simulatorOptionsFromEnv({ SIMULATOR_PORT: 'eighty' })).toThrow(/SIMULATOR_PORT/);
    expect(() => simulatorOptionsFromEnv({ SIMULATOR_CONFIG: '{oops' })).toThrow(/SIMULATOR_CONFIG/);
  });
});

describe('generatedVideo', () => {
  it('is deterministic, exact in length, chunked and MP4-looking', async () => {
    expect(await sha256(generatedVideo(100_000, 'a'))).toBe(await sha256(generatedVideo(100_000, 'a')));
    expect(await sha256(generatedVideo(100_000, 'a'))).not.toBe(await sha256(generatedVideo(100_000, 'b')));
    for (const size of [0, 10, 200_000]) {
      let total = 0;
      let largest = 0;
      let first: Buffer | undefined;
      for await (const chunk of generatedVideo(size, 'seed')) {
        const buf = chunk as Buffer;
        first ??= buf;
        total += buf.length;
        largest = Math.max(largest, buf.length);
      }
      expect(total).toBe(size);
      expect(largest).toBeLessThanOrEqual(64 * 1024);
      if (size >= 32 && first !== undefined) expect(isMp4(first)).toBe(true);
    }
    expect(() => generatedVideo(-1, 'x')).toThrow(RangeError);
  });
});
