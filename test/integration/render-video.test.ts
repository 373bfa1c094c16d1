/**
 * renderVideo end to end: real Temporal dev server, real MinIO, the simulator for Seedance.
 */
import { randomUUID } from 'node:crypto';
import { copyFileSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createStorage } from '../../storage/from-config';
import { toImageReference } from '../../client/stage';
import { startRenderVideo, waitForVideo } from '../../client/video';
import type { RenderVideoInput } from '../../common/render';
import { renderVideoProgressQuery } from '../../workflows';
import { historyText } from '../helpers/history';
import { FAST_SCHEDULE, TEST_API_KEY, s3Object, servedSha256, startHarness, waitFor, type Harness } from '../helpers/harness';

jest.setTimeout(90_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.sim.reset());

function render(shot: RenderVideoInput['shot'], extra: Partial<RenderVideoInput> = {}) {
  const input: RenderVideoInput = { shot, schedule: FAST_SCHEDULE, ...extra };
  return startRenderVideo(h.client, input, { taskQueue: h.config.SEEDANCE_TASK_QUEUE, workflowId: `rv-${randomUUID()}` });
}

async function renderAndWait(shot: RenderVideoInput['shot'], extra: Partial<RenderVideoInput> = {}) {
  const handle = await render(shot, extra);
  return { handle, outcome: await waitForVideo(handle) };
}

function taskVideoUrl(taskId: string): string {
  return `${h.sim.url}/videos/${taskId}.mp4`;
}

describe('renders and stores', () => {
  test('tasks family: the object in S3 has the served file’s sha256 and the metadata', async () => {
    const { outcome } = await renderAndWait({ prompt: 'a lighthouse at dawn', seed: 7, duration: 5 });
    expect(outcome).toMatchObject({ status: 'stored', storageUrl: expect.stringMatching(/^s3:\/\//) });
    const stored = await s3Object(h, `${h.prefix}/${outcome.key}`);
    const served = await servedSha256(taskVideoUrl(outcome.taskId as string));
    expect(stored.sha256).toBe(served.sha256);
    expect(outcome.sha256).toBe(served.sha256);
    expect(outcome.bytes).toBe(served.bytes);
    expect(stored.metadata).toMatchObject({ 'task-id': outcome.taskId, model: 'doubao-seedance-1-5-pro-251215' });
    expect(stored.metadata['prompt-sha256']).toMatch(/^[0-9a-f]{64}$/);
    expect(outcome.usage?.totalTokens).toBeGreaterThan(0);
    expect(h.sim.stats().submissions).toBe(1);
  });

  test('predictions family with a local image staged in storage, gateway status names and string numbers', async () => {
    h.sim.configure({ statusNames: 'gateway', numbersAsStrings: true });
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-img-'));
    const png = path.join(dir, 'first.png');
    copyFileSync(path.resolve(__dirname, '../fixtures/first-frame.png'), png);
    const ref = await toImageReference(createStorage(h.config).storage, png);
    expect(ref).toMatch(/^s3:\/\/.*\/inputs\/[0-9a-f]{64}\.png$/);

    const { handle, outcome } = await renderAndWait({
      prompt: 'the cat walks',
      api: 'predictions',
      images: [{ url: ref, role: 'first_frame' }],
      duration: 5,
    });
    expect(outcome.status).toBe('stored');
    const stored = await s3Object(h, `${h.prefix}/${outcome.key}`);
    expect(stored.sha256).toBe((await servedSha256(taskVideoUrl(outcome.taskId as string))).sha256);
    // The image travelled as a reference: no bytes, no data URL in history.
    expect((await historyText(handle)).includes('data:image')).toBe(false);
  });

  test('a second render to the same key finds the object and skips the copy', async () => {
    const key = `videos/same-key-${randomUUID()}.mp4`;
    const first = await renderAndWait({ prompt: 'first' }, { storageKey: key });
    const second = await renderAndWait({ prompt: 'first' }, { storageKey: key });
    expect(first.outcome).toMatchObject({ status: 'stored', skipped: false });
    expect(second.outcome).toMatchObject({ status: 'stored', skipped: true, sha256: first.outcome.sha256 });
  });

  test('the API key appears nowhere in the workflow history', async () => {
    const { handle, outcome } = await renderAndWait({ prompt: 'secret check' });
    expect(outcome.status).toBe('stored');
    const history = await historyText(handle);
    // The search is meaningful: decoded payloads are there (the task id is), the key is not.
    expect(history.includes(outcome.taskId as string)).toBe(true);
    expect(history.includes(TEST_API_KEY)).toBe(false);
    expect(history.includes(Buffer.from(TEST_API_KEY).toString('base64'))).toBe(false);
  });
});

describe('retries what the provider did not accept', () => {
  test('429 storm with Retry-After, then success: waits as told, submits once', async () => {
    h.sim.addFaults([{ on: 'submit', status: 429, retryAfter: 1, times: 3 }]);
    const started = Date.now();
    const { outcome } = await renderAndWait({ prompt: 'storm' });
    expect(outcome.status).toBe('stored');
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(h.sim.stats()).toMatchObject({ submitAttempts: 4, submissions: 1 });
  });

  test('429 without Retry-After backs off and succeeds', async () => {
    h.sim.addFaults([{ on: 'submit', status: 429, times: 2 }]);
    const { outcome } = await renderAndWait({ prompt: 'storm, no header' });
    expect(outcome.status).toBe('stored');
    expect(h.sim.stats()).toMatchObject({ submitAttempts: 3, submissions: 1 });
  });

  test('500s on submit and on polls, an HTML 502 and malformed JSON, then success', async () => {
    h.sim.addFaults([
      { on: 'submit', status: 500, times: 2 },
      { on: 'get', status: 500, times: 2 },
      { on: 'get', status: 502, body: '<html><h1>502 Bad Gateway</h1></html>' },
      { on: 'get', malformed: true },
    ]);
    const { outcome } = await renderAndWait({ prompt: 'flaky provider' });
    expect(outcome.status).toBe('stored');
    expect(h.sim.stats()).toMatchObject({ submitAttempts: 3, submissions: 1 });
  });
});

describe('fails with a typed reason', () => {
  test('content policy at submit fails fast, without retry', async () => {
    const { outcome } = await renderAndWait({ prompt: 'forbidden [sim:policy]' });
    expect(outcome).toMatchObject({ status: 'failed', failureType: 'ContentPolicyViolation' });
    expect(h.sim.stats()).toMatchObject({ submitAttempts: 1, submissions: 0 });
  });

  test('content policy on output (task failed) is the same failure type, with the task id', async () => {
    const { outcome } = await renderAndWait({ prompt: 'bad output [sim:output-policy]' });
    expect(outcome).toMatchObject({ status: 'failed', failureType: 'ContentPolicyViolation', taskId: expect.any(String) });
    expect(outcome.message).toContain('OutputVideoSensitiveContentDetected');
  });

  test('failed task carries the provider code and message', async () => {
    const { outcome } = await renderAndWait({ prompt: 'doomed [sim:fail=ModelOverloadedError]' });
    expect(outcome).toMatchObject({ status: 'failed', failureType: 'TaskFailed', taskId: expect.any(String) });
    expect(outcome.message).toContain('ModelOverloadedError');
    expect(h.sim.stats().submissions).toBe(1);
  });

  test('expired task', async () => {
    const { outcome } = await renderAndWait({ prompt: 'waits forever [sim:expire]' });
    expect(outcome).toMatchObject({ status: 'failed', failureType: 'TaskExpired', taskId: expect.any(String) });
  });

  test('deadline passed: typed failure that keeps the task id', async () => {
    const { outcome } = await renderAndWait({ prompt: 'slow [sim:render=120000]' }, { schedule: { ...FAST_SCHEDULE, deadlineMs: 2500 } });
    expect(outcome).toMatchObject({ status: 'failed', failureType: 'PollDeadlineExceeded', taskId: h.sim.stats().tasks[0]?.id });
    expect(h.sim.stats().submissions).toBe(1);
  });

  test('an unknown status is reported by name, not retried forever', async () => {
    const { outcome } = await renderAndWait({ prompt: 'odd [sim:status=rendering_hd] [sim:render=60000]' }, { maxUnknownStatusPolls: 3 });
    expect(outcome).toMatchObject({ status: 'failed', failureType: 'UnknownTaskStatus' });
    expect(outcome.message).toContain('rendering_hd');
  });

  test('output link gone (404 on download) is OutputGone', async () => {
    const { outcome } = await renderAndWait({ prompt: 'vanishing [sim:gone]' });
    expect(outcome).toMatchObject({ status: 'failed', failureType: 'OutputGone', taskId: expect.any(String) });
  });

  test('insufficient balance and permission are told apart', async () => {
    const balance = await renderAndWait({ prompt: 'broke [sim:balance]' });
    const forbidden = await renderAndWait({ prompt: 'not mine [sim:forbidden]' });
    expect(balance.outcome.failureType).toBe('InsufficientBalance');
    expect(forbidden.outcome.failureType).toBe('PermissionDenied');
    expect(h.sim.stats().submitAttempts).toBe(2);
  });

  test('a submit sent without answer is found in the task list by its seed and stored, never resubmitted', async () => {
    h.sim.addFaults([{ on: 'submit', acceptThenHang: true }]);
    const { handle, outcome } = await renderAndWait({ prompt: 'lost answer' });
    expect(outcome).toMatchObject({ status: 'stored', taskId: h.sim.stats().tasks[0]?.id });
    expect(h.sim.stats()).toMatchObject({ submitAttempts: 1, submissions: 1 });
    expect(await handle.query(renderVideoProgressQuery)).toMatchObject({ adoptedBy: 'task-list' });
  });

  test('a predictions-family submit sent without answer is SubmitOutcomeUnknown (no task list to settle it), never resubmitted', async () => {
    h.sim.addFaults([{ on: 'submit', acceptThenHang: true }]);
    const { outcome } = await renderAndWait({ prompt: 'lost answer', model: 'doubao-seedance-2-0-fast-260128' });
    expect(outcome).toMatchObject({ status: 'failed', failureType: 'SubmitOutcomeUnknown' });
    expect(outcome.message).toMatch(/no task list/);
    expect(h.sim.stats()).toMatchObject({ submitAttempts: 1, submissions: 1, listRequests: 0 });
  });

  test('invalid input is refused before anything is sent', async () => {
    const { outcome } = await renderAndWait({ prompt: 'p', duration: 99 });
    expect(outcome).toMatchObject({ status: 'failed', failureType: 'InvalidRequest' });
    expect(outcome.message).toContain('duration');
    expect(h.sim.stats().submitAttempts).toBe(0);
  });
});

describe('cancellation', () => {
  test('stops polling, cancels the queued task at the provider, ends cancelled', async () => {
    h.sim.configure({ queueMs: 60_000, renderMs: 120_000 });
    const handle = await render({ prompt: 'never mind' });
    const progress = await waitFor(
      'a task id and a poll',
      () => handle.query(renderVideoProgressQuery),
      (p) => p.polls >= 1 && !!p.taskId,
    );
    expect(progress.phase).toBe('polling');
    await handle.cancel();
    const outcome = await waitForVideo(handle);
    expect(outcome.status).toBe('cancelled');
    const task = h.sim.stats().tasks.find((t) => t.id === progress.taskId);
    expect(task?.status).toBe('cancelled');
    const gets = h.sim.stats().getRequests;
    await new Promise((r) => setTimeout(r, 1500)); // longer than the poll interval: no poll may follow
    expect(h.sim.stats().getRequests).toBe(gets);
  });
});
