/**
 * The seedance-flow workers. One process runs any of three roles, each a Temporal Worker on
 * its own task queue (common/task-queues.ts):
 *   workflows: renderVideo, renderStoryboard and their light storage activities;
 *   provider:  submit/get/cancel, globally rate-limited with maxTaskQueueActivitiesPerSecond;
 *   copy:      streaming copies into storage, with their own concurrency cap.
 * With SEEDANCE_NEXUS the workflows worker also serves the Nexus service (nexus/handlers.ts).
 * The role `callbacks` is no Temporal Worker: an HTTP server that receives the provider's
 * callbacks and signals the shots' workflows (callback-receiver.ts).
 * Which activities each role registers is declared by their factories (workers/activities.ts).
 */
import { Client } from '@temporalio/client';
import { Runtime, Worker, type NativeConnection, type WorkerOptions } from '@temporalio/worker';
import { PhaseRelay } from '../activities/phase-relay';
import { shotPhasesSignal } from '../workflows/signals';
import { callbackSettings, ConfigError, type Config } from '../common/config';
import { isWorkerRole, ROLE_TASK_QUEUES, workflowTaskQueue, type WorkerRole } from '../common/task-queues';
import { PROVIDER_CALLBACK_SIGNAL } from '../common/callbacks';
import { startCallbackReceiver, type CallbackReceiver } from './callback-receiver';
import { seedanceBundlerOptions } from './bundle-options';
import { seedanceNexusHandler } from '../nexus/handlers';
import { connectWorker } from '../temporal/connection';
import { SUBMIT_SENDING_SIGNAL } from '../common/submit-attempt';
import { createStorage, type StorageWiring } from '../storage/from-config';
import { createActivitiesByRole, type RoleActivities } from './activities';

export interface WorkerHandle {
  workers: Worker[];
  connection: NativeConnection;
  /** The process's storage (its one S3 client): the activities use it, and so may the start-up sweep and the demo. */
  storage: StorageWiring;
  /** The callback receiver, when this process runs the `callbacks` role. */
  callbackReceiver?: CallbackReceiver;
  /** Runs every worker until shutdown() (or SIGINT/SIGTERM), then closes the connection. */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * Connects to Temporal and creates one Worker per role in SEEDANCE_WORKER_ROLES (default all
 * three) on SEEDANCE_TASK_QUEUE and its `-provider` and `-copy` queues: what
 * `seedance-flow worker` runs. `overrides` are applied to every Worker's options.
 *
 * @example
 * ```ts
 * const config = loadConfig(process.env);
 * installRuntime(config); // optional: seedance-flow's log format, redaction and metrics
 * const handle = await createWorkers(config);
 * process.once('SIGTERM', () => handle.shutdown());
 * await handle.run();
 * ```
 */
export async function createWorkers(
  config: Config,
  opts: { env?: Record<string, string | undefined>; overrides?: Partial<WorkerOptions>; storage?: StorageWiring } = {},
): Promise<WorkerHandle> {
  // The Nexus service is served beside the workflows it starts, on the one queue callers name.
  if (config.SEEDANCE_NEXUS && !config.SEEDANCE_WORKER_ROLES.includes('workflows')) {
    throw new ConfigError(['SEEDANCE_NEXUS: the Nexus service runs on the workflows worker; add workflows to SEEDANCE_WORKER_ROLES']);
  }
  callbackSettings(config); // refuses an unsafe or incomplete callback configuration before anything starts
  const roles = new Set(config.SEEDANCE_WORKER_ROLES);
  const workerRoles = [...roles].filter(isWorkerRole);
  const storage = opts.storage ?? createStorage(config);
  const { connection, namespace, dataConverter } = await connectWorker(config, opts.env);
  try {
    // One client over the worker's own connection: progress signals and submit heartbeats.
    // Both it and the Workers encrypt payloads when a codec is configured (temporal/codec.ts).
    const client = new Client({ connection, namespace, ...(dataConverter ? { dataConverter } : {}) });
    // A process of the callbacks role alone needs no API key: it builds no activities.
    const wired = workerRoles.length > 0 ? wireActivities(config, client, storage) : undefined;
    const phases = wired?.phases ?? phaseRelay(client);
    const common = {
      connection,
      namespace,
      ...(dataConverter ? { dataConverter } : {}),
      // On SIGINT/SIGTERM the SDK stops polling and gives running activities this long to
      // finish; after it they are cancelled and Temporal hands them to another worker.
      shutdownGraceTime: config.SEEDANCE_SHUTDOWN_GRACE_MS,
    };
    const workers: Worker[] = [];
    for (const role of workerRoles) {
      workers.push(
        await Worker.create({
          ...common,
          taskQueue: ROLE_TASK_QUEUES[role](config.SEEDANCE_TASK_QUEUE),
          activities: wired?.activities[role] ?? {},
          ...roleWorkerOptions(config, role),
          ...opts.overrides,
        }),
      );
    }
    const callbackReceiver = roles.has('callbacks') ? await startReceiver(config, client, phases) : undefined;
    let stopReceiver: () => void = () => undefined;
    const receiverStopped = new Promise<void>((resolve) => (stopReceiver = resolve));
    return {
      workers,
      connection,
      storage,
      ...(callbackReceiver ? { callbackReceiver } : {}),
      run: async () => {
        try {
          // A process of the callbacks role alone runs until shutdown() (or a signal).
          await Promise.all([...workers.map((w) => w.run()), ...(callbackReceiver ? [receiverStopped] : [])]);
        } finally {
          await callbackReceiver?.close();
          await phases.flush();
          await connection.close();
        }
      },
      shutdown: () => {
        stopReceiver();
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      },
    };
  } catch (err) {
    await connection.close();
    throw err;
  }
}

/** What one process's workers share: every role's activities, wired to one client and one storage, and the progress relay to flush at the end. */
export interface ActivityWiringResult {
  activities: Record<WorkerRole, RoleActivities>;
  phases: PhaseRelay;
}

/**
 * The activities of every role, wired to `client` (a client over the worker's own
 * connection: acknowledged heartbeats, submit signals, batched progress) and `storage`.
 * Flush `phases` after the workers stop.
 */
export function wireActivities(config: Config, client: Client, storage: StorageWiring): ActivityWiringResult {
  const phases = phaseRelay(client);
  const activities = createActivitiesByRole(config, {
    storage,
    phases,
    heartbeat: (taskToken, details) => client.activity.heartbeat(taskToken, details),
    announceSending: (run, sending) => client.workflow.getHandle(run.workflowId, run.runId).signal(SUBMIT_SENDING_SIGNAL, sending),
  });
  return { activities, phases };
}

/**
 * A role's own worker options: the workflow code for `workflows`, the global provider rate
 * limit and concurrency for `provider`, the copy concurrency for `copy`.
 */
export function roleWorkerOptions(config: Config, role: WorkerRole): Partial<WorkerOptions> {
  switch (role) {
    case 'workflows':
      return {
        ...workflowSource(config),
        maxConcurrentWorkflowTaskExecutions: Math.min(config.SEEDANCE_WORKFLOW_CONCURRENCY, config.SEEDANCE_MAX_CACHED_WORKFLOWS),
        maxCachedWorkflows: config.SEEDANCE_MAX_CACHED_WORKFLOWS,
        // The Nexus service (SEEDANCE_NEXUS) answers on the queue callers name, where our workflows run.
        ...(config.SEEDANCE_NEXUS
          ? { nexusServices: [seedanceNexusHandler({ taskQueue: workflowTaskQueue(config.SEEDANCE_TASK_QUEUE) })] }
          : {}),
      };
    case 'provider':
      return {
        maxTaskQueueActivitiesPerSecond: config.SEEDANCE_PROVIDER_RPS,
        maxConcurrentActivityTaskExecutions: config.SEEDANCE_PROVIDER_CONCURRENCY,
      };
    case 'copy':
      return { maxConcurrentActivityTaskExecutions: config.SEEDANCE_COPY_CONCURRENCY };
  }
}

/** The callbacks role: an HTTP server that signals shots' workflows over the worker's connection. */
function startReceiver(config: Config, client: Client, phases: PhaseRelay): Promise<CallbackReceiver> {
  const [host, port] = splitAddress(config.SEEDANCE_CALLBACK_ADDRESS);
  return startCallbackReceiver({
    host,
    port,
    secrets: config.SEEDANCE_CALLBACK_SECRET ?? [],
    phases,
    signal: (target, callback) => client.workflow.getHandle(target.workflowId, target.runId).signal(PROVIDER_CALLBACK_SIGNAL, callback),
    onSignalError: (target, err) =>
      Runtime.instance().logger.debug('callback not passed on', { workflowId: target.workflowId, error: String(err) }),
  });
}

/** `host:port`, `[v6]:port`. */
function splitAddress(address: string): [string, number] {
  const at = address.lastIndexOf(':');
  return [address.slice(0, at).replace(/^\[(.*)\]$/, '$1'), Number(address.slice(at + 1))];
}

/** Batched storyboard progress, signalled over the worker's own connection. */
function phaseRelay(client: Client): PhaseRelay {
  return new PhaseRelay({
    send: (parent, updates) => client.workflow.getHandle(parent).signal(shotPhasesSignal, { updates }),
    onError: (parent, err) =>
      Runtime.instance().logger.debug('storyboard progress not sent', { storyboardWorkflowId: parent, error: String(err) }),
  });
}

/**
 * The workflow code: a bundle built ahead of time (`npm run build` writes
 * dist/workflow-bundle.js; SEEDANCE_WORKFLOW_BUNDLE names another), else workflows/ bundled
 * at start-up.
 */
export function workflowSource(config: Config): Pick<WorkerOptions, 'workflowsPath' | 'workflowBundle' | 'bundlerOptions'> {
  const bundlePath = config.SEEDANCE_WORKFLOW_BUNDLE ?? prebuiltBundle();
  if (bundlePath) return { workflowBundle: { codePath: bundlePath } };
  return { workflowsPath: require.resolve('../workflows'), bundlerOptions: seedanceBundlerOptions() };
}

function prebuiltBundle(): string | undefined {
  // Only when running compiled code from dist/: a source checkout bundles fresh sources.
  if (!__filename.endsWith('.js')) return undefined;
  try {
    return require.resolve('../workflow-bundle.js');
  } catch {
    return undefined;
  }
}
