/**
 * One time-skipping server per test file, with the real workflows (bundled once per jest
 * run) and fake activities on the three task queues a deployment has: workflows and the
 * storyboard's page activities on the queue itself, provider calls on `<queue>-provider`,
 * copies and the report on `<queue>-copy` (common/task-queues.ts).
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { copyTaskQueue, providerTaskQueue } from '../../common/task-queues';
import { startTimeSkipping } from '../helpers/time-skipping';
import { workflowBundlePath } from '../helpers/workflow-bundle';
import { FakeProvider, FakeStoryboardStore } from './fakes';
import { createAdmissionActivities } from '../../activities/admission/activities';

export interface WorkflowHarness {
  env: TestWorkflowEnvironment;
  taskQueue: string;
  provider: FakeProvider;
  store: FakeStoryboardStore;
  stop(): Promise<void>;
}

/**
 * `existingServer`: run on that server in real time instead of a time-skipping one (tests whose
 * shots wait on each other's progress: the time-skipping server jumps to the next timer while
 * activities are still answering, which such tests cannot tolerate).
 */
export async function startWorkflowHarness(taskQueue = 'wf-test', opts: { existingServer?: string } = {}): Promise<WorkflowHarness> {
  const [env, codePath] = await Promise.all([
    opts.existingServer ? TestWorkflowEnvironment.createFromExistingServer({ address: opts.existingServer }) : startTimeSkipping(),
    workflowBundlePath(),
  ]);
  const provider = new FakeProvider(env);
  const store = new FakeStoryboardStore();
  const { createTask, submitTask, getTask, findTask, cancelTask, copyToStorage } = provider.activities();
  const { stageStoryboardSource, loadShotPage, recordOutcomes, writeManifest, writeReport, writeReviewReport } = store.activities();
  const connection = env.nativeConnection;
  let workers: Worker[];
  try {
    workers = await Promise.all([
      Worker.create({
        connection,
        taskQueue,
        workflowBundle: { codePath },
        // The admission activities talk to the test server through its own client.
        activities: {
          stageStoryboardSource,
          loadShotPage,
          recordOutcomes,
          writeManifest,
          ...createAdmissionActivities({ limits: {}, client: env.client }),
        },
      }),
      Worker.create({
        connection,
        taskQueue: providerTaskQueue(taskQueue),
        activities: { createTask, submitTask, getTask, findTask, cancelTask },
      }),
      Worker.create({ connection, taskQueue: copyTaskQueue(taskQueue), activities: { copyToStorage, writeReport, writeReviewReport } }),
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
