/**
 * A transparent HTTP proxy in front of an S3 server, for tests that need S3 to misbehave at
 * an exact request: stall it (never answer, socket left open, as a hung server does) or act
 * the moment a given object is requested (SIGKILL a worker, SIGSTOP a server).
 *
 * Requests are forwarded byte for byte: method, path and query, and every header, Host
 * included, unchanged. AWS SigV4 signs the Host header and the canonical path, so anything
 * else would make the server reject the signature. Bodies are streamed both ways, so
 * multipart uploads of any size pass through in constant memory.
 *
 * Point workers at it with AWS_ENDPOINT_URL_S3 = proxy.url. With an endpoint set the repo's
 * S3 client uses path-style addressing, so `path` is `/<bucket>/<key>?<query>`.
 */
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** What hooks see of a request. */
export interface ProxiedRequest {
  method: string;
  /** Path and query exactly as received, e.g. `/seedance-flow/test-1/videos/x.mp4?partNumber=1&uploadId=...`. */
  path: string;
}

export interface S3Proxy {
  /** `http://127.0.0.1:<port>`: use as AWS_ENDPOINT_URL_S3. */
  url: string;
  port: number;
  /**
   * Matching requests are never forwarded and never answered; their sockets stay open until
   * release() or close(). Several predicates may be active; a request matching any is held.
   */
  hold(match: (req: ProxiedRequest) => boolean): void;
  /** How many requests are being held right now. */
  held(): number;
  /**
   * Observes every request before it is forwarded or held (synchronously, so the test can
   * act before the target sees a single byte). Exceptions in `cb` are ignored.
   */
  onRequest(cb: (req: ProxiedRequest) => void): void;
  /** Removes every hold predicate and destroys the held requests' sockets. */
  release(): void;
  /** Stops listening and destroys every connection, held and forwarded ones. */
  close(): Promise<void>;
}

export async function startS3Proxy(target: string): Promise<S3Proxy> {
  const upstream = new URL(target);
  if (upstream.protocol !== 'http:') throw new Error(`s3-proxy forwards to http:// targets only, got ${target}`);
  const holds: Array<(req: ProxiedRequest) => boolean> = [];
  const observers: Array<(req: ProxiedRequest) => void> = [];
  const heldRequests = new Set<IncomingMessage>();
  const clientSockets = new Set<Socket>();
  const upstreamRequests = new Set<http.ClientRequest>();
  // Our own agent, so that close() can destroy its sockets without touching anyone else's.
  const agent = new http.Agent({ keepAlive: true });

  const forward = (req: IncomingMessage, res: ServerResponse, path: string): void => {
    const out = http.request({
      host: upstream.hostname,
      port: upstream.port || 80,
      method: req.method,
      path,
      // Node's flat raw list keeps duplicates, order and spelling; Host stays the client's
      // (setHost: false), so the signature computed for it still holds. Hop-by-hop headers
      // (Connection, Expect, Transfer-Encoding) pass too: harmless between two HTTP/1.1 peers,
      // and rewriting anything risks invalidating a signed header.
      headers: req.rawHeaders,
      setHost: false,
      agent,
    });
    upstreamRequests.add(out);
    out.on('close', () => upstreamRequests.delete(out));
    // Expect: 100-continue (the AWS SDK sends it for large part uploads): the client sends
    // the body only once the target, not we, has agreed, as it would without the proxy.
    out.on('continue', () => res.writeContinue());
    out.on('response', (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
      answer.pipe(res);
    });
    out.on('error', (err) => {
      // Target refused, reset or was destroyed by close(): a client sees what a dead server
      // would make it see, a 502 before any header, a cut connection after.
      if (!res.headersSent) {
        res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(`s3-proxy: ${err.message}`);
      } else {
        res.destroy();
      }
    });
    // The client went away before the answer was complete (an aborted upload or download):
    // drop the upstream request too rather than leave it half-sent or half-read.
    res.on('close', () => {
      if (!res.writableFinished) out.destroy();
    });
    req.pipe(out);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const seen: ProxiedRequest = { method: req.method ?? 'GET', path: req.url ?? '/' };
    for (const observe of observers) {
      try {
        observe(seen);
      } catch {
        // an observer's bug must not turn into a proxy failure the code under test sees
      }
    }
    if (holds.some((match) => match(seen))) {
      // Neither forwarded nor answered (not even 100 Continue), and the body is not read:
      // a held upload stalls on backpressure, as it would against a frozen server.
      heldRequests.add(req);
      req.socket.once('close', () => heldRequests.delete(req));
      return;
    }
    forward(req, res, seen.path);
  };

  const server = http.createServer(handle);
  // With a 'checkContinue' listener Node no longer answers 100 Continue by itself (nor emits
  // 'request' for such requests): the target decides, or a hold keeps it unanswered.
  server.on('checkContinue', handle);
  // No server-side timeouts: a held request must stay open as long as the test wants.
  server.requestTimeout = 0;
  server.headersTimeout = 0;
  server.on('connection', (socket: Socket) => {
    clientSockets.add(socket);
    socket.on('close', () => clientSockets.delete(socket));
  });

  // In process, so listening on port 0 is race-free; no need for freePort().
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;

  let closing: Promise<void> | undefined;
  const release = (): void => {
    holds.length = 0;
    for (const req of heldRequests) req.socket.destroy();
    heldRequests.clear();
  };

  return {
    url: `http://127.0.0.1:${port}`,
    port,
    hold: (match) => void holds.push(match),
    held: () => heldRequests.size,
    onRequest: (cb) => void observers.push(cb),
    release,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        release();
        server.close(() => resolve());
        for (const out of upstreamRequests) out.destroy();
        for (const socket of clientSockets) socket.destroy();
        agent.destroy();
      })),
  };
}
