/**
 * The simulator's task list, callbacks and accept-then-drop submits: what a client needs to
 * hear of a task without polling it, and to find a task whose submit answer it never got.
 * A real HTTP receiver records every callback; waits are bounded polls on conditions.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSimulator, type RunningSimulator } from '../../simulator';
import { forgedUrl } from '../../simulator/callbacks';

const AUTH = { authorization: 'Bearer sk-test' };
const TASKS = '/api/v3/contents/generations/tasks';
const MODEL = 'doubao-seedance-1-5-pro-251215';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Json = any;

interface Received {
  path: string;
  body: Json;
  at: number;
}

/** A callback receiver: records every POST and answers what `answer` says (default 200). */
class Receiver {
  readonly received: Received[] = [];
  answer: (r: Received) => number | 'hang' = () => 200;
  private server: Server;
  url = '';
  private readonly open = new Set<ServerResponse>();

  constructor() {
    this.server = createServer((req: IncomingMessage, res: ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const r = { path: req.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json, at: Date.now() };
        this.received.push(r);
        const a = this.answer(r);
        if (a === 'hang') {
          this.open.add(res);
          return;
        }
        res.writeHead(a).end();
      });
    });
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/callbacks`;
  }

  statuses(token: string): string[] {
    return this.received.filter((r) => r.path === `/callbacks/${token}`).map((r) => r.body.status as string);
  }

  async stop(): Promise<void> {
    for (const res of this.open) res.destroy();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

let sim: RunningSimulator;
let receiver: Receiver;

beforeAll(async () => {
  sim = await startSimulator({ port: 0, apiKey: 'sk-test', config: { renderMs: 300, queueMs: 100 } });
});
afterAll(async () => {
  await sim.close();
});
beforeEach(async () => {
  sim.reset();
  receiver = new Receiver();
  await receiver.start();
});
afterEach(async () => {
  sim.reset();
  await receiver.stop();
});

async function call(method: string, path: string, body?: unknown): Promise<{ status: number; json: Json }> {
  const res = await fetch(`${sim.url}${path}`, {
    method,
    headers: { ...AUTH, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, json: text ? (JSON.parse(text) as Json) : undefined };
}

async function submit(text: string, extra: Record<string, unknown> = {}): Promise<string> {
  const answer = await call('POST', TASKS, { model: MODEL, content: [{ type: 'text', text }], ...extra });
  expect(answer.status).toBe(200);
  return answer.json.id as string;
}

async function until<T>(probe: () => T, done: (v: T) => boolean, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (done(v)) return v;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last: ${JSON.stringify(v)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('task list', () => {
  it('lists tasks newest first with paging, total and the same body as a GET', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await submit(`list ${i} [sim:render=0]`, { seed: 100 + i }));
    const page1 = await call('GET', `${TASKS}?page_num=1&page_size=2`);
    expect(page1.status).toBe(200);
    expect(page1.json.total).toBe(5);
    expect(page1.json.items.map((t: Json) => t.id)).toEqual([ids[4], ids[3]]);
    const page3 = await call('GET', `${TASKS}?page_num=3&page_size=2`);
    expect(page3.json.items.map((t: Json) => t.id)).toEqual([ids[0]]);
    const get = await call('GET', `${TASKS}/${ids[4]}`);
    expect(page1.json.items[0]).toEqual(get.json);
    expect(page1.json.items[0].seed).toBe('104');
  });

  it('filters by status, model, task ids and service tier', async () => {
    const done = await submit('done [sim:render=0]', { service_tier: 'flex' });
    const slow = await submit('slow [sim:queue=0] [sim:render=60000]');
    const other = await submit('other model [sim:render=0]', { model: 'doubao-seedance-1-0-pro-250528' });
    const ids = async (q: string) => ((await call('GET', `${TASKS}?${q}`)).json.items as Json[]).map((t) => t.id as string);
    expect(await ids('filter.status=succeeded&filter.model=' + MODEL)).toEqual([done]);
    expect(await ids('filter.status=running')).toEqual([slow]);
    expect(await ids(`filter.task_ids=${done}&filter.task_ids=${other}`)).toEqual([other, done]);
    expect(await ids('filter.service_tier=flex')).toEqual([done]);
    expect(await ids('filter.service_tier=default')).toEqual([other, slow]);
  });

  it('shows only the retention window and refuses bad paging', async () => {
    await submit('old [sim:render=0]');
    sim.configure({ listRetentionMs: 0 });
    await until(
      () => Date.now(),
      () => true,
    );
    await new Promise((r) => setTimeout(r, 5));
    expect((await call('GET', TASKS)).json).toEqual({ items: [], total: 0 });
    expect((await call('GET', `${TASKS}?page_size=501`)).status).toBe(400);
    expect((await call('GET', `${TASKS}?page_num=0`)).status).toBe(400);
    expect((await call('GET', `${TASKS}?page_size=abc`)).status).toBe(400);
    expect(sim.stats().listRequests).toBe(4);
  });

  it('answers scripted list faults', async () => {
    sim.addFaults([{ on: 'list', status: 500 }]);
    expect((await call('GET', TASKS)).status).toBe(500);
    expect((await call('GET', TASKS)).status).toBe(200);
  });
});

describe('callbacks', () => {
  it('POSTs the task body on every status change, in order, to the callback_url', async () => {
    const id = await submit('called back', { callback_url: `${receiver.url}/tok-1` });
    const got = await until(
      () => receiver.statuses('tok-1'),
      (s) => s.length >= 3,
    );
    expect(got).toEqual(['queued', 'running', 'succeeded']);
    const last = receiver.received.at(-1)?.body;
    expect(last).toEqual((await call('GET', `${TASKS}/${id}`)).json);
    expect(last.content.video_url).toMatch(/\/videos\//);
    expect(sim.stats().callbacks).toMatchObject({ scheduled: 3, attempts: 3, delivered: 3, failed: 0 });
  });

  it('tells a cancel, and nothing after it', async () => {
    const id = await submit('cancel me [sim:queue=400] [sim:render=500]', { callback_url: `${receiver.url}/tok-c` });
    await until(
      () => receiver.statuses('tok-c'),
      (s) => s.length >= 1,
    );
    expect((await call('DELETE', `${TASKS}/${id}`)).status).toBe(200);
    const got = await until(
      () => receiver.statuses('tok-c'),
      (s) => s.length >= 2,
    );
    expect(got).toEqual(['queued', 'cancelled']);
    // Past the moment the task would have run and ended: nothing more came.
    const created = sim.stats().tasks[0]?.createdAt ?? 0;
    await until(
      () => Date.now(),
      (now) => now > created + 700,
    );
    expect(receiver.statuses('tok-c')).toEqual(['queued', 'cancelled']);
    expect(sim.stats().callbacks.attempts).toBe(2);
  });

  it('retries a receiver that answers 500 or not at all, then gives up', async () => {
    sim.configure({ callbacks: { retries: 2, retryDelayMs: 10, timeoutMs: 200 } });
    let calls = 0;
    receiver.answer = () => (++calls === 1 ? 500 : calls === 2 ? 'hang' : 200);
    await submit('flaky receiver [sim:queue=50] [sim:render=100]', { callback_url: `${receiver.url}/tok-r` });
    // Queued, running and succeeded: three changes.
    const stats = await until(
      () => sim.stats().callbacks,
      (c) => c.delivered + c.failed >= 3,
    );
    expect(stats.delivered).toBe(3);
    expect(stats.attempts).toBe(5); // 500, timeout, 200 for the first; 200 for the others

    receiver.answer = () => 503;
    await submit('dead receiver [sim:queue=50] [sim:render=100]', { callback_url: `${receiver.url}/tok-d` });
    const after = await until(
      () => sim.stats().callbacks,
      (c) => c.failed >= 3,
    );
    expect(after.attempts).toBe(5 + 3 * 3);
  });

  it('a receiver that is not listening costs retries, not a crash', async () => {
    sim.configure({ callbacks: { retries: 1, retryDelayMs: 10 } });
    await receiver.stop();
    await submit('nobody home [sim:queue=50] [sim:render=100]', { callback_url: `${receiver.url}/tok-x` });
    const stats = await until(
      () => sim.stats().callbacks,
      (c) => c.failed >= 3,
    );
    expect(stats).toMatchObject({ delivered: 0, failed: 3, attempts: 6 });
    receiver = new Receiver(); // afterEach stops a fresh one
    await receiver.start();
  });

  it('loses, duplicates, delays and forges callbacks at the configured rates', async () => {
    sim.configure({ callbacks: { lossRate: 1 } });
    await submit('lost [sim:queue=50] [sim:render=100]', { callback_url: `${receiver.url}/tok-l` });
    expect(sim.stats().callbacks).toMatchObject({ scheduled: 3, lost: 3, attempts: 0 });

    sim.reset();
    sim.configure({ callbacks: { duplicateRate: 1 } });
    await submit('twice [sim:queue=50] [sim:render=100]', { callback_url: `${receiver.url}/tok-2` });
    expect(
      await until(
        () => receiver.statuses('tok-2'),
        (s) => s.length >= 6,
      ),
    ).toEqual(['queued', 'queued', 'running', 'running', 'succeeded', 'succeeded']);

    sim.reset();
    // Half held back 400 ms, past the task's end: late callbacks carry their stale status, and
    // some tasks hear their statuses out of order (the PRNG is seeded: the same run every time).
    sim.configure({ callbacks: { lateRate: 0.5, lateMs: 400 } });
    const tokens = ['l0', 'l1', 'l2', 'l3', 'l4', 'l5', 'l6', 'l7'];
    for (const t of tokens) await submit(`late ${t} [sim:queue=50] [sim:render=100]`, { callback_url: `${receiver.url}/${t}` });
    await until(
      () => tokens.map((t) => receiver.statuses(t).length),
      (counts) => counts.every((n) => n === 3),
    );
    const orders = tokens.map((t) => receiver.statuses(t).join(','));
    expect(orders.some((o) => o !== 'queued,running,succeeded')).toBe(true);
    expect(tokens.every((t) => [...receiver.statuses(t)].sort().join(',') === 'queued,running,succeeded')).toBe(true);
    expect(sim.stats().callbacks.late).toBeGreaterThan(0);

    sim.reset();
    sim.configure({ callbacks: { forgeRate: 1 } });
    receiver.answer = (r) => (r.path.endsWith('/tok-4') ? 200 : 404);
    await submit('forged [sim:queue=50] [sim:render=100]', { callback_url: `${receiver.url}/tok-4` });
    const forged = await until(
      () => sim.stats().callbacks,
      (c) => c.forgedAnswers['404'] === 3,
    );
    expect(forged.forged).toBe(3);
    const forgedPath = new URL(forgedUrl(`${receiver.url}/tok-4`)).pathname;
    const fakes = receiver.received.filter((r) => r.path === forgedPath);
    expect(fakes.map((r) => r.body.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });

  it('forges a token of the same length that is not the token', () => {
    const forged = forgedUrl('https://cb.example.com/seedance/callbacks/AbC.123');
    expect(forged).toMatch(/^https:\/\/cb\.example\.com\/seedance\/callbacks\/[A-B]{7}$/);
    expect(forged).not.toContain('AbC.123');
  });
});

describe('accept then drop', () => {
  it('creates the task and resets the connection instead of answering', async () => {
    sim.addFaults([{ on: 'submit', acceptThenDrop: true }]);
    const request = fetch(`${sim.url}${TASKS}`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, content: [{ type: 'text', text: 'dropped' }], seed: 4242 }),
      signal: AbortSignal.timeout(5000),
    });
    await expect(request).rejects.toThrow(/fetch failed/);
    const stats = sim.stats();
    expect(stats).toMatchObject({ submissions: 1, submitAttempts: 1 });
    // The task can be found in the list by what the client sent.
    const listed = await call('GET', `${TASKS}?filter.model=${MODEL}&filter.status=queued`);
    expect(listed.json.items.map((t: Json) => [t.id, t.seed])).toEqual([[stats.tasks[0]?.id, '4242']]);
  });
});
