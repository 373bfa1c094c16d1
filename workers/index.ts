/**
 * `seedance-flow/worker`: run seedance-flow's workflows and activities, either as workers of
 * their own (`createWorkers`, what `seedance-flow worker` runs) or inside a team's own Workers
 * (`SeedanceFlowPlugin`).
 *
 * @example
 * ```ts
 * import { createWorkers, installRuntime, loadConfig } from 'seedance-flow/worker';
 *
 * const config = loadConfig(process.env); // SEEDANCE_TASK_QUEUE, STORAGE_URL, GPTPROTO_API_KEY, ...
 * installRuntime(config);
 * const handle = await createWorkers(config);
 * process.once('SIGTERM', () => handle.shutdown());
 * await handle.run();
 * ```
 */
export { createWorkers, type WorkerHandle } from './worker';
export { SeedanceFlowPlugin, type SeedanceFlowPluginOptions } from './plugin';
export { runWorker } from './main';
export { installRuntime } from './runtime';
export { ConfigError, loadConfig, type Config } from '../common/config';
export { ROLE_TASK_QUEUES, WORKER_ROLES, type WorkerRole } from '../common/task-queues';
export { createStorage, sweepStaleWrites, type StorageWiring } from '../storage/from-config';
export { seedanceBundlerOptions } from './bundle-options';
