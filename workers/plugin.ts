/**
 * seedance-flow inside a team's own Workers, as a Temporal worker plugin (@temporalio/plugin):
 * the team keeps its connection, its process and its other workflows, and each Worker it
 * gives the plugin to gets seedance-flow's activities (and, where it has no workflow code of
 * its own, seedance-flow's workflows).
 *
 * Our workflows schedule provider calls and copies on two queues derived from the queue they
 * run on (common/task-queues.ts), so the provider rate limit holds across every process: a
 * deployment that embeds us runs three Workers, one per queue in `plugin.taskQueues`, each
 * with this plugin. Which role a Worker plays is read from its task queue.
 */
import { Client } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { SimplePlugin } from '@temporalio/plugin';
import type { Worker, WorkerOptions } from '@temporalio/worker';
import { loadConfig, type Config } from '../common/config';
import { ROLE_TASK_QUEUES, WORKER_ROLES, type WorkerRole } from '../common/task-queues';
import { createStorage, type StorageWiring } from '../storage/from-config';
import { dataConverterFromConfig } from '../temporal/codec';
import { roleWorkerOptions, wireActivities, type ActivityWiringResult } from './worker';

export interface SeedanceFlowPluginOptions {
  /** The configuration (see README "Configuration"); default: read from `process.env`. */
  config?: Config;
  /** The storage the activities write to; default: built from the configuration's STORAGE_URL. */
  storage?: StorageWiring;
}

/**
 * Adds seedance-flow's workflows and activities to Workers the caller creates.
 *
 * - A Worker on `taskQueues.workflows` (SEEDANCE_TASK_QUEUE) gets the storyboard activities
 *   and, when it has neither `workflowsPath` nor `workflowBundle`, seedance-flow's workflows.
 *   A Worker with its own workflow code keeps it: re-export ours from it
 *   (`export { renderVideo, renderStoryboard } from 'seedance-flow/workflows'`).
 * - A Worker on `taskQueues.provider` gets the provider calls and the global rate limit
 *   (SEEDANCE_PROVIDER_RPS), on `taskQueues.copy` the copies; options the Worker sets win.
 * - A Worker on any other queue is refused: its activities would never be called.
 *
 * The activities are wired once, over the first Worker's connection; the Worker must be
 * given a `connection`.
 *
 * With payload encryption configured (SEEDANCE_CODEC_KEYS or _FILE), a Worker without a
 * `dataConverter` of its own gets the codec, and so does the client our activities signal
 * with; a Worker with its own data converter keeps it (give it our codec: `createPayloadCodec`).
 *
 * @example
 * ```ts
 * const plugin = new SeedanceFlowPlugin({ config: loadConfig(process.env) });
 * const connection = await NativeConnection.connect({ address: 'localhost:7233' });
 * const workers = await Promise.all(
 *   Object.values(plugin.taskQueues).map((taskQueue) => Worker.create({ connection, taskQueue, plugins: [plugin] })),
 * );
 * await Promise.all(workers.map((w) => w.run()));
 * ```
 *
 * @experimental like the @temporalio/plugin API it is built on.
 */
export class SeedanceFlowPlugin extends SimplePlugin {
  /** The queue of each role: give each of them a Worker with this plugin. */
  readonly taskQueues: Readonly<Record<WorkerRole, string>>;
  private readonly config: Config;
  private readonly storage: StorageWiring | undefined;
  private readonly dataConverter: DataConverter | undefined;
  private wiring: (ActivityWiringResult & { client: Client }) | undefined;

  constructor(options: SeedanceFlowPluginOptions = {}) {
    super({ name: 'seedance-flow' });
    this.config = options.config ?? loadConfig(process.env);
    this.storage = options.storage;
    this.dataConverter = dataConverterFromConfig(this.config);
    const base = this.config.SEEDANCE_TASK_QUEUE;
    this.taskQueues = Object.fromEntries(WORKER_ROLES.map((role) => [role, ROLE_TASK_QUEUES[role](base)])) as Record<WorkerRole, string>;
  }

  override configureWorker(options: WorkerOptions): WorkerOptions {
    const base = super.configureWorker(options);
    const role = WORKER_ROLES.find((r) => this.taskQueues[r] === options.taskQueue);
    if (!role) {
      throw new Error(
        `seedance-flow plugin: a Worker on task queue ${options.taskQueue} would never be called; ` +
          `give it one of ${Object.values(this.taskQueues).join(', ')} (SEEDANCE_TASK_QUEUE=${this.config.SEEDANCE_TASK_QUEUE})`,
      );
    }
    const { activities } = this.wire(options);
    const { workflowsPath, workflowBundle, bundlerOptions, ...limits } = roleWorkerOptions(this.config, role);
    // Our workflow code only for a Worker without its own; its own settings win over our limits.
    const ownCode = base.workflowsPath !== undefined || base.workflowBundle !== undefined;
    const code = role !== 'workflows' || ownCode ? {} : workflowBundle ? { workflowBundle } : { workflowsPath, bundlerOptions };
    const dataConverter = base.dataConverter ?? this.dataConverter;
    return {
      ...limits,
      ...base,
      ...(dataConverter ? { dataConverter } : {}),
      ...code,
      activities: { ...(base.activities as object | undefined), ...activities[role] },
    };
  }

  override async runWorker(worker: Worker, next: (w: Worker) => Promise<void>): Promise<void> {
    try {
      await super.runWorker(worker, next);
    } finally {
      // Progress batched but not yet sent (best effort, as in createWorkers).
      await this.wiring?.phases.flush();
    }
  }

  private wire(options: WorkerOptions): ActivityWiringResult {
    if (!this.wiring) {
      if (!options.connection) throw new Error('seedance-flow plugin: give the Worker a connection (NativeConnection.connect)');
      // Acknowledged heartbeats, submit signals and progress go over the Worker's own connection.
      const dataConverter = options.dataConverter ?? this.dataConverter;
      const client = new Client({
        connection: options.connection,
        namespace: options.namespace ?? 'default',
        ...(dataConverter ? { dataConverter } : {}),
      });
      this.wiring = { client, ...wireActivities(this.config, client, this.storage ?? createStorage(this.config)) };
    }
    return this.wiring;
  }
}
