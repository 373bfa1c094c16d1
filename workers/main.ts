/**
 * `seedance-flow worker`: runs until SIGINT/SIGTERM, then shuts down gracefully.
 */
import { loadConfig } from '../common/config';
import { createWorker } from './worker';

export async function runWorker(env: Record<string, string | undefined> = process.env): Promise<void> {
  const config = loadConfig(env);
  const { worker, connection } = await createWorker(config);
  console.error(
    `seedance-flow worker: task queue ${config.SEEDANCE_TASK_QUEUE} on ${config.TEMPORAL_ADDRESS}/${config.TEMPORAL_NAMESPACE}, ` +
      `provider ${config.SEEDANCE_API_BASE_URL}, storage ${config.STORAGE_URL}`,
  );
  try {
    await worker.run();
  } finally {
    await connection.close();
    console.error('seedance-flow worker: stopped');
  }
}

if (require.main === module) {
  runWorker().catch((err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(1);
  });
}
