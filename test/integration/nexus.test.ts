/**
 * Across namespaces through Nexus: workflows of another team, in namespace team-a, render
 * through an endpoint that routes to the seedance-flow worker (SEEDANCE_NEXUS=true) in the
 * seedance namespace. Real Temporal dev server, real MinIO, the simulator.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { Client, WorkflowFailedError, WorkflowNotFoundError } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { stringify } from 'yaml';
import { connectWorker } from '../../temporal/connection';
import { storyboardProgressQuery } from '../../workflows';
import type { storyboardThroughNexus, videoThroughNexus } from '../fixtures/nexus-caller/workflows';
import { FAST_SCHEDULE, s3Object, s3Text, startHarness, waitFor, type Harness } from '../helpers/harness';
import { CALLER_NAMESPACE, createNexusEndpoint, deleteNexusEndpoint } from '../helpers/nexus';
import { boardDoc, stageBoard } from '../helpers/storyboard';

jest.setTimeout(300_000);

let h: Harness;
let endpoint: string;
/** team-a's client and worker: they know the endpoint's name and the contract, nothing else. */
let caller: Client;
let callerWorker: Worker;
let callerRunning: Promise<void>;
let closeCallerConnection: () => Promise<void>;
const callerQueue = `team-a-${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  h = await startHarness({ env: { SEEDANCE_NEXUS: 'true' } });
  // One endpoint per run, to this run's queue in the seedance namespace: runs never share one.
  endpoint = `seedance-${h.config.SEEDANCE_TASK_QUEUE}`;
  await createNexusEndpoint(h.client, endpoint, h.config.SEEDANCE_TASK_QUEUE, h.client.options.namespace);
  // With SEEDANCE_CODEC_KEYS set the caller encrypts too: our results reach it encrypted (README "Payload encryption").
  const { connection, dataConverter } = await connectWorker(h.config, { ...process.env, TEMPORAL_NAMESPACE: CALLER_NAMESPACE });
  closeCallerConnection = () => connection.close();
  callerWorker = await Worker.create({
    connection,
    namespace: CALLER_NAMESPACE,
    taskQueue: callerQueue,
    workflowsPath: path.resolve(__dirname, '../fixtures/nexus-caller/workflows.ts'),
    ...(dataConverter ? { dataConverter } : {}),
  });
  callerRunning = callerWorker.run();
  caller = new Client({ connection: h.client.connection, namespace: CALLER_NAMESPACE, ...(dataConverter ? { dataConverter } : {}) });
});

afterAll(async () => {
  callerWorker?.shutdown();
  await callerRunning;
  await closeCallerConnection?.();
  if (endpoint) await deleteNexusEndpoint(endpoint);
  await h?.stop();
});

beforeEach(() => h.sim.reset());

/** temporal.api.enums.v1.CallbackState.CALLBACK_STATE_SUCCEEDED (describe's raw proto). */
const CALLBACK_SUCCEEDED = 5;

const uniqueId = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

function renderStoryboardFromTeamA(callerId: string, input: Parameters<typeof storyboardThroughNexus>[0]['input']) {
  return caller.workflow.start<typeof storyboardThroughNexus>('storyboardThroughNexus', {
    taskQueue: callerQueue,
    workflowId: callerId,
    args: [{ endpoint, input }],
  });
}

/** The storyboard's runs in the seedance namespace, newest first. */
async function storyboardRuns(storyboardId: string): Promise<{ runId: string; status: string }[]> {
  const runs: { runId: string; status: string }[] = [];
  for await (const w of h.client.workflow.list({ query: `WorkflowId = '${storyboardId}'` }))
    runs.push({ runId: w.runId, status: w.status.name });
  return runs;
}

test('a workflow in team-a renders a storyboard through the endpoint and receives its result, across continue-as-new', async () => {
  const id = uniqueId('nexus-board');
  const staged = await stageBoard(h, boardDoc(id, 4));
  // Two shots per run: the result must reach the caller from the storyboard's last run, as it
  // does for any storyboard over 500 shots.
  const result = await (
    await renderStoryboardFromTeamA(`team-a-${id}`, { ...staged, schedule: FAST_SCHEDULE, window: 2, shotsPerRun: 2 })
  ).result();

  expect(result).toMatchObject({ storyboardId: id, manifestKey: `${id}/manifest.json` });
  expect(result.counts).toMatchObject({ stored: 4, failed: 0, not_started: 0 });
  const manifest = JSON.parse(await s3Text(h, `${h.prefix}/${result.manifestKey}`));
  expect(manifest.shots.map((s: { shotId: string; status: string }) => [s.shotId, s.status])).toEqual(
    boardDoc(id, 4).shots.map((s) => [s.id, 'stored']),
  );
  for (const shot of manifest.shots) expect((await s3Object(h, `${h.prefix}/${shot.key}`)).sha256).toBe(shot.sha256);
  // The operation was backed by our workflow, under the storyboard's id, in the seedance namespace.
  const described = await h.client.workflow.getHandle(id).describe();
  expect(described.status.name).toBe('COMPLETED');
  expect(described.taskQueue).toBe(h.config.SEEDANCE_TASK_QUEUE);
  expect(described.raw.callbacks?.map((c) => c.callback?.links?.[0]?.workflowEvent?.workflowId)).toEqual([`team-a-${id}`]);
  const runs = await waitFor(
    'every run listed',
    () => storyboardRuns(id),
    (r) => r.length >= 2 && r.every((x) => x.status !== 'RUNNING'),
  );
  expect(runs.map((r) => r.status).sort()).toEqual(['COMPLETED', ...Array(runs.length - 1).fill('CONTINUED_AS_NEW')]);
  expect(h.sim.stats().submissions).toBe(4);
});

test('a storyboard handed over as a file in storage renders through the endpoint too', async () => {
  const id = uniqueId('nexus-file');
  const doc = boardDoc(id, 2);
  await h.s3.send(
    new PutObjectCommand({ Bucket: h.bucket, Key: `${h.prefix}/boards/${id}.yaml`, Body: stringify(doc), ContentType: 'application/yaml' }),
  );
  const source = `s3://${h.bucket}/${h.prefix}/boards/${id}.yaml`;
  const result = await (await renderStoryboardFromTeamA(`team-a-${id}`, { storyboardId: id, source, schedule: FAST_SCHEDULE })).result();
  expect(result.counts).toMatchObject({ stored: 2, failed: 0, not_started: 0 });
  expect(result.shots?.map((s) => s.shotId)).toEqual(doc.shots.map((s) => s.id));
  expect(h.sim.stats().submissions).toBe(2);
});

test('two callers with the same storyboard id share one run: one submission per shot, both get the result', async () => {
  // Renders long enough that the second call surely arrives while the storyboard runs.
  h.sim.configure({ renderMs: 5000 });
  const id = uniqueId('nexus-shared');
  const staged = await stageBoard(h, boardDoc(id, 3));
  const input = { ...staged, schedule: FAST_SCHEDULE, window: 3 };
  const first = await renderStoryboardFromTeamA(`team-a-${id}-first`, input);
  // The second (a retried caller, or another team's workflow) starts while the first one's storyboard runs.
  await waitFor(
    'the storyboard running',
    () => h.client.workflow.getHandle(id).query(storyboardProgressQuery),
    (p) => !p.done,
    60_000,
  );
  const second = await renderStoryboardFromTeamA(`team-a-${id}-second`, input);
  const [a, b] = await Promise.all([first.result(), second.result()]);

  expect(a.counts.stored).toBe(3);
  expect(b).toEqual(a);
  const runs = await waitFor(
    'one run listed',
    () => storyboardRuns(id),
    (r) => r.length === 1,
  );
  expect(runs[0]?.status).toBe('COMPLETED');
  // Both operations' completion callbacks were attached to that one run, each linking back to
  // its caller. (A caller may see its result a moment before the run records the delivery.)
  const described = await waitFor(
    'both callbacks delivered',
    () => h.client.workflow.getHandle(id).describe(),
    (d) => d.raw.callbacks?.length === 2 && d.raw.callbacks.every((c) => c.state === CALLBACK_SUCCEEDED),
  );
  const callers = described.raw.callbacks?.map((c) => [
    c.state,
    c.callback?.links?.[0]?.workflowEvent?.namespace,
    c.callback?.links?.[0]?.workflowEvent?.workflowId,
  ]);
  // Describe lists callbacks in no fixed order.
  expect(callers?.sort((x, y) => String(x[2]).localeCompare(String(y[2])))).toEqual([
    [CALLBACK_SUCCEEDED, CALLER_NAMESPACE, first.workflowId],
    [CALLBACK_SUCCEEDED, CALLER_NAMESPACE, second.workflowId],
  ]);
  const stats = h.sim.stats();
  expect(stats.submissions).toBe(3);
  expect(Object.values(stats.submissionsByPrompt)).toEqual([1, 1, 1]);

  // After it finished, the same call runs it again and renders nothing: every video is reused.
  const again = await (await renderStoryboardFromTeamA(`team-a-${id}-again`, input)).result();
  expect(again.counts.stored).toBe(3);
  expect(again.shots?.every((s) => s.reused)).toBe(true);
  expect(h.sim.stats().submissions).toBe(3);
});

test('cancelling the caller cancels the storyboard, its shots and their provider tasks', async () => {
  // Tasks stay queued, the state in which the provider accepts a cancel (DELETE).
  h.sim.configure({ queueMs: 120_000, renderMs: 180_000 });
  const id = uniqueId('nexus-cancel');
  const staged = await stageBoard(h, boardDoc(id, 5));
  const callerHandle = await renderStoryboardFromTeamA(`team-a-${id}`, { ...staged, schedule: FAST_SCHEDULE, window: 2 });
  await waitFor(
    'two shots submitted',
    () => h.client.workflow.getHandle(id).query(storyboardProgressQuery),
    (p) => p.counts.submitted + p.counts.rendering === 2,
    60_000,
  );

  await callerHandle.cancel();
  const err = await callerHandle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  expect((err as WorkflowFailedError).cause?.name).toBe('CancelledFailure');

  expect((await h.client.workflow.getHandle(id).describe()).status.name).toBe('CANCELLED');
  for (const s of boardDoc(id, 5).shots.slice(0, 2)) {
    await waitFor(
      `${s.id} cancelled`,
      async () => (await h.client.workflow.getHandle(`${id}/${s.id}`).describe()).status.name,
      (st) => st === 'CANCELLED',
      30_000,
    );
  }
  await waitFor(
    'provider tasks cancelled',
    () => h.sim.stats().tasks.filter((t) => t.status === 'cancelled').length,
    (n) => n === 2,
    30_000,
  );
  expect(h.sim.stats().submissions).toBe(2);
});

test('renderVideo through the endpoint: stored once; the same shot again returns that video without a second submission', async () => {
  const input = { shot: { prompt: `a fox in the snow ${randomUUID()}`, duration: 5 }, schedule: FAST_SCHEDULE };
  const call = async (callerId: string) =>
    (
      await caller.workflow.start<typeof videoThroughNexus>('videoThroughNexus', {
        taskQueue: callerQueue,
        workflowId: callerId,
        args: [{ endpoint, input }],
      })
    ).result();
  const first = await call(uniqueId('team-a-video'));
  expect(first.storage.skipped).toBe(false);
  expect((await s3Object(h, `${h.prefix}/${first.storage.key}`)).sha256).toBe(first.storage.sha256);

  const second = await call(uniqueId('team-a-video'));
  expect(second).toEqual(first);
  expect(h.sim.stats().submissions).toBe(1);
});

test('a bad input fails the caller at once as BAD_REQUEST, and nothing starts', async () => {
  const id = uniqueId('nexus-bad');
  const staged = await stageBoard(h, boardDoc(id, 1));
  const callerHandle = await renderStoryboardFromTeamA(`team-a-${id}`, { ...staged, window: 0 });
  const err = await callerHandle.result().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowFailedError);
  const nexusFailure = (err as WorkflowFailedError).cause as Error & {
    cause?: Error & { type?: string; cause?: Error & { type?: string } };
  };
  expect(nexusFailure.name).toBe('NexusOperationFailure');
  expect(nexusFailure.cause).toMatchObject({ name: 'HandlerError', type: 'BAD_REQUEST' });
  expect(nexusFailure.cause?.message).toContain('window');
  await expect(h.client.workflow.getHandle(id).describe()).rejects.toThrow(WorkflowNotFoundError);
});
