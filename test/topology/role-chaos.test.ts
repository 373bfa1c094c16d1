/**
 * The production topology (PostgreSQL + the Temporal server, `scripts/infra.sh up --topology
 * production`) with worker processes split by role as teams deploy them: two `workflows`, one
 * `provider`, two `copy` and one `callbacks` process. Role processes are SIGKILLed at random
 * every few seconds (at any moment, mid-submit included: callbacks and the provider's task
 * list settle an ambiguous submit), against a simulator answering 429s and 500s and failing
 * some tasks.
 *
 * 1. A storyboard (SEEDANCE_TOPOLOGY_SHOTS, default 200) with the Temporal server SIGKILLed
 *    and restarted once in the middle.
 * 2. A smaller one with the S3 server (MinIO) down for 30 s in the middle of the copies.
 *
 * Asserted (test/helpers/render-outcome.ts): every shot stored or failed with its reason, no
 * prompt submitted twice, no provider-succeeded task missing from the bucket, manifest = bucket.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { ManifestEntry } from '../../common/storyboard';
import { createS3Client } from '../../storage/s3';
import { storyboardProgressQuery } from '../../workflows';
import { startKiller, type Killer } from '../helpers/chaos';
import { harnessWorkerEnv, startHarness, waitFor, type Harness } from '../helpers/harness';
import { restartTemporalServer, topologyEnv } from '../helpers/production-topology';
import { startPrivateMinio, type PrivateMinio } from '../helpers/private-minio';
import { expectDurableOutcome } from '../helpers/render-outcome';
import { startFleet, type Fleet } from '../helpers/role-workers';
import { stageBoard, startBoard } from '../helpers/storyboard';

const SHOTS = Number(process.env.SEEDANCE_TOPOLOGY_SHOTS ?? 200);
const OUTAGE_SHOTS = 40;
const S3_DOWN_MS = 30_000;
const IMAGE = path.resolve(__dirname, '../../examples/images/dawn-start.png');
const PREDICTIONS_MODEL = 'doubao-seedance-2-0-fast-260128';

// Bounded by jest: the 200-shot run takes minutes on 2 cores (README, "Topology tests").
jest.setTimeout(900_000);

let minio: PrivateMinio;
let h: Harness;
let fleet: Fleet;
let killer: Killer | undefined;
const chaosLog: string[] = [];
const note = (line: string) => chaosLog.push(`${new Date().toISOString()} ${line}`);

beforeAll(async () => {
  const { temporalAddress } = topologyEnv();
  // S3 of this file's own, so it can be stopped without touching anybody's MinIO.
  minio = await startPrivateMinio();
  process.env.AWS_ENDPOINT_URL_S3 = minio.endpoint;
  h = await startHarness({
    inProcessWorker: false,
    sim: { rates: { rateLimit: 0.08, serverError: 0.05, failed: 0.05 }, randomSeed: 15, retryAfterSeconds: 1, renderMs: 2500 },
    env: { TEMPORAL_ADDRESS: temporalAddress, AWS_ENDPOINT_URL_S3: minio.endpoint },
  });
  h.s3.destroy();
  h.s3 = createS3Client({ endpoint: minio.endpoint }) as S3Client;
  fleet = await startFleet({
    replicas: { workflows: 2, provider: 1, copy: 2, callbacks: 1 },
    env: () => harnessWorkerEnv(h, { TEMPORAL_ADDRESS: temporalAddress, AWS_ENDPOINT_URL_S3: minio.endpoint }),
  });
  // Submits carry the fleet's callback URLs: the harness's client-side helpers need nothing else.
});
afterAll(async () => {
  await killer?.stop().catch(() => undefined);
  await fleet?.stop();
  await h?.stop();
  await minio?.stop();
  // What happened, for whoever reads a failing run.
  if (chaosLog.length) process.stderr.write(`topology chaos log:\n  ${chaosLog.join('\n  ')}\n`);
});

/** Text and first-frame shots of both API families, in turn. */
function board(id: string, shots: number) {
  return {
    id,
    defaults: { duration: 5 },
    shots: Array.from({ length: shots }, (_, i) => ({
      id: `s${String(i).padStart(4, '0')}`,
      prompt: `${id} topology shot ${i}`,
      ...(i % 2 ? { images: [{ path: 'first.png', role: 'first_frame' }] } : {}),
      ...(i % 4 >= 2 ? { model: PREDICTIONS_MODEL } : {}),
    })),
  };
}

function startRoleKiller(): Killer {
  return startKiller({
    everyMs: [2000, 5000],
    targets: () => fleet.all(),
    respawn: async (killed) => {
      const role = fleet.roleOf(killed);
      const w = await fleet.respawn(killed);
      note(`respawned ${role} as pid ${w.child.pid}`);
      return w;
    },
    log: note,
  });
}

async function render(shots: number, during: (stored: () => Promise<number>) => Promise<void>) {
  const id = `topo-${randomUUID().slice(0, 8)}`;
  const staged = await stageBoard(h, board(id, shots), { 'first.png': IMAGE });
  const started = Date.now();
  const handle = await startBoard(h, staged, { window: 20 });
  const stored = async () => (await handle.query(storyboardProgressQuery)).counts.stored;
  killer = startRoleKiller();
  await during(stored);
  const result = await handle.result();
  await killer.stop();
  const entries = result.shots as ManifestEntry[];
  const count = (status: string) => entries.filter((e) => e.status === status).length;
  note(
    `${id}: ${shots} shots in ${Math.round((Date.now() - started) / 1000)} s (${count('stored')} stored, ${count('failed')} failed), ` +
      `${killer.kills()} kills, processes started ${JSON.stringify(fleet.started())}`,
  );
  expect(killer.kills()).toBeGreaterThanOrEqual(3);
  await expectDurableOutcome(h, id, shots, entries);
}

test(`${SHOTS} shots on the production topology, role processes SIGKILLed at random, the Temporal server restarted once`, async () => {
  await render(SHOTS, async (stored) => {
    await waitFor('a fifth of the shots stored before the Temporal restart', stored, (n) => n >= Math.ceil(SHOTS / 5), 600_000, 1000);
    note('restarting the Temporal server');
    await restartTemporalServer(note);
  });
});

test(`${OUTAGE_SHOTS} shots with the S3 server down for ${S3_DOWN_MS / 1000} s in the middle of the copies`, async () => {
  await render(OUTAGE_SHOTS, async (stored) => {
    await waitFor('a few shots stored before the S3 outage', stored, (n) => n >= 5, 300_000, 500);
    note(`S3 down for ${S3_DOWN_MS} ms`);
    await minio.kill();
    const atOutage = await stored();
    await new Promise((r) => setTimeout(r, S3_DOWN_MS)); // the outage itself, not a wait for a condition
    await minio.start();
    note(`S3 back (${atOutage} of ${OUTAGE_SHOTS} stored at the outage)`);
    expect(atOutage).toBeLessThan(OUTAGE_SHOTS);
  });
});
