/**
 * The codec server (`seedance-flow codec-server`): lets the Temporal UI and the `temporal` CLI
 * show encrypted payloads in clear to people who may read them, as Temporal's docs describe a
 * codec server: `POST <endpoint>/encode` and `POST <endpoint>/decode` take and answer
 * `{"payloads": [...]}`, payloads in proto3 JSON (base64 `metadata` values and `data`). Here the
 * endpoint is `http://<SEEDANCE_CODEC_SERVER_ADDRESS>/codec`.
 *
 * - Authentication: `Authorization: Bearer <SEEDANCE_CODEC_SERVER_TOKEN>`, compared in constant
 *   time; without a token it refuses to start, unless SEEDANCE_CODEC_SERVER_INSECURE_NO_AUTH
 *   marks local development on a loopback address.
 * - CORS: only the configured origins (the UI's address) get `Access-Control-Allow-Origin`;
 *   preflight (OPTIONS) allows `Authorization`, `Content-Type` and `X-Namespace` (the UI sends
 *   the namespace; every namespace uses the same keys here).
 * - Bodies are bounded (16 MiB); `GET /healthz` answers for load balancers.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { ConfigError, type Config } from '../common/config';

/** Where `encode` and `decode` are served; point the UI at `http://host:port/codec`. */
export const CODEC_PATH = '/codec';
const MAX_BODY_BYTES = 16 * 1024 * 1024;
const ALLOWED_HEADERS = 'Authorization, Content-Type, X-Namespace';

export interface CodecServerOptions {
  codec: PayloadCodec;
  host: string;
  port: number;
  /** Required unless `insecureNoAuth`. */
  token?: string;
  /** Origins allowed to call from a browser (CORS), e.g. `http://localhost:8233`. */
  origins: readonly string[];
  insecureNoAuth?: boolean;
}

export interface CodecServer {
  /** `http://host:port/codec`: the codec endpoint to give the UI or `temporal --codec-endpoint`. */
  endpoint: string;
  close(): Promise<void>;
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|localhost|\[?::1\]?)$/i;

/** Host, port, token and origins from the configuration, checked: a token, or the dev switch on loopback. */
export function codecServerSettings(config: Config): Omit<CodecServerOptions, 'codec'> {
  const address = config.SEEDANCE_CODEC_SERVER_ADDRESS;
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[|\]$/g, '');
  const port = Number(address.slice(colon + 1));
  const problems: string[] = [];
  if (port > 65535) problems.push(`SEEDANCE_CODEC_SERVER_ADDRESS: port ${port} is out of range`);
  const token = config.SEEDANCE_CODEC_SERVER_TOKEN;
  const insecureNoAuth = config.SEEDANCE_CODEC_SERVER_INSECURE_NO_AUTH;
  if (!token && !insecureNoAuth) {
    problems.push(
      'SEEDANCE_CODEC_SERVER_TOKEN: required: the codec server decrypts for whoever calls it (openssl rand -base64 32); ' +
        'for local development on loopback only, SEEDANCE_CODEC_SERVER_INSECURE_NO_AUTH=true',
    );
  }
  if (insecureNoAuth && !LOOPBACK.test(host)) {
    problems.push(`SEEDANCE_CODEC_SERVER_INSECURE_NO_AUTH: only on a loopback address, not ${host}; set SEEDANCE_CODEC_SERVER_TOKEN`);
  }
  if (problems.length) throw new ConfigError(problems);
  return { host, port, origins: config.SEEDANCE_CODEC_SERVER_ORIGINS, ...(token ? { token } : {}), insecureNoAuth };
}

const JsonPayloads = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), z.base64()).nullish(),
      data: z.base64().nullish(),
    }),
  ),
});

function fromJson(p: z.infer<typeof JsonPayloads>['payloads'][number]): Payload {
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, new Uint8Array(Buffer.from(v, 'base64'))])),
    data: new Uint8Array(Buffer.from(p.data ?? '', 'base64')),
  };
}

function toJson(p: Payload): { metadata: Record<string, string>; data: string } {
  return {
    metadata: Object.fromEntries(
      Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? new Uint8Array()).toString('base64')]),
    ),
    data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** Starts the codec server; resolves once it listens. */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  if (!options.token && !options.insecureNoAuth) throw new ConfigError(['SEEDANCE_CODEC_SERVER_TOKEN: required to start the codec server']);
  const expected = options.token ? digest(`Bearer ${options.token}`) : undefined;
  const origins = new Set(options.origins);

  const send = (res: ServerResponse, status: number, body?: unknown) => {
    if (body === undefined) {
      res.writeHead(status).end();
      return;
    }
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://codec.invalid');
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!origins.has(origin)) return send(res, 403, { error: 'origin not allowed' });
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'GET' && url.pathname === '/healthz') return send(res, 200, { ok: true });
    const operation = url.pathname === `${CODEC_PATH}/encode` ? 'encode' : url.pathname === `${CODEC_PATH}/decode` ? 'decode' : undefined;
    if (!operation) return send(res, 404, { error: 'not found' });
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', ALLOWED_HEADERS);
      res.setHeader('Access-Control-Max-Age', '600');
      return send(res, 204);
    }
    if (req.method !== 'POST') {
      res.setHeader('Allow', 'POST, OPTIONS');
      return send(res, 405, { error: 'use POST' });
    }
    if (expected) {
      const given = digest(req.headers.authorization ?? '');
      if (!timingSafeEqual(given, expected)) {
        res.setHeader('WWW-Authenticate', 'Bearer');
        return send(res, 401, { error: 'unauthorized' });
      }
    }
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        res.setHeader('Connection', 'close');
        return send(res, 413, { error: `body over ${MAX_BODY_BYTES} bytes` });
      }
      chunks.push(chunk);
    }
    let parsed: z.infer<typeof JsonPayloads>;
    try {
      parsed = JsonPayloads.parse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    } catch {
      return send(res, 400, { error: 'expected {"payloads": [{"metadata": {...base64}, "data": "base64"}]}' });
    }
    try {
      const payloads = parsed.payloads.map(fromJson);
      const out = operation === 'encode' ? await options.codec.encode(payloads) : await options.codec.decode(payloads);
      return send(res, 200, { payloads: out.map(toJson) });
    } catch (err) {
      // The codec's own message (an unknown key id, an altered payload); never a key.
      return send(res, 400, { error: err instanceof Error ? err.message : String(err) });
    }
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => {
      if (!res.headersSent) send(res, 500, { error: 'internal error' });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    endpoint: `http://${host}:${port}${CODEC_PATH}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
