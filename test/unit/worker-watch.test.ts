/**
 * The no-worker notice decides from the task queues' pollers (a fake workflow service here;
 * the real server is in test/integration/no-worker.test.ts).
 */
import type { Client } from '@temporalio/client';
import { POLLER_FRESH_MS, watchForWorkers } from '../../client/worker-watch';

const NOW = 1_800_000_000_000;
type Pollers = Record<string, { lastAccessTime?: { seconds: number } }[]>;

function fakeClient(pollers: Pollers): { client: Client; asked: string[] } {
  const asked: string[] = [];
  const client = {
    options: { namespace: 'default' },
    workflowService: {
      describeTaskQueue: async (req: { taskQueue: { name: string }; taskQueueType: number }) => {
        const key = `${req.taskQueue.name}:${req.taskQueueType === 1 ? 'workflow' : 'activity'}`;
        asked.push(key);
        return { pollers: pollers[key] ?? [] };
      },
    },
  } as unknown as Client;
  return { client, asked };
}

async function notice(pollers: Pollers): Promise<{ lines: string[]; asked: string[] }> {
  const { client, asked } = fakeClient(pollers);
  const lines: string[] = [];
  const watch = watchForWorkers(client, {
    taskQueue: 'q',
    address: '127.0.0.1:7233',
    afterMs: 1,
    print: (l) => lines.push(l),
    now: () => NOW,
  });
  await new Promise((r) => setTimeout(r, 20));
  await watch.stop();
  return { lines, asked };
}

const fresh = [{ lastAccessTime: { seconds: NOW / 1000 - 30 } }];
const stale = [{ lastAccessTime: { seconds: (NOW - POLLER_FRESH_MS) / 1000 - 60 } }];

describe('watchForWorkers', () => {
  test('no poller on the workflow queue: one line naming the queue, the address and how to start a worker', async () => {
    const { lines } = await notice({});
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('no worker is polling task queue q on 127.0.0.1:7233 (namespace default)');
    expect(lines[0]).toContain('SEEDANCE_TASK_QUEUE=q TEMPORAL_ADDRESS=127.0.0.1:7233 npx seedance-flow worker');
  });

  test('a worker that stopped minutes ago does not count', async () => {
    const { lines } = await notice({ 'q:workflow': stale });
    expect(lines[0]).toContain('no worker is polling task queue q');
  });

  test('workflows served but not the provider role: says which role and queue', async () => {
    const { lines } = await notice({ 'q:workflow': fresh, 'q-copy:activity': fresh });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('none serves the provider (task queue q-provider) role');
    expect(lines[0]).toContain('SEEDANCE_WORKER_ROLES=provider');
  });

  test('every queue served: nothing is printed', async () => {
    const { lines, asked } = await notice({ 'q:workflow': fresh, 'q-provider:activity': fresh, 'q-copy:activity': fresh });
    expect(lines).toEqual([]);
    expect(asked).toEqual(['q:workflow', 'q-provider:activity', 'q-copy:activity']);
  });

  test('a render that finishes first asks nothing', async () => {
    const { client, asked } = fakeClient({});
    const watch = watchForWorkers(client, { taskQueue: 'q', address: 'x:1', afterMs: 50, print: () => undefined });
    await watch.stop();
    await new Promise((r) => setTimeout(r, 80));
    expect(asked).toEqual([]);
  });

  test('a queue name with shell characters is quoted in the suggested command', async () => {
    const { client } = fakeClient({});
    const lines: string[] = [];
    const watch = watchForWorkers(client, { taskQueue: "team's queue", address: 'h:7233', afterMs: 1, print: (l) => lines.push(l) });
    await new Promise((r) => setTimeout(r, 20));
    await watch.stop();
    expect(lines[0]).toContain(`SEEDANCE_TASK_QUEUE='team'\\''s queue'`);
  });
});
