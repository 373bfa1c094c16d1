/** Starting the simulator from environment variables (`seedance-flow simulator`, main.ts). */
import { startSimulator, type RunningSimulator, type SimulatorOptions } from './server';
import type { SimulatorConfigPatch } from './types';

/** Raised for an unusable environment variable; the message names it. */
export class SimulatorEnvError extends Error {}

/**
 * Reads the simulator's options from the environment:
 * `SIMULATOR_PORT` (else `PORT`, default 8787), `SIMULATOR_HOST` (else `HOST`, default
 * 127.0.0.1), `SIMULATOR_API_KEY`
 * (unset: any non-empty Authorization is accepted), `SIMULATOR_RENDER_MS`, `SIMULATOR_QUEUE_MS`,
 * and `SIMULATOR_CONFIG` (a JSON config patch, applied before the two *_MS variables).
 */
export function simulatorOptionsFromEnv(env: NodeJS.ProcessEnv = process.env): SimulatorOptions {
  let config: SimulatorConfigPatch = {};
  const json = env['SIMULATOR_CONFIG'];
  if (json !== undefined && json.trim() !== '') {
    try {
      config = JSON.parse(json) as SimulatorConfigPatch;
    } catch {
      throw new SimulatorEnvError('SIMULATOR_CONFIG must be a JSON object');
    }
  }
  const renderMs = integer(env, 'SIMULATOR_RENDER_MS', 0);
  const queueMs = integer(env, 'SIMULATOR_QUEUE_MS', 0);
  if (renderMs !== undefined) config = { ...config, renderMs };
  if (queueMs !== undefined) config = { ...config, queueMs };
  // HOST and PORT are accepted as fallbacks because docker-compose.yml sets those names.
  const portVar = nonEmpty(env['SIMULATOR_PORT']) !== undefined ? 'SIMULATOR_PORT' : 'PORT';
  const options: SimulatorOptions = {
    port: integer(env, portVar, 0, 65535) ?? 8787,
    host: nonEmpty(env['SIMULATOR_HOST']) ?? nonEmpty(env['HOST']) ?? '127.0.0.1',
    config,
  };
  const apiKey = nonEmpty(env['SIMULATOR_API_KEY']);
  if (apiKey !== undefined) options.apiKey = apiKey;
  return options;
}

/**
 * Starts a simulator configured from the environment, logs one line with its URL and stops
 * it on SIGINT/SIGTERM. Resolves once it listens; the open server keeps the process alive.
 */
export async function runSimulatorFromEnv(
  env: NodeJS.ProcessEnv = process.env,
  log: (line: string) => void = (line) => console.log(line),
): Promise<RunningSimulator> {
  const sim = await startSimulator(simulatorOptionsFromEnv(env));
  log(`seedance simulator listening on ${sim.url}`);
  const stop = (): void => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    // Once closed nothing is left on the event loop, so the process exits by itself.
    void sim.close();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return sim;
}

function integer(env: NodeJS.ProcessEnv, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  const raw = nonEmpty(env[name]);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new SimulatorEnvError(`${name} must be an integer between ${min} and ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value.trim() === '' ? undefined : value.trim();
}
