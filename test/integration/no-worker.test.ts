/**
 * `video` and `render --wait` on a task queue no worker polls: within about 10 s the user is
 * told, on stderr, which queue and how to start a worker, and the command keeps waiting.
 */
import { WorkflowNotFoundError } from '@temporalio/client';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { connectClient } from '../../temporal/connection';
import { loadConfig } from '../../common/config';
import { infraEnv } from '../helpers/harness';

const BIN = path.resolve(__dirname, '../../bin/seedance-flow.js');

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exited: () => boolean;
}

function start(args: string[], env: Record<string, string>): Running {
  const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let exited = false;
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdout?.resume();
  child.on('exit', () => (exited = true));
  return { child, stderr: () => stderr, exited: () => exited };
}

async function waitForText(r: Running, pattern: RegExp, timeoutMs: number): Promise<number> {
  const started = Date.now();
  while (!pattern.test(r.stderr())) {
    if (r.exited()) throw new Error(`the command exited before printing ${pattern}; stderr:\n${r.stderr()}`);
    if (Date.now() - started > timeoutMs) throw new Error(`no ${pattern} within ${timeoutMs} ms; stderr:\n${r.stderr()}`);
    await new Promise((res) => setTimeout(res, 200));
  }
  return Date.now() - started;
}

async function stop(r: Running): Promise<void> {
  if (r.exited()) return;
  const gone = new Promise((res) => r.child.once('exit', res));
  r.child.kill('SIGTERM');
  await gone;
}

describe('no worker on the task queue', () => {
  const infra = infraEnv();
  const queue = `no-worker-${randomUUID().slice(0, 8)}`;
  const env = { TEMPORAL_ADDRESS: infra.temporalAddress, SEEDANCE_TASK_QUEUE: queue, STORAGE_URL: '', SEEDANCE_LOG_LEVEL: 'ERROR' };
  let dir: string;
  const started: string[] = [];
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sf-no-worker-'));
    env.STORAGE_URL = `file://${dir}/renders`;
  });
  afterAll(async () => {
    // Nothing will ever run these: end them so they do not wait on the shared server.
    const config = loadConfig({ ...process.env, ...env });
    const client = await connectClient(config, { ...process.env, ...env });
    try {
      for (const id of started) {
        await client.workflow
          .getHandle(id)
          .terminate('test cleanup')
          .catch((err: unknown) => {
            if (!(err instanceof WorkflowNotFoundError)) throw err;
          });
      }
    } finally {
      await client.connection.close();
    }
    await rm(dir, { recursive: true, force: true });
  });

  const NOTICE = new RegExp(
    `no worker is polling task queue ${queue} on ${infra.temporalAddress.replace(/\./g, '\\.')}.*still waiting.*SEEDANCE_TASK_QUEUE=${queue} TEMPORAL_ADDRESS=\\S+ npx seedance-flow worker`,
  );

  test('video: the notice within about 10 s, and it keeps waiting', async () => {
    const r = start(['video', '--prompt', `nobody renders this ${randomUUID()}`], env);
    try {
      await waitForText(r, /rendering as workflow (\S+)/, 30_000);
      started.push(/rendering as workflow (\S+)/.exec(r.stderr())?.[1] as string);
      const after = await waitForText(r, NOTICE, 25_000);
      expect(after).toBeLessThan(20_000);
      // Printed once, and the command is still waiting for a worker.
      await new Promise((res) => setTimeout(res, 1000));
      expect(r.exited()).toBe(false);
      expect(r.stderr().match(/no worker is polling/g)).toHaveLength(1);
    } finally {
      await stop(r);
    }
  }, 60_000);

  test('render --wait: the notice on a line of its own, and it keeps waiting', async () => {
    const storyboardId = `no-worker-${randomUUID().slice(0, 8)}`;
    const file = path.join(dir, 'board.yaml');
    await writeFile(file, `id: ${storyboardId}\nshots:\n  - id: s1\n    prompt: nobody renders this\n`);
    started.push(storyboardId);
    const r = start(['render', file, '--wait'], env);
    try {
      await waitForText(r, new RegExp(`rendering storyboard ${storyboardId}`), 30_000);
      const after = await waitForText(r, NOTICE, 25_000);
      expect(after).toBeLessThan(20_000);
      expect(r.stderr()).toMatch(new RegExp(`(^|\\n)seedance-flow: ${NOTICE.source}`));
      await new Promise((res) => setTimeout(res, 1000));
      expect(r.exited()).toBe(false);
    } finally {
      await stop(r);
    }
  }, 60_000);
});
