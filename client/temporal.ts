/**
 * How seedance-flow reaches Temporal: any server, through Temporal's standard environment
 * configuration (`@temporalio/envconfig`: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE,
 * TEMPORAL_API_KEY, TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH,
 * TEMPORAL_PROFILE and TEMPORAL_CONFIG_FILE profiles), with our validated defaults.
 */
import { Client, Connection } from '@temporalio/client';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import type { NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../common/config';

export interface TemporalTarget {
  connectionOptions: NativeConnectionOptions & { address: string };
  namespace: string;
}

/** Profile file and TEMPORAL_* variables first; our defaults fill what they leave open. */
export function temporalTarget(config: Config, env: Record<string, string | undefined> = process.env): TemporalTarget {
  const defined = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  const loaded = loadClientConnectConfig({ overrideEnvVars: defined, ...(defined.TEMPORAL_PROFILE ? { profile: defined.TEMPORAL_PROFILE } : {}) });
  return {
    connectionOptions: { ...loaded.connectionOptions, address: loaded.connectionOptions.address ?? config.TEMPORAL_ADDRESS },
    namespace: loaded.namespace ?? config.TEMPORAL_NAMESPACE,
  };
}

/** A Temporal client for the configured target; close its connection when done. */
export async function connectClient(config: Config, env: Record<string, string | undefined> = process.env): Promise<Client> {
  const target = temporalTarget(config, env);
  const { address, tls, apiKey, metadata } = target.connectionOptions;
  const connection = await Connection.connect({
    address,
    ...(tls !== undefined ? { tls: tls as never } : {}),
    ...(apiKey !== undefined ? { apiKey: apiKey as string } : {}),
    ...(metadata ? { metadata } : {}),
  });
  return new Client({ connection, namespace: target.namespace });
}
