/**
 * One call for services and scripts: the configuration from the environment (the same
 * variables as the CLI, see README "Configuration"), a Temporal client and the storage the
 * worker writes to, so staged storyboards and manifests are read where they live.
 */
import type { Client } from '@temporalio/client';
import { loadConfig, type Config } from '../common/config';
import type { StorageBackend } from '../storage/backend';
import { createStorage } from '../storage/from-config';
import { connectClient } from '../temporal/connection';

export interface SeedanceFlowConnection {
  /** The validated configuration (common/config.ts). */
  config: Config;
  /** A Temporal client on TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE. */
  client: Client;
  /** STORAGE_URL's backend: stage storyboards into it, read manifests from it. */
  storage: StorageBackend;
  /** The queue seedance-flow workers poll (SEEDANCE_TASK_QUEUE): start renders on it. */
  taskQueue: string;
  /** Closes the Temporal connection and the storage's S3 client. */
  close(): Promise<void>;
}

/**
 * Loads the configuration from `env`, connects to Temporal and opens the configured storage.
 * @throws {ConfigError} naming every invalid variable (never echoing a secret).
 * @throws {TemporalUnreachableError} when no Temporal server answers.
 * @example
 * ```ts
 * const sf = await connect();
 * try {
 *   const handle = await startRenderVideo(sf.client, { shot: { prompt: 'a fox in the snow' } }, { taskQueue: sf.taskQueue });
 *   console.log(await waitForVideo(handle));
 * } finally {
 *   await sf.close();
 * }
 * ```
 */
export async function connect(env: Record<string, string | undefined> = process.env): Promise<SeedanceFlowConnection> {
  const config = loadConfig(env);
  const client = await connectClient(config, env);
  const wiring = createStorage(config);
  return {
    config,
    client,
    storage: wiring.storage,
    taskQueue: config.SEEDANCE_TASK_QUEUE,
    close: async () => {
      wiring.s3?.destroy();
      await client.connection.close();
    },
  };
}
