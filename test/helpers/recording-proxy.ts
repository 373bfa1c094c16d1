/**
 * A pass-through HTTP proxy in front of the simulator that keeps the JSON body of every
 * POST, so a test can read exactly what the worker sent the provider (the simulator keeps
 * only counts). Start it before the harness (its URL goes into SEEDANCE_API_BASE_URL), then
 * point it at the simulator.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordingProxy {
  url: string;
  /** Where requests go (the simulator's URL); set once the harness is up. */
  target: string;
  /** The JSON bodies of the POSTs received, by path, in order. */
  posts: Array<{ path: string; body: unknown }>;
  close(): Promise<void>;
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

export async function startRecordingProxy(): Promise<RecordingProxy> {
  const proxy: Omit<RecordingProxy, 'url' | 'close'> = { target: '', posts: [] };
  const server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      if (req.method === 'POST') proxy.posts.push({ path: req.url ?? '', body: JSON.parse(body.toString('utf8') || 'null') });
      const headers: Record<string, string> = {};
      for (const name of ['authorization', 'content-type']) {
        const v = req.headers[name];
        if (typeof v === 'string') headers[name] = v;
      }
      const answer = await fetch(`${proxy.target}${req.url ?? ''}`, {
        method: req.method ?? 'GET',
        headers,
        ...(req.method === 'GET' || req.method === 'HEAD' ? {} : { body }),
        signal: AbortSignal.timeout(10_000),
      });
      const out = Buffer.from(await answer.arrayBuffer());
      res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'application/json' });
      res.end(out);
    })().catch((err: unknown) => {
      res.writeHead(502).end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(proxy, {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  });
}
