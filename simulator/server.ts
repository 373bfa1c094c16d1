/**
 * The HTTP server: routing, authentication, random and scripted faults, and lifecycle.
 * The API semantics live in tasks-api.ts, predictions-api.ts and downloads.ts.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { lastFramePng, sampleVideo } from './assets';
import { applyConfigPatch, DEFAULT_CONFIG } from './config';
import { control } from './control-api';
import { download, type OutputAsset } from './downloads';
import { errorForStatus, errors } from './errors';
import { faultAnswersError } from './faults';
import type { HandlerContext } from './handler-context';
import { discardResponse, rawResponse, readBody, sendResponse, sendTruncated, type SimResponse } from './http-io';
import { getPrediction, submitPrediction } from './predictions-api';
import { SimulatorState } from './state';
import { cancelTask, getTask, submitTask } from './tasks-api';
import { listTasks } from './tasks-list';
import { CallbackSender } from './callbacks';
import type { Fault, SimulatorConfigPatch, SimulatorStats } from './types';
import type { PredictionMode } from './validation';

/** How to start a simulator. */
export interface SimulatorOptions {
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1. */
  host?: string;
  /**
   * When set, `Authorization` must be exactly the key or `Bearer <key>`.
   * When unset, any non-empty `Authorization` is accepted.
   */
  apiKey?: string;
  /** Overrides of the default configuration. */
  config?: SimulatorConfigPatch;
}

/** A listening simulator and its in-process controls (also reachable over `/__sim/*`). */
export interface RunningSimulator {
  /** Base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  port: number;
  stats(): SimulatorStats;
  /** Changes the configuration; tasks already created keep their timeline and outcome. */
  configure(patch: SimulatorConfigPatch): void;
  /** Queues scripted faults (validated; throws on an invalid one). */
  addFaults(faults: Fault[]): void;
  /** Startup configuration again, and no tasks, faults or counts. */
  reset(): void;
  /** Stops listening and destroys every connection, hung ones included. */
  close(): Promise<void>;
}

type ApiRoute =
  | { kind: 'submit'; family: 'tasks' }
  | { kind: 'submit'; family: 'predictions'; model: string; mode: PredictionMode }
  | { kind: 'get'; family: 'tasks' | 'predictions'; id: string }
  | { kind: 'list' }
  | { kind: 'cancel'; id: string }
  | { kind: 'download'; asset: OutputAsset; id: string };

/** A 200 whose JSON stops mid-way, as a proxy cutting a response would leave it. */
const MALFORMED_JSON = '{"id":"cgt-20260101000000-1","status":"runn';

/** Starts a simulator; resolves once it is listening. */
export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  // Fail at startup, not at the first download, if an asset is missing.
  sampleVideo();
  lastFramePng();
  const state = new SimulatorState(applyConfigPatch(DEFAULT_CONFIG, opts.config ?? {}));
  const sim = new SimulatorServer(state, opts.apiKey === '' ? undefined : opts.apiKey);
  const host = opts.host ?? '127.0.0.1';
  const port = await sim.listen(opts.port ?? 0, host);
  sim.baseUrl = `http://${urlHost(host)}:${port}`;
  return {
    url: sim.baseUrl,
    port,
    stats: () => state.stats(Date.now()),
    configure: (patch) => state.configure(patch),
    addFaults: (faults) => state.faults.add(faults),
    reset: () => sim.reset(),
    close: () => sim.close(),
  };
}

class SimulatorServer {
  baseUrl = '';
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly callbacks: CallbackSender;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly state: SimulatorState,
    private readonly apiKey: string | undefined,
  ) {
    this.callbacks = new CallbackSender(state);
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err: unknown) => {
        if (res.headersSent) res.destroy();
        else sendResponse(res, errors.internal(`simulator bug: ${err instanceof Error ? err.message : String(err)}`));
      });
    });
    // Tracked so that close() can destroy hung connections, which server.close() would wait for.
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
    });
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        resolve((this.server.address() as AddressInfo).port);
      });
    });
  }

  /** Startup configuration, no tasks, faults or counts, and no callback still to come. */
  reset(): void {
    this.callbacks.reset();
    this.state.reset();
  }

  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      this.callbacks.stop();
      for (const timer of this.timers) clearTimeout(timer);
      this.timers.clear();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
    });
    return this.closing;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const method = req.method ?? 'GET';
    const url = new URL(req.url ?? '/', 'http://simulator');
    const path = url.pathname;
    const route = path.startsWith('/__sim/') ? undefined : matchRoute(method, path);
    // Tracked as soon as its headers arrive, before the body is read, so that a submit is
    // in flight for as long as the client may be waiting for it.
    if (route?.kind === 'submit') this.trackSubmit(res);
    const { body, tooLarge } = await readBody(req);

    if (path.startsWith('/__sim/')) {
      if (method === 'POST' && path === '/__sim/reset') this.callbacks.reset();
      const answer = control(this.state, method, path, () => JSON.parse(body.toString('utf8')) as unknown, Date.now());
      sendResponse(res, answer ?? errors.routeNotFound(method, path));
      return;
    }
    if (route === undefined) {
      sendResponse(res, errors.routeNotFound(method, path));
      return;
    }
    this.state.countRequest(route.kind);

    const fault = this.state.faults.take(route.kind);
    if (fault?.delayMs !== undefined && fault.delayMs > 0) await this.sleep(fault.delayMs);
    if (this.closing !== undefined || fault?.hang) return; // a hung socket is destroyed by close()
    if (fault !== undefined && faultAnswersError(fault)) {
      sendResponse(res, faultResponse(fault));
      return;
    }
    if (fault?.malformed && route.kind !== 'download') {
      sendResponse(res, rawResponse(200, MALFORMED_JSON, { 'content-type': 'application/json' }));
      return;
    }

    const answer = await this.answer(route, req, body, tooLarge, url.searchParams);
    if (fault?.acceptThenHang) {
      discardResponse(answer); // the request took effect; the client never learns it
      return;
    }
    if (fault?.acceptThenDrop) {
      discardResponse(answer); // the request took effect; the connection is reset instead of answered
      res.socket?.resetAndDestroy();
      return;
    }
    if (fault?.malformed) await sendTruncated(res, answer);
    else sendResponse(res, answer, method === 'HEAD');
  }

  /**
   * Counts a submit in flight until its response is fully written ('finish') or its
   * connection goes away unanswered ('close': a hung submit the client gave up on, or
   * close()). Whichever comes first ends it; the state ignores the second.
   */
  private trackSubmit(res: ServerResponse): void {
    const token = this.state.submitStarted(Date.now());
    const end = () => this.state.submitEnded(token, Date.now());
    res.once('finish', end);
    res.once('close', end);
  }

  /** The normal answer: authentication, random rates, then the API itself (a labelled clip's download may take a while). */
  private answer(
    route: ApiRoute,
    req: IncomingMessage,
    body: Buffer,
    tooLarge: boolean,
    query: URLSearchParams,
  ): SimResponse | Promise<SimResponse> {
    const ctx: HandlerContext = { state: this.state, baseUrl: this.linkBase(req), now: Date.now(), observer: this.callbacks };
    // Output links are signed URLs: no Authorization, no API rate limits.
    if (route.kind === 'download') return download(ctx, route.asset, route.id);
    if (!this.authorized(req.headers.authorization)) return errors.unauthorized();
    if (route.kind === 'submit' || route.kind === 'get' || route.kind === 'list') {
      const roll = this.state.rollRequest();
      if (roll === 'rateLimit') return errors.rateLimited(this.state.config.retryAfterSeconds);
      if (roll === 'serverError') return errors.internal();
    }
    switch (route.kind) {
      case 'submit': {
        if (tooLarge) return errors.invalidParameter('the request body exceeds 64 MB');
        let json: unknown;
        try {
          json = JSON.parse(body.toString('utf8'));
        } catch {
          return errors.invalidParameter('the request body is not valid JSON');
        }
        return route.family === 'tasks' ? submitTask(ctx, json) : submitPrediction(ctx, route.model, route.mode, json);
      }
      case 'get':
        return route.family === 'tasks' ? getTask(ctx, route.id) : getPrediction(ctx, route.id);
      case 'cancel':
        return cancelTask(ctx, route.id);
      case 'list':
        return listTasks(ctx, query);
    }
  }

  /**
   * Links (video_url, urls.get) use the host the client reached us by, so that a worker that
   * calls http://simulator:8787 in docker-compose gets links it can follow; a client using
   * `url` gets exactly `url`. Falls back to `url` when Host is absent or odd.
   */
  private linkBase(req: IncomingMessage): string {
    const host = req.headers.host;
    return host !== undefined && /^[A-Za-z0-9.-]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host) ? `http://${host}` : this.baseUrl;
  }

  private authorized(header: string | undefined): boolean {
    if (header === undefined || header.trim() === '') return false;
    if (this.apiKey === undefined) return true;
    return header === this.apiKey || header === `Bearer ${this.apiKey}`;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }
}

/** The error a scripted fault answers: its raw body, or the standard body for its status. */
function faultResponse(fault: Fault): SimResponse {
  const status = fault.status ?? (fault.retryAfter !== undefined ? 429 : 500);
  if (fault.body === undefined) return errorForStatus(status, fault.retryAfter);
  const headers: Record<string, string> = fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) };
  return rawResponse(status, fault.body, headers);
}

const ROUTES: ReadonlyArray<{ method: readonly string[]; pattern: RegExp; route: (m: string[]) => ApiRoute }> = [
  { method: ['POST'], pattern: /^\/api\/v3\/contents\/generations\/tasks\/?$/, route: () => ({ kind: 'submit', family: 'tasks' }) },
  {
    method: ['POST'],
    pattern: /^\/api\/v3\/bytedance\/([^/]+)\/(image-to-video|text-to-video)$/,
    route: (m) => ({ kind: 'submit', family: 'predictions', model: m[0] ?? '', mode: m[1] as PredictionMode }),
  },
  { method: ['GET'], pattern: /^\/api\/v3\/contents\/generations\/tasks\/?$/, route: () => ({ kind: 'list' }) },
  {
    method: ['GET'],
    pattern: /^\/api\/v3\/contents\/generations\/tasks\/([^/]+)$/,
    route: (m) => ({ kind: 'get', family: 'tasks', id: m[0] ?? '' }),
  },
  { method: ['DELETE'], pattern: /^\/api\/v3\/contents\/generations\/tasks\/([^/]+)$/, route: (m) => ({ kind: 'cancel', id: m[0] ?? '' }) },
  {
    method: ['GET'],
    pattern: /^\/api\/v3\/predictions\/([^/]+)\/result$/,
    route: (m) => ({ kind: 'get', family: 'predictions', id: m[0] ?? '' }),
  },
  { method: ['GET', 'HEAD'], pattern: /^\/videos\/([^/]+)\.mp4$/, route: (m) => ({ kind: 'download', asset: 'video', id: m[0] ?? '' }) },
  { method: ['GET', 'HEAD'], pattern: /^\/frames\/([^/]+)\.png$/, route: (m) => ({ kind: 'download', asset: 'frame', id: m[0] ?? '' }) },
];

/** The API route for a request, with its path parameters decoded. */
function matchRoute(method: string, path: string): ApiRoute | undefined {
  for (const { method: methods, pattern, route } of ROUTES) {
    const match = pattern.exec(path);
    if (match === null || !methods.includes(method)) continue;
    try {
      return route(match.slice(1).map((part) => decodeURIComponent(part)));
    } catch {
      return undefined; // malformed percent-encoding
    }
  }
  return undefined;
}

/** The host as it appears in a URL; a wildcard bind is reached through loopback. */
function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '') return '127.0.0.1';
  if (host === '::') return '[::1]';
  return host.includes(':') ? `[${host}]` : host;
}
