/**
 * The seedance-flow worker: runs renderVideo (and every workflow in workflows/) and the
 * provider and storage activities on one task queue.
 */
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../common/config';
import { createActivities } from './activities';

export interface WorkerHandle {
  worker: Worker;
  connection: NativeConnection;
}

export async function createWorker(config: Config, overrides: Partial<WorkerOptions> = {}): Promise<WorkerHandle> {
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const worker = await Worker.create({
      connection,
      namespace: config.TEMPORAL_NAMESPACE,
      taskQueue: config.SEEDANCE_TASK_QUEUE,
      activities: createActivities(config),
      ...workflowSource(),
      // On SIGINT/SIGTERM the SDK stops polling and gives running activities this long to
      // finish; after it they are cancelled and Temporal hands them to another worker.
      shutdownGraceTime: config.SEEDANCE_SHUTDOWN_GRACE_MS,
      ...overrides,
    });
    return { worker, connection };
  } catch (err) {
    await connection.close();
    throw err;
  }
}

/** A prebuilt bundle (npm run build) when present, else bundle workflows/ at start-up. */
function workflowSource(): Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle'> {
  const bundlePath = process.env.SEEDANCE_WORKFLOW_BUNDLE;
  if (bundlePath) return { workflowBundle: { codePath: bundlePath } };
  return { workflowsPath: require.resolve('../workflows') };
}
