/**
 * When no Temporal server answers, the CLI and the worker say which address they tried and
 * how to start a local server, instead of a bare transport error (temporal/connection.ts).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { TemporalUnreachableError, connectClient, connectWorker } from '../../temporal/connection';
import { loadConfig } from '../../common/config';
import { freePort } from '../helpers/spawned-server';

const run = promisify(execFile);
const BIN = path.resolve(__dirname, '../../bin/seedance-flow.js');

/** A loopback port nothing listens on. */
const closedPort = freePort;

function expectHelpful(message: string, address: string): void {
  expect(message).toContain(`cannot reach Temporal at ${address}`);
  expect(message).toContain('npm run infra -- up');
  expect(message).toContain('npx seedance-flow demo');
  expect(message).toContain('TEMPORAL_ADDRESS');
}

const env = (address: string) => ({ TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml', TEMPORAL_ADDRESS: address });

describe('an unreachable Temporal server', () => {
  test('connectClient names the address and how to start a server', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const err = await connectClient(loadConfig(env(address)), env(address)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TemporalUnreachableError);
    expectHelpful((err as Error).message, address);
  }, 30_000);

  test("the worker's native connection says the same", async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const err = await connectWorker(loadConfig(env(address)), env(address)).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TemporalUnreachableError);
    expectHelpful((err as Error).message, address);
  }, 30_000);

  test('the worker command says the same, exit code 1', async () => {
    const address = `127.0.0.1:${await closedPort()}`;
    const result = await run(process.execPath, [BIN, 'worker'], {
      env: { ...process.env, ...env(address), GPTPROTO_API_KEY: 'sk-unused', STORAGE_URL: 'file:///nonexistent-sf-unreachable' },
      timeout: 60_000,
    }).then(
      () => ({ code: 0, stderr: '' }),
      (e: { code: number; stderr: string }) => e,
    );
    expect(result.code).toBe(1);
    expectHelpful(result.stderr, address);
  }, 60_000);
});
