/**
 * Worker SIGKILLs at any moment through a storyboard, with callbacks on (issue 13): the kill
 * between a submit leaving and its answer being recorded is no longer avoided (the "remaining
 * window" test/integration/chaos.test.ts still steps around); half the kills even wait for a
 * submit in flight. An ambiguous submit is settled from its callback or the provider's task
 * list, so: every task the provider created and finished is stored, no prompt is paid twice,
 * and no shot fails SubmitOutcomeUnknown.
 *
 * The callback receiver runs in the test process (the harness's callbacks-only worker), so a
 * kill takes workflows, submits, polls and copies, not the address the provider calls back.
 * Two worker processes: one of the `provider` role (every submit leaves from it, so an aimed
 * kill hits the sender) and one of `workflows,copy`.
 */
import { randomUUID } from 'node:crypto';
import { shotWorkflowId, type ManifestEntry } from '../../common/storyboard';
import { renderVideoProgressQuery, storyboardProgressQuery } from '../../workflows';
import { startKiller, type Killer } from '../helpers/chaos';
import { harnessWorkerEnv, receiverMetrics, s3Object, startHarness, waitFor, type Harness } from '../helpers/harness';
import { boardDoc, stageBoard, startBoard } from '../helpers/storyboard';
import { spawnWorker, type WorkerProcess } from '../helpers/worker-process';

jest.setTimeout(300_000);

const SHOTS = 40;
const PROVIDER = 'provider';
const ORCHESTRATION = 'workflows,copy';

let h: Harness;
let killer: Killer | undefined;
const workers: WorkerProcess[] = [];
const rolesOf = new Map<WorkerProcess, string>();
const chaosLog: string[] = [];

beforeAll(async () => {
  h = await startHarness({
    inProcessWorker: false,
    // A slow safety net (callbacks do the work) and a short wait for an ambiguous attempt's callback.
    callbacks: { safetyInitialMs: 5_000, adoptWaitMs: 5_000 },
    sim: { renderMs: 2500, queueMs: 200 },
  });
});
afterAll(async () => {
  await killer?.stop().catch(() => undefined);
  for (const w of workers) if (w.child.exitCode === null) w.child.kill('SIGKILL');
  await Promise.all(workers.map((w) => w.exited));
  await h?.stop();
  // What happened, for whoever reads a failing run.
  if (chaosLog.length) process.stderr.write(`callbacks chaos log:\n  ${chaosLog.join('\n  ')}\n`);
});

async function spawn(roles: string): Promise<WorkerProcess> {
  const w = await spawnWorker(harnessWorkerEnv(h, { SEEDANCE_LOG_LEVEL: 'WARN', SEEDANCE_WORKER_ROLES: roles }));
  workers.push(w);
  rolesOf.set(w, roles);
  await w.ready();
  return w;
}

test(`${SHOTS} shots through worker SIGKILLs at any moment, some mid-submit: nothing paid twice, nothing paid lost`, async () => {
  await spawn(PROVIDER);
  await spawn(ORCHESTRATION);
  // Every submit is held 250 ms before the simulator takes it: a wider window for a kill
  // with the request on the wire (the simulator still creates the task after the kill).
  h.sim.addFaults([{ on: 'submit', delayMs: 250, times: 10_000 }]);
  const id = `cb-chaos-${randomUUID().slice(0, 8)}`;
  const staged = await stageBoard(h, boardDoc(id, SHOTS));
  const handle = await startBoard(h, staged, { window: 10 });
  const stored = async () => (await handle.query(storyboardProgressQuery)).counts.stored;

  killer = startKiller({
    everyMs: [2500, 4500],
    targets: () => workers,
    respawn: async (killed) => {
      workers.splice(workers.indexOf(killed), 1);
      return spawn(rolesOf.get(killed) as string);
    },
    midSubmit: { share: 0.5, submits: () => h.sim.stats(), senders: () => workers.filter((w) => rolesOf.get(w) === PROVIDER) },
    log: (line) => chaosLog.push(`${new Date().toISOString()} ${line}`),
  });
  await waitFor('a first shot stored', stored, (n) => n >= 1, 120_000, 500);

  const result = await handle.result();
  await killer.stop();
  chaosLog.push(
    `${new Date().toISOString()} done: ${killer.kills()} kills (${killer.midSubmitKills()} mid-submit), ${killer.skips()} skipped`,
  );
  expect(killer.kills()).toBeGreaterThanOrEqual(4);

  const entries = result.shots as ManifestEntry[];
  expect(entries).toHaveLength(SHOTS);
  // Nothing failed: the simulator fails no task here, and an ambiguous submit is settled, not reported.
  expect(entries.filter((e) => e.status !== 'stored').map((e) => [e.shotId, e.failureType, e.failureMessage])).toEqual([]);
  const stats = h.sim.stats();
  // 0 double-paid: every prompt created at most one task.
  expect(Object.entries(stats.submissionsByPrompt).filter(([, n]) => n > 1)).toEqual([]);
  // 0 paid but not stored: every task the provider created and finished is a stored shot.
  const storedTaskIds = new Set(entries.map((e) => e.taskId));
  expect(stats.tasks.filter((t) => t.status === 'succeeded' && !storedTaskIds.has(t.id)).map((t) => t.prompt)).toEqual([]);
  expect(stats.submissions).toBe(SHOTS);
  // The manifest is the bucket.
  for (const e of entries) {
    const object = await s3Object(h, `${h.prefix}/${e.key}`);
    expect({ shot: e.shotId, sha256: object.sha256, bytes: object.bytes }).toEqual({ shot: e.shotId, sha256: e.sha256, bytes: e.bytes });
  }
  // How each shot's submit ended: a kill mid-submit leaves an ambiguous attempt, settled by adoption.
  const adopted: Record<string, number> = {};
  for (const e of entries) {
    const progress = await h.client.workflow.getHandle(shotWorkflowId(id, e.shotId)).query(renderVideoProgressQuery);
    if (progress.adoptedBy) adopted[progress.adoptedBy] = (adopted[progress.adoptedBy] ?? 0) + 1;
  }
  chaosLog.push(`${new Date().toISOString()} shots adopted after an ambiguous submit: ${JSON.stringify(adopted)}`);
  if (killer.midSubmitKills() > 0) expect(Object.values(adopted).reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(1);
  const metrics = await receiverMetrics(h);
  chaosLog.push(
    `${new Date().toISOString()} simulator: ${stats.submitAttempts} submit attempts, ${stats.getRequests} GETs, ${stats.listRequests} list requests; receiver: ${JSON.stringify(metrics)}`,
  );
  expect(metrics['received{status="succeeded"}']).toBeGreaterThanOrEqual(SHOTS);
});
