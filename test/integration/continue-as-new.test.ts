/**
 * History hygiene at scale: on a dev server whose continue-as-new suggestion is lowered to a
 * few hundred events, a storyboard continues as new several times, its progress survives each
 * run, and the outcome equals a run without the lowered limit.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { randomUUID } from 'node:crypto';
import { ShotIdKey, StoryboardIdKey } from '../../common/search-attributes';
import type { ManifestEntry } from '../../common/storyboard';
import { storyboardProgressQuery } from '../../workflows';
import { startHarness, waitFor, type Harness } from '../helpers/harness';
import { boardDoc, stageBoard, startBoard } from '../helpers/storyboard';

jest.setTimeout(600_000);

const SUGGEST_CAN_AT = 200;
const SHOTS = 60;

let lowered: TestWorkflowEnvironment;
let hLow: Harness;
let hNormal: Harness;

beforeAll(async () => {
  const temporal = process.env.TEMPORAL_CLI_PATH;
  if (!temporal) throw new Error('TEMPORAL_CLI_PATH is not set: run through `npm test` (scripts/test.sh)');
  // Our own dev server from the installed binary; the SDK never downloads one.
  lowered = await TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: temporal },
      extraArgs: ['--dynamic-config-value', `limit.historyCount.suggestContinueAsNew=${SUGGEST_CAN_AT}`, '--log-level', 'error'],
      searchAttributes: [StoryboardIdKey, ShotIdKey],
    },
  });
  hLow = await startHarness({ env: { TEMPORAL_ADDRESS: lowered.address } });
  hNormal = await startHarness();
});
afterAll(async () => {
  await hLow?.stop();
  await hNormal?.stop();
  await lowered?.teardown();
});

const comparable = (shots: ManifestEntry[]) => shots.map((s) => [s.shotId, s.status, s.sha256, s.bytes]);

test(`a ${SHOTS}-shot storyboard continues as new under suggestContinueAsNew=${SUGGEST_CAN_AT} and ends as without it`, async () => {
  const id = `can-${randomUUID().slice(0, 8)}`;
  const handle = await startBoard(hLow, await stageBoard(hLow, boardDoc(id, SHOTS)), { window: 6 });
  // Progress is carried across runs: a later run still counts what earlier runs stored.
  const mid = await waitFor(
    'a second run',
    () => handle.query(storyboardProgressQuery),
    (p) => p.runs >= 2,
    300_000,
    250,
  );
  expect(mid.counts.stored).toBeGreaterThan(0);
  const result = await handle.result();
  expect(result.counts).toMatchObject({ stored: SHOTS, failed: 0, not_started: 0 });

  // How many runs there were is the storyboard's own count (how many events a shot costs varies
  // with how progress signals batch, so it is not fixed in advance); visibility, eventually
  // consistent, must come to list exactly those runs.
  const { runs: runCount } = await handle.query(storyboardProgressQuery);
  expect(runCount).toBeGreaterThanOrEqual(2);
  const runs = await waitFor(
    `${runCount} runs in visibility`,
    async () => {
      const found: { runId: string; status: string }[] = [];
      for await (const wf of hLow.client.workflow.list({ query: `WorkflowId = "${id}"` }))
        found.push({ runId: wf.runId, status: wf.status.name });
      return found;
    },
    (found) => found.length === runCount && found.filter((r) => r.status === 'RUNNING').length === 0,
    30_000,
    250,
  );
  expect(runs.filter((r) => r.status === 'CONTINUED_AS_NEW')).toHaveLength(runs.length - 1);
  for (const run of runs) {
    const events = (await hLow.client.workflow.getHandle(id, run.runId).fetchHistory()).events?.length ?? 0;
    // A run stops launching once the server suggests continue-as-new, then drains its window.
    expect(events).toBeLessThan(SUGGEST_CAN_AT * 3);
  }

  const idNormal = `nocan-${randomUUID().slice(0, 8)}`;
  const normal = await (await startBoard(hNormal, await stageBoard(hNormal, boardDoc(idNormal, SHOTS)), { window: 6 })).result();
  expect(comparable(result.shots ?? [])).toEqual(comparable(normal.shots ?? []));
});
