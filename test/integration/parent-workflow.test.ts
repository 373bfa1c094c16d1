/**
 * Triggered from other workflows: a parent on a different task queue and worker starts a
 * storyboard as a child, waits for it, and reads the manifest.
 */
import { Worker } from '@temporalio/worker';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { connectWorker } from '../../temporal/connection';
import type { teamPipeline } from '../fixtures/team/workflows';
import { FAST_SCHEDULE, s3Text, startHarness, type Harness } from '../helpers/harness';
import { boardDoc, stageBoard } from '../helpers/storyboard';

jest.setTimeout(180_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});

test("another team's workflow renders a storyboard as a child and reads its manifest", async () => {
  const teamQueue = `team-${randomUUID().slice(0, 8)}`;
  const { connection, namespace } = await connectWorker(h.config);
  // The team's worker knows nothing of seedance-flow's activities.
  const teamWorker = await Worker.create({
    connection,
    namespace,
    taskQueue: teamQueue,
    workflowsPath: path.resolve(__dirname, '../fixtures/team/workflows.ts'),
  });
  const id = `team-board-${randomUUID().slice(0, 8)}`;
  const staged = await stageBoard(h, boardDoc(id, 5));
  const result = await teamWorker.runUntil(
    h.client.workflow.execute<typeof teamPipeline>('teamPipeline', {
      taskQueue: teamQueue,
      workflowId: `team-pipeline-${id}`,
      args: [{ storyboard: { ...staged, schedule: FAST_SCHEDULE, window: 3 }, seedanceTaskQueue: h.config.SEEDANCE_TASK_QUEUE }],
    }),
  );
  await connection.close();
  expect(result).toMatchObject({ stored: 5, manifestKey: `${id}/manifest.json` });
  expect(result.shotIds).toEqual(boardDoc(id, 5).shots.map((s) => s.id));
  const manifest = JSON.parse(await s3Text(h, `${h.prefix}/${result.manifestKey}`));
  expect(manifest.shots.map((s: { status: string }) => s.status)).toEqual(Array(5).fill('stored'));
});
