/**
 * The CLI's no-worker notice: while `video` or `render --wait` waits, it checks that some
 * worker polls the task queues the work was sent to. Connecting to Temporal itself is
 * temporal/connection.ts.
 */
import type { Client } from '@temporalio/client';
import { copyTaskQueue, providerTaskQueue } from '../common/task-queues';
import { terminalText } from '../common/terminal-text';

/** After this long without a result, `video` and `render --wait` check that some worker is polling. */
export const NO_WORKER_CHECK_MS = 10_000;
/**
 * A poller seen this recently is taken as alive. A live worker long-polls about once a
 * minute; the server keeps a stopped worker in the list for ~5 minutes.
 */
export const POLLER_FRESH_MS = 2 * 60_000;

export interface WorkerWatch {
  /** Stops watching; waits for a check in flight, so no RPC outlives the caller's connection. */
  stop(): Promise<void>;
}

/**
 * Tells the user, once and on stderr, when nothing will serve the workflow they started: no
 * worker polls its task queue (or, with split roles, the provider or copy queue) after
 * {@link NO_WORKER_CHECK_MS}. The wait goes on: a worker started later picks the work up.
 */
export function watchForWorkers(
  client: Client,
  opts: { taskQueue: string; address: string; afterMs?: number; print?: (line: string) => void; now?: () => number },
): WorkerWatch {
  const print = opts.print ?? ((line: string) => console.error(line));
  const now = opts.now ?? Date.now;
  let checking: Promise<void> = Promise.resolve();
  const timer = setTimeout(() => {
    checking = missingPollers(client, opts.taskQueue, now())
      .then((problem) => {
        if (problem) print(noWorkerMessage(problem, opts.taskQueue, opts.address, client.options.namespace));
      })
      // The check is a courtesy: a server that cannot answer it leaves the wait as it was.
      .catch(() => undefined);
  }, opts.afterMs ?? NO_WORKER_CHECK_MS);
  timer.unref();
  return {
    async stop() {
      clearTimeout(timer);
      await checking;
    },
  };
}

type QueueKind = 'workflow' | 'provider' | 'copy';

// temporal.api.enums.v1 values (TaskQueueKind, TaskQueueType), without depending on @temporalio/proto.
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPE_WORKFLOW = 1;
const TASK_QUEUE_TYPE_ACTIVITY = 2;

/** Which part of the queue layout has no live poller, if any; the workflow queue first. */
async function missingPollers(client: Client, taskQueue: string, at: number): Promise<{ kind: QueueKind; queue: string }[] | undefined> {
  const hasPoller = async (queue: string, type: number) => {
    const res = await client.workflowService.describeTaskQueue({
      namespace: client.options.namespace,
      taskQueue: { name: queue, kind: TASK_QUEUE_KIND_NORMAL },
      taskQueueType: type,
    });
    return (res.pollers ?? []).some((p) => {
      const seconds = p.lastAccessTime?.seconds;
      if (seconds === undefined || seconds === null) return true;
      return at - Number(seconds) * 1000 < POLLER_FRESH_MS;
    });
  };
  if (!(await hasPoller(taskQueue, TASK_QUEUE_TYPE_WORKFLOW))) return [{ kind: 'workflow', queue: taskQueue }];
  const missing: { kind: QueueKind; queue: string }[] = [];
  for (const [kind, queue] of [
    ['provider', providerTaskQueue(taskQueue)],
    ['copy', copyTaskQueue(taskQueue)],
  ] as const) {
    if (!(await hasPoller(queue, TASK_QUEUE_TYPE_ACTIVITY))) missing.push({ kind, queue });
  }
  return missing.length ? missing : undefined;
}

function noWorkerMessage(missing: { kind: QueueKind; queue: string }[], taskQueue: string, address: string, namespace: string): string {
  const q = terminalText(taskQueue, 200);
  const where = `on ${terminalText(address, 200)} (namespace ${terminalText(namespace, 200)})`;
  const start = `SEEDANCE_TASK_QUEUE=${shellWord(q)} TEMPORAL_ADDRESS=${shellWord(terminalText(address, 200))} npx seedance-flow worker`;
  if (missing[0]?.kind === 'workflow') {
    return (
      `seedance-flow: no worker is polling task queue ${q} ${where}, so nothing runs yet (still waiting). ` +
      `Start one with the same SEEDANCE_TASK_QUEUE and TEMPORAL_ADDRESS: ${start}`
    );
  }
  const roles = missing.map((m) => `${m.kind} (task queue ${terminalText(m.queue, 200)})`).join(' and ');
  return (
    `seedance-flow: workers poll task queue ${q} ${where}, but none serves the ${roles} role (still waiting). ` +
    `Start a worker with those roles, e.g. SEEDANCE_WORKER_ROLES=${missing.map((m) => m.kind).join(',')} ${start}`
  );
}

/** `word` as one shell word: as it is when it is plain, else single-quoted. */
function shellWord(word: string): string {
  return /^[A-Za-z0-9._:/@%+=,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}
