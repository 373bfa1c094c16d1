/**
 * One time-skipping server per test file, with the real workflows (bundled once per jest
 * run) and fake activities on the three task queues a deployment has: workflows and the
 * storyboard's page activities on the queue itself, provider calls on `<queue>-provider`,
 * copies and the report on `<queue>-copy` (common/task-queues.ts).
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { copyTaskQueue, providerTaskQueue } from '../../common/task-queues';
import { startTimeSkipping } from '../helpers/time-skipping';
import { workflowBundlePath } from '../helpers/workflow-bundle';
import { FakeProvider, FakeStoryboardStore } from './fakes';

export interface WorkflowHarness {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  provider: FakeProvider;
  store: FakeStoryboardStore;
  stop(): Promise<void>;
}

export async function startWorkflowHarness(taskQueue = 'wf-test'): Promise<WorkflowHarness> {
  const [env, codePath] = await Promise.all([startTimeSkipping(), workflowBundlePath()]);
  const provider = new FakeProvider(env);
  const store = new FakeStoryboardStore();
  const { createTask, submitTask, getTask, findTask, cancelTask, copyToStorage } = provider.activities();
  const { stageStoryboardSource, loadShotPage, recordOutcomes, writeManifest, writeReport } = store.activities();
  const connection = env.nativeConnection;
  let workers: Worker[];
  try {
    workers = await Promise.all([
      Worker.create({
        connection,
        taskQueue,
        workflowBundle: { codePath },
        activities: { stageStoryboardSource, loadShotPage, recordOutcomes, writeManifest },
      }),
      Worker.create({
        connection,
        taskQueue: providerTaskQueue(taskQueue),
        activities: { createTask, submitTask, getTask, findTask, cancelTask },
      }),
      Worker.create({ connection, taskQueue: copyTaskQueue(taskQueue), activities: { copyToStorage, writeReport } }),
    ]);
  } catch (err) {
    await env.teardown();
    throw err;
  }
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    env,
    taskQueue,
    provider,
    store,
    async stop() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      try {
        await running;
      } finally {
        await env.teardown();
      }
    },
  };
}
