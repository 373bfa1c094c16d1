/**
 * Callback tokens and the receiver (worker role `callbacks`), over real HTTP with a recording
 * signaller: only tokens we signed reach a workflow, bodies are bounded and parsed like a GET,
 * the answer comes at once whatever the signal does, and the counters say what happened.
 */
import { callbackToken, callbackUrl, verifyCallbackToken, type CallbackTarget } from '../../activities/seedance/callback-token';
import type { ProviderCallback } from '../../common/callbacks';
import { PhaseRelay } from '../../activities/phase-relay';
import { startCallbackReceiver, type CallbackReceiver } from '../../workers/callback-receiver';

/** Polls `done` every 10 ms for at most 2 s. */
async function waitUntil(done: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!done()) {
    if (Date.now() > deadline) throw new Error('condition not met within 2 s');
    await new Promise((r) => setTimeout(r, 10));
  }
}

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const OLD_SECRET = 'an-older-secret-still-accepted-for-a-while-987';
const TARGET: CallbackTarget = { workflowId: 'board-1/s01', runId: '5f0c6a3e-run', attempt: 2, parentWorkflowId: 'board-1' };

const TASK = {
  id: 'cgt-20260101000000-1',
  model: 'doubao-seedance-1-5-pro-251215',
  status: 'succeeded',
  content: { video_url: 'https://cdn/x.mp4' },
};

describe('callback tokens', () => {
  test('round-trip: the token names the run, attempt and storyboard it was signed for', () => {
    expect(verifyCallbackToken([SECRET], callbackToken(SECRET, TARGET))).toEqual(TARGET);
    const { parentWorkflowId: _none, ...alone } = TARGET;
    expect(verifyCallbackToken([SECRET], callbackToken(SECRET, alone))).toEqual(alone);
  });

  test('differs for every attempt and every run', () => {
    const tokens = new Set([
      callbackToken(SECRET, TARGET),
      callbackToken(SECRET, { ...TARGET, attempt: 3 }),
      callbackToken(SECRET, { ...TARGET, runId: 'another-run' }),
      callbackToken(SECRET, { ...TARGET, workflowId: 'board-1/s02' }),
    ]);
    expect(tokens.size).toBe(4);
  });

  test('refuses another secret, any changed character, truncation and garbage', () => {
    const token = callbackToken(SECRET, TARGET);
    expect(verifyCallbackToken(['some-other-secret-of-enough-length-000000'], token)).toBeUndefined();
    for (const i of [0, 5, token.indexOf('.') + 1, token.length - 1]) {
      const c = token[i] === 'A' ? 'B' : 'A';
      expect(verifyCallbackToken([SECRET], token.slice(0, i) + c + token.slice(i + 1))).toBeUndefined();
    }
    expect(verifyCallbackToken([SECRET], token.slice(0, -2))).toBeUndefined();
    for (const junk of ['', '.', 'a.b', 'x'.repeat(5000), `${token}.extra`]) expect(verifyCallbackToken([SECRET], junk)).toBeUndefined();
  });

  test('rotation: every configured secret verifies', () => {
    expect(verifyCallbackToken([SECRET, OLD_SECRET], callbackToken(OLD_SECRET, TARGET))).toEqual(TARGET);
  });

  test('the URL is the base plus the token, and carries no secret', () => {
    const url = callbackUrl('https://cb.example.com/seedance/', SECRET, TARGET);
    expect(url.startsWith('https://cb.example.com/seedance/')).toBe(true);
    expect(url).not.toContain(SECRET);
    expect(verifyCallbackToken([SECRET], url.slice(url.lastIndexOf('/') + 1))).toEqual(TARGET);
  });
});

describe('the callback receiver', () => {
  let receiver: CallbackReceiver;
  let signals: { target: CallbackTarget; callback: ProviderCallback }[];
  let relayed: { parent: string; phase: string; taskId?: string; workflowId: string }[];
  let signal: (target: CallbackTarget, callback: ProviderCallback) => Promise<void>;

  beforeEach(async () => {
    signals = [];
    relayed = [];
    signal = async (target, callback) => {
      signals.push({ target, callback });
    };
    receiver = await startCallbackReceiver({
      host: '127.0.0.1',
      port: 0,
      secrets: [SECRET],
      maxBodyBytes: 4096,
      signal: (t, c) => signal(t, c),
      // The real relay, outside any activity (as the receiver runs): what it sends is what the storyboard hears.
      phases: new PhaseRelay({
        intervalMs: 10,
        send: async (parent, updates) => {
          for (const u of updates)
            relayed.push({ parent, phase: u.phase, ...(u.taskId ? { taskId: u.taskId } : {}), workflowId: u.workflowId });
        },
      }),
    });
  });
  afterEach(async () => {
    await receiver.close();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${receiver.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

  test('a signed callback is answered 200 and signals the run it names, parsed like a GET', async () => {
    const res = await post(`/seedance/${callbackToken(SECRET, TARGET)}`, TASK);
    expect(res.status).toBe(200);
    await receiver.close(); // waits for the signals it started
    expect(signals).toEqual([
      {
        target: TARGET,
        callback: { attempt: 2, taskId: TASK.id, status: 'succeeded', rawStatus: 'succeeded', receivedAt: expect.any(Number) },
      },
    ]);
    expect(receiver.metrics()).toMatchObject({ received: { succeeded: 1 }, signalled: 1 });
  });

  test('gateway spellings are normalized; running tells the storyboard the shot is rendering', async () => {
    expect((await post(`/${callbackToken(SECRET, TARGET)}`, { ...TASK, status: 'processing' })).status).toBe(200);
    await receiver.close();
    expect(signals[0]?.callback).toMatchObject({ status: 'running', rawStatus: 'processing' });
    await waitUntil(() => relayed.length > 0);
    expect(relayed).toEqual([{ parent: 'board-1', phase: 'rendering', taskId: TASK.id, workflowId: 'board-1/s01' }]);
    expect(receiver.metrics()).toMatchObject({ signalled: 1, signalFailed: 0 });
  });

  test('an unknown or forged token is a bare 404 and signals nothing', async () => {
    const forged = callbackToken('not-our-secret-but-just-as-long-as-ours-00', TARGET);
    for (const path of [`/${forged}`, '/nothing', '/', `/${'x'.repeat(3000)}`]) {
      const res = await post(path, TASK);
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('');
    }
    await receiver.close();
    expect(signals).toEqual([]);
    expect(receiver.metrics().rejected).toEqual({ token: 4 });
  });

  test('bodies are bounded and must read as a task', async () => {
    const url = `/${callbackToken(SECRET, TARGET)}`;
    expect((await post(url, { ...TASK, padding: 'x'.repeat(10_000) })).status).toBe(413);
    expect((await post(url, { status: 'succeeded' })).status).toBe(400);
    expect((await post(url, { ...TASK, id: '../../etc' })).status).toBe(400);
    const raw = await fetch(`${receiver.url}${url}`, { method: 'POST', body: 'not json' });
    expect(raw.status).toBe(400);
    await receiver.close();
    expect(signals).toEqual([]);
    expect(receiver.metrics().rejected).toEqual({ too_large: 1, body: 3 });
  });

  test('the answer does not wait for Temporal; a failed signal is counted, not answered', async () => {
    let release: () => void = () => undefined;
    signal = () => new Promise<void>((_, reject) => (release = () => reject(new Error('workflow closed'))));
    const started = Date.now();
    const res = await post(`/${callbackToken(SECRET, TARGET)}`, TASK);
    expect(res.status).toBe(200);
    expect(Date.now() - started).toBeLessThan(2_000);
    release();
    await receiver.close();
    expect(receiver.metrics()).toMatchObject({ signalled: 0, signalFailed: 1 });
  });

  test('health and metrics', async () => {
    await post(`/${callbackToken(SECRET, TARGET)}`, TASK);
    await post('/nope', TASK);
    expect(await (await fetch(`${receiver.url}/healthz`)).json()).toEqual({ ok: true });
    const text = await (await fetch(`${receiver.url}/metrics`)).text();
    expect(text).toContain('seedance_callbacks_received_total{status="succeeded"} 1');
    expect(text).toContain('seedance_callbacks_rejected_total{reason="token"} 1');
    expect((await fetch(`${receiver.url}/other`)).status).toBe(404);
  });
});
