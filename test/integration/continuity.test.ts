/**
 * Continuity end to end (issue 16, part 1): shots that continue from the last frame of the shot
 * before, on the real Temporal server and MinIO, against the simulator's labelled clips (each
 * shot's clip, and so its last frame, differs), with workers in their own processes so that one
 * can be killed mid-chain.
 */
import { randomUUID } from 'node:crypto';
import type { ManifestEntry, StoryboardResult } from '../../common/storyboard';
import { statusFromProgress } from '../../client/storyboard';
import { approveUpdate, storyboardProgressQuery } from '../../workflows';
import { harnessWorkerEnv, s3Object, s3Text, servedSha256, startHarness, waitFor, type Harness } from '../helpers/harness';
import { stageBoard, startBoard } from '../helpers/storyboard';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(600_000);

let h: Harness;
const workers: WorkerProcess[] = [];
async function startWorker(): Promise<WorkerProcess> {
  const worker = await spawnWorker(harnessWorkerEnv(h));
  workers.push(worker);
  await worker.ready();
  return worker;
}
beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false, sim: { renderMs: 1500, queueMs: 100 } });
  await startWorker();
});
afterAll(async () => {
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await h?.stop();
});
beforeEach(() => {
  h.sim.reset();
  h.sim.configure({ clips: 'labelled' });
});

const uniqueId = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

/** A chain c1 → c2 → ... → cN, plus one shot of its own; `extra(i)` adds directives to shot i's prompt. */
function chainDoc(id: string, length: number, extra: (i: number) => string = () => '') {
  const chain = Array.from({ length }, (_, k) => {
    const i = k + 1;
    return {
      id: `c${i}`,
      prompt: `the lighthouse, part ${i} of ${id} [sim:label=c${i}]${extra(i)}`,
      ...(i > 1 ? { continue_from: `c${i - 1}` } : {}),
    };
  });
  return { id, defaults: { duration: 4 }, shots: [...chain, { id: 'alone', prompt: `a shot of its own in ${id} [sim:label=alone]` }] };
}

const byId = (result: StoryboardResult) => new Map((result.shots ?? []).map((e) => [e.shotId, e] as const));
/** The simulator's task created for a shot, found by its label. */
const taskOf = (label: string) => h.sim.stats().tasks.filter((t) => t.prompt.includes(`[sim:label=${label}]`));

/** Each continuing shot submitted, as its first frame, exactly the bytes stored as the last frame of the shot before. */
async function expectChainHandedOver(entries: Map<string, ManifestEntry>, ids: string[]): Promise<void> {
  const frames: string[] = [];
  for (const [k, id] of ids.entries()) {
    const entry = entries.get(id) as ManifestEntry;
    expect(entry.status).toBe('stored');
    const [task] = taskOf(id);
    if (k > 0) {
      const before = entries.get(ids[k - 1] as string) as ManifestEntry;
      expect(entry.continuedFrom).toBe(ids[k - 1]);
      expect(task?.images).toEqual([{ role: 'first_frame', sha256: before.lastFrame?.sha256 }]);
    }
    if (k < ids.length - 1) {
      // Stored beside the video, byte-equal to what the provider served as that task's last frame.
      const frame = entry.lastFrame;
      expect(frame?.key).toBe(entry.key?.replace(/\.mp4$/, '.last-frame.png'));
      const stored = await s3Object(h, `${h.prefix}/${frame?.key}`);
      expect(stored).toMatchObject({ sha256: frame?.sha256, bytes: frame?.bytes });
      expect((await servedSha256(`${h.sim.url}/frames/${entry.taskId}.png`)).sha256).toBe(frame?.sha256);
      frames.push(frame?.sha256 as string);
    }
  }
  // Labelled clips: every shot's last frame is its own, so the comparison above could fail.
  expect(new Set(frames).size).toBe(frames.length);
}

test('a chain of 4: each later shot starts from the stored last frame of the one before, and waits for it outside the window', async () => {
  const id = uniqueId('chain');
  const staged = await stageBoard(h, chainDoc(id, 4));
  const handle = await startBoard(h, staged, { window: 3 });
  // While c3 renders, c4 waits for its frame, outside the window; status says so.
  const waiting = await waitFor(
    'c4 to wait for the last frame of c3',
    () => handle.query(storyboardProgressQuery),
    (p) => p.waitingForFrame?.c4 === 'c3' && p.shots.c3 !== undefined,
    60_000,
  );
  expect(waiting.shots.c4).toBeUndefined();
  expect(statusFromProgress(waiting).shots).toContainEqual({ shotId: 'c4', status: 'pending', reason: 'waiting for the last frame of c3' });
  const result = await handle.result();

  expect(result.counts).toMatchObject({ stored: 5, failed: 0, not_started: 0 });
  const entries = byId(result);
  await expectChainHandedOver(entries, ['c1', 'c2', 'c3', 'c4']);
  // Only sources ask for a last frame; the last shot of the chain and the lone shot do not keep one.
  expect(entries.get('c4')?.lastFrame).toBeUndefined();
  expect(entries.get('alone')?.lastFrame).toBeUndefined();
  // A continuing shot is created only after the shot it continues from has finished.
  const created = (label: string) => taskOf(label)[0]?.createdAt as number;
  for (const k of [2, 3, 4]) expect(created(`c${k}`)).toBeGreaterThan(created(`c${k - 1}`) + 1000);
  // The lone shot did not wait for the chain: it was submitted with c1.
  expect(created('alone')).toBeLessThan(created('c2'));
  expect(h.sim.stats().submissions).toBe(5);

  // The manifest in storage records the chain.
  const manifest = JSON.parse(await s3Text(h, `${h.prefix}/${result.manifestKey}`)) as { shots: ManifestEntry[] };
  expect(manifest.shots.map((e) => [e.shotId, e.continuedFrom ?? null])).toEqual([
    ['c1', null],
    ['c2', 'c1'],
    ['c3', 'c2'],
    ['c4', 'c3'],
    ['alone', null],
  ]);
  // The report shows the chain, first shot to last.
  const report = await s3Text(h, `${h.prefix}/${result.reportKey}`);
  expect(report).toMatch(
    /<li><a href="#shot-c1">c1<\/a>.*<a href="#shot-c2">c2<\/a>.*<a href="#shot-c3">c3<\/a>.*<a href="#shot-c4">c4<\/a>.*<\/li>/,
  );
});

test('a failure in the middle: the rest of the chain ends not_started with the reason, and is never submitted', async () => {
  const id = uniqueId('broken');
  const staged = await stageBoard(
    h,
    chainDoc(id, 4, (i) => (i === 2 ? ' [sim:fail=InternalServiceError]' : '')),
  );
  const result = await (await startBoard(h, staged, { window: 4 })).result();

  const entries = byId(result);
  expect(result.counts).toMatchObject({ stored: 2, failed: 1, not_started: 2 });
  expect(entries.get('c1')?.status).toBe('stored');
  expect(entries.get('c2')).toMatchObject({ status: 'failed', failureType: 'TaskFailed', continuedFrom: 'c1' });
  expect(entries.get('c3')).toMatchObject({ status: 'not_started', continuedFrom: 'c2' });
  expect(entries.get('c3')?.reason).toMatch(/^continues from c2, which failed \(TaskFailed: .*InternalServiceError/);
  expect(entries.get('c4')).toMatchObject({ status: 'not_started', continuedFrom: 'c3' });
  expect(entries.get('c4')?.reason).toBe(`continues from c3, which was not started (${entries.get('c3')?.reason})`);
  expect(entries.get('alone')?.status).toBe('stored');
  expect(taskOf('c3')).toHaveLength(0);
  expect(taskOf('c4')).toHaveLength(0);
});

test('a worker SIGKILLed mid-chain: another worker finishes the chain, nothing lost, nothing paid twice', async () => {
  const id = uniqueId('crash');
  const staged = await stageBoard(
    h,
    chainDoc(id, 4, () => ' [sim:render=3000]'),
  );
  const handle = await startBoard(h, staged, { window: 2 });
  // Kill the worker once c2 (the second link) is being rendered.
  await waitFor(
    'c2 to be submitted',
    () => handle.query(storyboardProgressQuery),
    (p) => p.shots.c2 === 'submitted' || p.shots.c2 === 'rendering',
    120_000,
  );
  const victim = workers.find((w) => w.child.exitCode === null) as WorkerProcess;
  victim.child.kill('SIGKILL');
  expect((await victim.exited).signal).toBe('SIGKILL');
  await startWorker();

  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: 5, failed: 0, not_started: 0 });
  await expectChainHandedOver(byId(result), ['c1', 'c2', 'c3', 'c4']);
  // One paid task per shot, the killed worker's included.
  for (const label of ['c1', 'c2', 'c3', 'c4', 'alone']) expect(taskOf(label)).toHaveLength(1);
});

test('draft mode: a continuing shot is drafted from the last frame of its source final, once that final is approved and stored', async () => {
  const id = uniqueId('drafted');
  const staged = await stageBoard(h, chainDoc(id, 2));
  const handle = await startBoard(h, staged, { window: 3, mode: 'draft' });
  const review = () => handle.query(storyboardProgressQuery);
  // c1 and the lone shot are drafted and wait for review; c2 waits for c1's final frame, not its draft's.
  const first = await waitFor('c1 and alone in review', review, (p) => p.review?.awaitingApproval.length === 2, 60_000);
  expect(first.review?.awaitingApproval).toEqual(['c1', 'alone']);
  expect(first.waitingForFrame).toEqual({ c2: 'c1' });
  expect(taskOf('c2')).toHaveLength(0);

  await handle.executeUpdate(approveUpdate, { args: [{ shots: ['c1', 'alone'] }] });
  await waitFor('c2 drafted and in review', review, (p) => p.review?.awaitingApproval.includes('c2') === true, 60_000);
  await handle.executeUpdate(approveUpdate, { args: [{ shots: ['c2'] }] });
  const result = await handle.result();

  expect(result.counts).toMatchObject({ stored: 3, failed: 0, not_started: 0 });
  const entries = byId(result);
  const c1 = entries.get('c1') as ManifestEntry;
  const c1Final = h.sim.stats().tasks.find((t) => t.id === c1.taskId);
  expect(c1Final?.draftTaskId).toBeDefined(); // c1's video is the final rendered from its draft
  // c2's draft was submitted with the stored last frame of c1's final as its first frame.
  const [c2Draft] = taskOf('c2').filter((t) => t.draft);
  expect(c2Draft?.images).toEqual([{ role: 'first_frame', sha256: c1.lastFrame?.sha256 }]);
  expect((await servedSha256(`${h.sim.url}/frames/${c1.taskId}.png`)).sha256).toBe(c1.lastFrame?.sha256);
  // ...and c2's final came from that draft.
  expect(entries.get('c2')).toMatchObject({ status: 'stored', continuedFrom: 'c1', draft: { taskId: c2Draft?.id } });
});
