/**
 * `seedance-flow worker`: runs until SIGINT/SIGTERM, then shuts down gracefully.
 */
import { Runtime } from '@temporalio/worker';
import { sweepStaleWrites } from '../storage/from-config';
import { loadConfig } from '../common/config';
import { installRuntime } from './runtime';
import { createWorkers } from './worker';

export async function runWorker(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = loadConfig(env);
  installRuntime(config);
  const handle = await createWorkers(config, { env });
  if (config.SEEDANCE_METRICS_ADDRESS) console.error(`seedance-flow worker: metrics on http://${config.SEEDANCE_METRICS_ADDRESS}/metrics`);
  console.error(
    `seedance-flow worker: task queue ${config.SEEDANCE_TASK_QUEUE} (roles ${config.SEEDANCE_WORKER_ROLES.join(', ')}${config.SEEDANCE_NEXUS ? '; Nexus service seedance-flow' : ''}) on ${config.TEMPORAL_ADDRESS}/${config.TEMPORAL_NAMESPACE}, ` +
      `provider ${config.SEEDANCE_API_BASE_URL}, storage ${config.STORAGE_URL}`,
  );
  // Leftovers of writes a killed worker never finished (see STALE_WRITE_AGE_MS): in the
  // background, best effort, logged.
  const sweeping = sweepStaleWrites(handle.storage, Runtime.instance().logger);
  try {
    await handle.run();
  } finally {
    await sweeping;
    console.error('seedance-flow worker: stopped');
  }
}

if (require.main === module) {
  runWorker().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
