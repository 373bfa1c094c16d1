/**
 * The callback receiver (worker role `callbacks`): the provider POSTs a task's body on every
 * status change to `<SEEDANCE_CALLBACK_BASE_URL>/<token>`; this server checks the token,
 * parses the body with the same tolerant schema as a GET, answers 200 at once, and then
 * signals the shot's workflow run (and tells its storyboard when it starts rendering).
 *
 * A callback is a hint, never proof: the workflow confirms a terminal status with one GET
 * before acting on it, so a forged, replayed, duplicated or late callback costs at most one
 * extra poll. An unknown token gets a bare 404; nothing tells an attacker why.
 *
 * Routes: `POST .../<token>` (the public one; expose only this path through the reverse
 * proxy), `GET /healthz`, `GET /metrics` (Prometheus text; keep it internal).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { PhaseRelay } from '../activities/phase-relay';
import { verifyCallbackToken, MAX_TOKEN_LENGTH, type CallbackTarget } from '../activities/seedance/callback-token';
import { isValidTaskId, TasksTaskSchema } from '../activities/seedance/schemas';
import { toTasksSnapshot } from '../activities/seedance/tasks-client';
import type { ProviderCallback } from '../common/callbacks';
import { TASK_STATUSES } from '../common/states';

/** A task body is a few hundred bytes; anything near this is not a callback. */
export const MAX_CALLBACK_BODY_BYTES = 256 * 1024;
/** The provider gives up on an answer after ~5 s: the whole exchange must fit well inside it. */
const REQUEST_TIMEOUT_MS = 4000;
const SIGNAL_TIMEOUT_MS = 15_000;

export type CallbackSignaller = (target: CallbackTarget, callback: ProviderCallback) => Promise<void>;

export interface CallbackReceiverOptions {
  host: string;
  port: number;
  /** SEEDANCE_CALLBACK_SECRET: every one verifies. */
  secrets: readonly string[];
  /** Signals the shot's workflow run. */
  signal: CallbackSignaller;
  /** Tells storyboards their shots are rendering; absent, nothing is relayed. */
  phases?: PhaseRelay;
  maxBodyBytes?: number;
  /** Where signal failures go (a closed workflow, Temporal down): they change no answer. */
  onSignalError?: (target: CallbackTarget, err: unknown) => void;
}

/** Counters since start, as `/metrics` shows them. */
export interface CallbackMetrics {
  received: Record<string, number>;
  rejected: Record<string, number>;
  signalled: number;
  signalFailed: number;
}

export interface CallbackReceiver {
  /** `http://host:port`, the address it listens on (not the public base URL). */
  url: string;
  port: number;
  metrics(): CallbackMetrics;
  /** Resolves when every signal already started has settled, so none is lost on shutdown. */
  close(): Promise<void>;
}

export async function startCallbackReceiver(opts: CallbackReceiverOptions): Promise<CallbackReceiver> {
  const metrics: CallbackMetrics = { received: {}, rejected: {}, signalled: 0, signalFailed: 0 };
  const pending = new Set<Promise<void>>();
  const maxBody = opts.maxBodyBytes ?? MAX_CALLBACK_BODY_BYTES;
  const reject = (res: ServerResponse, status: number, reason: string) => {
    metrics.rejected[reason] = (metrics.rejected[reason] ?? 0) + 1;
    res.writeHead(status, { 'content-length': 0, connection: 'close' }).end();
  };

  const server: Server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) reject(res, 500, 'internal');
      else res.destroy();
    });
  });
  server.requestTimeout = REQUEST_TIMEOUT_MS;
  server.headersTimeout = REQUEST_TIMEOUT_MS;

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
      return;
    }
    if (req.method === 'GET' && path === '/metrics') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(prometheusText(metrics));
      return;
    }
    if (req.method !== 'POST') return reject(res, 404, 'route');
    const token = path.slice(path.lastIndexOf('/') + 1);
    const target = token.length <= MAX_TOKEN_LENGTH ? verifyCallbackToken(opts.secrets, decodeURIComponentSafe(token)) : undefined;
    if (!target) return reject(res, 404, 'token');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > maxBody) return reject(res, 413, 'too_large');
    const body = await readBounded(req, maxBody);
    if (body === undefined) return reject(res, 413, 'too_large');
    const callback = parseCallback(body, target.attempt);
    if (!callback) return reject(res, 400, 'body');
    metrics.received[callback.status] = (metrics.received[callback.status] ?? 0) + 1;
    // Answer first: the provider waits ~5 s, and what happens next is our business.
    res.writeHead(200, { 'content-length': 0 }).end();
    if (callback.status === 'running' && target.parentWorkflowId) {
      // Not fromActivity: there is no activity context here (Context.current() would throw and the signal below would never leave).
      opts.phases?.forWorkflow({ parentWorkflowId: target.parentWorkflowId }, target.workflowId, 'rendering', callback.taskId);
    }
    const sent = withTimeout(opts.signal(target, callback), SIGNAL_TIMEOUT_MS).then(
      () => {
        metrics.signalled += 1;
      },
      (err: unknown) => {
        metrics.signalFailed += 1;
        opts.onSignalError?.(target, err);
      },
    );
    pending.add(sent);
    void sent.finally(() => pending.delete(sent));
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = opts.host.includes(':') ? `[${opts.host}]` : opts.host;
  return {
    url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
    port,
    metrics: () => structuredClone(metrics),
    close: async () => {
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
      });
      await Promise.allSettled([...pending]);
    },
  };
}

/** The callback a body describes, bounded and checked like a GET's answer; undefined when it is not one. */
export function parseCallback(body: Buffer, attempt: number): ProviderCallback | undefined {
  let json: unknown;
  try {
    json = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = TasksTaskSchema.safeParse(json);
  if (!parsed.success || !isValidTaskId(parsed.data.id)) return undefined;
  const snapshot = toTasksSnapshot(parsed.data);
  const status = (TASK_STATUSES as readonly string[]).includes(snapshot.status) ? snapshot.status : 'unknown';
  return { attempt, taskId: parsed.data.id, status, rawStatus: snapshot.rawStatus.slice(0, 64), receivedAt: Date.now() };
}

async function readBounded(req: IncomingMessage, max: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > max) {
      req.destroy();
      return undefined;
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return '';
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Temporal within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function prometheusText(m: CallbackMetrics): string {
  const lines = [
    '# HELP seedance_callbacks_received_total Provider callbacks accepted, by normalized task status.',
    '# TYPE seedance_callbacks_received_total counter',
    ...Object.entries(m.received).map(([status, n]) => `seedance_callbacks_received_total{status="${status}"} ${n}`),
    '# HELP seedance_callbacks_rejected_total Callback requests refused, by reason (token, body, too_large, route).',
    '# TYPE seedance_callbacks_rejected_total counter',
    ...Object.entries(m.rejected).map(([reason, n]) => `seedance_callbacks_rejected_total{reason="${reason}"} ${n}`),
    '# HELP seedance_callbacks_signalled_total Callbacks passed on to their workflow.',
    '# TYPE seedance_callbacks_signalled_total counter',
    `seedance_callbacks_signalled_total ${m.signalled}`,
    '# HELP seedance_callbacks_signal_failed_total Callbacks that could not be passed on (workflow closed, Temporal unreachable).',
    '# TYPE seedance_callbacks_signal_failed_total counter',
    `seedance_callbacks_signal_failed_total ${m.signalFailed}`,
  ];
  return `${lines.join('\n')}\n`;
}
