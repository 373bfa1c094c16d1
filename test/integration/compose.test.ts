/**
 * docker-compose.yml is for teams (no Docker engine runs here): the compose client must
 * accept it, and it must wire the pieces the README promises.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../..');
jest.setTimeout(15 * 60_000);

test('docker compose config accepts docker-compose.yml, with and without the simulator and callbacks profiles', () => {
  const client = execFileSync('bash', [path.join(ROOT, 'scripts/ensure-compose.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
    .trim()
    .split(' ');
  const [cmd, ...pre] = client as [string, ...string[]];
  const config = (profile?: string) =>
    execFileSync(cmd, [...pre, '-f', path.join(ROOT, 'docker-compose.yml'), ...(profile ? ['--profile', profile] : []), 'config'], {
      cwd: ROOT,
      encoding: 'utf8',
      env: { ...process.env, GPTPROTO_API_KEY: 'sk-compose-check' },
    });
  const base = parse(config()) as { services: Record<string, { environment?: Record<string, string> }> };
  expect(Object.keys(base.services)).toEqual(expect.arrayContaining(['postgresql', 'temporal', 'temporal-ui', 'minio', 'worker']));
  expect(base.services.worker?.environment).toMatchObject({
    TEMPORAL_ADDRESS: 'temporal:7233',
    STORAGE_URL: expect.stringMatching(/^s3:\/\//),
  });
  const withSim = parse(config('simulator')) as { services: Record<string, unknown> };
  expect(Object.keys(withSim.services)).toContain('simulator');
  const withCallbacks = parse(config('callbacks')) as { services: Record<string, { environment?: Record<string, string> }> };
  expect(withCallbacks.services.callbacks?.environment).toMatchObject({
    SEEDANCE_WORKER_ROLES: 'callbacks',
    SEEDANCE_CALLBACK_ADDRESS: '0.0.0.0:8788',
  });
});
