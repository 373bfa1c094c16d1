/**
 * The one place seedance-flow connects to Temporal, for the worker, the CLI, the tests and
 * the benchmark alike: any server, through Temporal's standard environment configuration
 * (`@temporalio/envconfig`: TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TEMPORAL_API_KEY,
 * TEMPORAL_TLS_CLIENT_CERT_PATH / _KEY_PATH, TEMPORAL_TLS_SERVER_CA_CERT_PATH, TEMPORAL_PROFILE
 * and TEMPORAL_CONFIG_FILE profiles), with our validated defaults.
 *
 * Why a room of its own (`temporal/`), and not `client/` or `common/`:
 * - `client/` is the CLI; the worker (`workers/`) must not depend on it.
 * - `common/` is pure code that workflows import; a connection opens sockets and pulls in
 *   `@temporalio/client` and `@temporalio/worker`, which must never reach a workflow bundle.
 * So `temporal/` imports only `common/` (and npm packages); `client/`, `workers/`, `test/`
 * and `bench/` import it; `workflows/`, `activities/` and `storage/` do not (eslint.config.js).
 * The payload codec (codec.ts) and its HTTP server (codec-server.ts) live here too: encryption
 * is a property of every connection this room makes.
 */
import { Client, Connection } from '@temporalio/client';
import type { DataConverter } from '@temporalio/common';
import { loadClientConnectConfig } from '@temporalio/envconfig';
import { NativeConnection, type NativeConnectionOptions } from '@temporalio/worker';
import type { Config } from '../common/config';
import { terminalText } from '../common/terminal-text';
import { dataConverterFromConfig } from './codec';

type Env = Record<string, string | undefined>;

export interface TemporalTarget {
  connectionOptions: NativeConnectionOptions & { address: string };
  namespace: string;
}

/** Profile file and TEMPORAL_* variables first; our defaults fill what they leave open. */
export function temporalTarget(config: Config, env: Env = process.env): TemporalTarget {
  const defined = Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
  const loaded = loadClientConnectConfig({
    overrideEnvVars: defined,
    ...(defined.TEMPORAL_PROFILE ? { profile: defined.TEMPORAL_PROFILE } : {}),
  });
  return {
    connectionOptions: { ...loaded.connectionOptions, address: loaded.connectionOptions.address ?? config.TEMPORAL_ADDRESS },
    namespace: loaded.namespace ?? config.TEMPORAL_NAMESPACE,
  };
}

/** How to get a Temporal server, for messages that say none could be reached. */
export const START_A_SERVER = [
  'Is a Temporal server running there? To start a local one: `npm run infra -- up`, then `source .infra/env`;',
  'or render with everything embedded: `npx seedance-flow demo`.',
  'For another server set TEMPORAL_ADDRESS (and TEMPORAL_NAMESPACE, TEMPORAL_API_KEY or TLS settings, see README).',
].join('\n  ');

/** The configured Temporal server could not be reached: names the address tried and how to start one. */
export class TemporalUnreachableError extends Error {
  override readonly name = 'TemporalUnreachableError';
  constructor(
    readonly address: string,
    readonly namespace: string,
    cause: unknown,
  ) {
    super(
      `cannot reach Temporal at ${address} (namespace ${namespace}): ${terminalText(cause instanceof Error ? cause.message : String(cause), 300)}\n  ${START_A_SERVER}`,
      { cause },
    );
  }
}

/**
 * A Temporal client for the configured target; close its connection when done. With
 * SEEDANCE_CODEC_KEYS (or _FILE) set it encrypts and decrypts payloads (temporal/codec.ts).
 * @throws {ConfigError} a bad codec key list, before connecting.
 * @throws {TemporalUnreachableError} when no server answers there.
 * @example
 * const client = await connectClient(loadConfig());
 * try { await client.workflow.start(...) } finally { await client.connection.close(); }
 */
export async function connectClient(config: Config, env: Env = process.env): Promise<Client> {
  const target = temporalTarget(config, env);
  const dataConverter = dataConverterFromConfig(config);
  const { address, tls, apiKey, metadata } = target.connectionOptions;
  let connection: Connection;
  try {
    connection = await Connection.connect({
      address,
      ...(tls !== undefined ? { tls: tls as never } : {}),
      ...(apiKey !== undefined ? { apiKey: apiKey as string } : {}),
      ...(metadata ? { metadata } : {}),
    });
  } catch (err) {
    throw new TemporalUnreachableError(address, target.namespace, err);
  }
  return new Client({ connection, namespace: target.namespace, ...(dataConverter ? { dataConverter } : {}) });
}

/** A worker-side (native) connection and the namespace its workers and client use. */
export interface WorkerConnection {
  connection: NativeConnection;
  namespace: string;
  /** Payload encryption, when configured: give it to every Worker and Client on this connection. */
  dataConverter?: DataConverter;
}

/**
 * The native connection Temporal Workers poll on, for the configured target; close it when
 * its workers have stopped. With payload encryption configured, `dataConverter` carries the codec.
 * @throws {ConfigError} a bad codec key list, before connecting.
 * @throws {TemporalUnreachableError} when no server answers there (the SDK's TransportError);
 * any other error (a bad TLS file, say) as it is.
 */
export async function connectWorker(config: Config, env: Env = process.env): Promise<WorkerConnection> {
  const target = temporalTarget(config, env);
  const dataConverter = dataConverterFromConfig(config);
  try {
    return {
      connection: await NativeConnection.connect(target.connectionOptions),
      namespace: target.namespace,
      ...(dataConverter ? { dataConverter } : {}),
    };
  } catch (err) {
    if (err instanceof Error && err.name === 'TransportError') {
      throw new TemporalUnreachableError(target.connectionOptions.address, target.namespace, err);
    }
    throw err;
  }
}
