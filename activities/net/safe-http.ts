/**
 * Fetching URLs that a third party chose (the provider's output links) without letting them
 * reach inside the worker's network: server-side request forgery protection.
 *
 * Every hop is checked, at three points, because each alone has a hole:
 * - the URL: only http(s); an IP-literal host is judged before any connection (Node skips
 *   DNS lookup for IP literals, so the lookup check below never sees them);
 * - DNS: the agents resolve names with a lookup that refuses unsafe addresses, so the socket
 *   connects to exactly the address that was checked (no second lookup to rebind);
 * - the socket: on 'connect' the address actually connected to is checked once more.
 * Redirects are followed here, one hop at a time through the same checks, at most
 * MAX_REDIRECTS of them, never from https to http. Environment proxies are not used: through
 * a proxy the worker could check neither the name nor the address.
 *
 * Exceptions come only from configuration: hosts on the allow-list are fetched whatever
 * they resolve to, and the local-development switch allows loopback, private and
 * link-local addresses (never cloud metadata, unspecified, multicast or reserved ones).
 */
import axios, { type AxiosResponse } from 'axios';
import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction, type Socket } from 'node:net';
import type { Duplex, Readable } from 'node:stream';
import type { HostPattern } from '../../common/config';
import { refusedAddress, type AddressVerdict } from './addresses';

/** Redirects followed before a URL counts as invalid (browsers allow ~20; a CDN needs 1-2). */
export const MAX_REDIRECTS = 5;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

export interface FetchPolicy {
  /** SEEDANCE_ALLOW_PRIVATE_NETWORK: loopback, private and link-local addresses are allowed. */
  allowPrivateNetwork: boolean;
  /** SEEDANCE_FETCH_ALLOW_HOSTS: these hosts are fetched whatever they resolve to. */
  allowHosts: readonly HostPattern[];
}

/** What production gets when nothing is configured: public addresses only. */
export const STRICT_FETCH_POLICY: FetchPolicy = { allowPrivateNetwork: false, allowHosts: [] };

/**
 * A URL the fetcher will not follow. `unsafe`: it leads where the worker must not go (an
 * internal address, an https→http downgrade); `invalid`: it cannot be followed at all (not
 * http(s), a redirect without a location, too many redirects).
 */
export class FetchRefused extends Error {
  constructor(
    readonly kind: 'unsafe' | 'invalid',
    readonly host: string,
    message: string,
  ) {
    super(message);
    this.name = 'FetchRefused';
  }
}

export interface SafeResponse {
  /** Any status but a followed redirect: the caller decides what a 4xx/5xx means. */
  status: number;
  headers: AxiosResponse['headers'];
  /** The body, unread: a stream the caller must consume or destroy. */
  body: Readable;
  /** The URL that answered, after redirects. */
  url: string;
}

export interface SafeFetcher {
  /** GETs `url` following redirects safely; rejects with FetchRefused or an axios error. */
  open(url: string, opts: { signal?: AbortSignal; timeoutMs: number }): Promise<SafeResponse>;
}

/** Does the allow-list name this URL's host (and port)? */
export function hostAllowed(url: URL, patterns: readonly HostPattern[]): boolean {
  const host = bareHost(url);
  const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  return patterns.some((p) => (p.port === undefined || p.port === port) && (p.wildcard ? host.endsWith(`.${p.host}`) : host === p.host));
}

function bareHost(url: URL): string {
  const h = url.hostname.toLowerCase();
  return (h.startsWith('[') && h.endsWith(']') ? h.slice(1, -1) : h).replace(/\.$/, '');
}

function refusal(host: string, address: string, verdict: AddressVerdict): FetchRefused {
  const shown = host === address ? address : `${host} (${address})`;
  const hint = verdict.privateNetwork
    ? '; allow the host with SEEDANCE_FETCH_ALLOW_HOSTS, or set SEEDANCE_ALLOW_PRIVATE_NETWORK=true for local development'
    : '; only SEEDANCE_FETCH_ALLOW_HOSTS can allow it';
  return new FetchRefused('unsafe', host, `refusing to fetch from ${shown}: ${verdict.kind} address${hint}`);
}

/** dns.lookup, refusing the whole name when any address it resolves to is unsafe. */
function guardedLookup(allowPrivateNetwork: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      for (const a of addresses) {
        const verdict = refusedAddress(a.address, allowPrivateNetwork);
        if (verdict) return callback(refusal(hostname, a.address, verdict), '', 0);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first) return callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** Checks the address a socket actually connected to, and ends it before a byte of the request. */
function guardSocket(socket: Duplex | null | undefined, host: string, allowPrivateNetwork: boolean): void {
  if (!socket) return;
  const s = socket as Socket;
  s.once('connect', () => {
    const address = s.remoteAddress;
    const verdict = address === undefined ? { kind: 'unknown', privateNetwork: false } : refusedAddress(address, allowPrivateNetwork);
    if (verdict) s.destroy(refusal(host, address ?? '?', verdict));
  });
}

type ConnectCallback = (err: Error | null, stream: Duplex) => void;

class GuardedHttpAgent extends http.Agent {
  constructor(private readonly allowPrivateNetwork: boolean) {
    super();
  }

  override createConnection(options: http.ClientRequestArgs, callback?: ConnectCallback): Duplex | null | undefined {
    const lookup = guardedLookup(this.allowPrivateNetwork);
    const socket = super.createConnection({ ...options, lookup }, callback);
    guardSocket(socket, String(options.hostname ?? options.host ?? ''), this.allowPrivateNetwork);
    return socket;
  }
}

class GuardedHttpsAgent extends https.Agent {
  constructor(private readonly allowPrivateNetwork: boolean) {
    super();
  }

  override createConnection(options: https.RequestOptions, callback?: ConnectCallback): Duplex | null | undefined {
    const lookup = guardedLookup(this.allowPrivateNetwork);
    const socket = super.createConnection({ ...options, lookup }, callback);
    guardSocket(socket, String(options.hostname ?? options.host ?? ''), this.allowPrivateNetwork);
    return socket;
  }
}

/** The refusal behind an axios error (it wraps what the lookup or socket guard raised). */
function refusalIn(err: unknown): FetchRefused | undefined {
  let e: unknown = err;
  for (let depth = 0; e && depth < 5; depth++) {
    if (e instanceof FetchRefused) return e;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Checks one hop's URL before connecting: scheme, and an IP-literal host's address. */
function checkHop(url: URL, policy: FetchPolicy): { allowed: boolean } {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchRefused('invalid', url.host, `refusing to fetch a ${url.protocol.replace(/:$/, '')}: URL: only http(s)`);
  }
  if (hostAllowed(url, policy.allowHosts)) return { allowed: true };
  const host = bareHost(url);
  if (isIP(host)) {
    const verdict = refusedAddress(host, policy.allowPrivateNetwork);
    if (verdict) throw refusal(host, host, verdict);
  }
  return { allowed: false };
}

/** Agents whose sockets resolve and connect only to addresses the policy allows. */
export function createGuardedAgents(allowPrivateNetwork: boolean): { http: http.Agent; https: https.Agent } {
  return { http: new GuardedHttpAgent(allowPrivateNetwork), https: new GuardedHttpsAgent(allowPrivateNetwork) };
}

/**
 * Where a redirect leads, checked for what does not depend on the address: a Location that
 * is there and is a URL, the redirect budget, no https→http downgrade. Pure.
 */
export function nextHop(current: URL, status: number, location: unknown, redirectsSoFar: number): URL {
  if (typeof location !== 'string' || location === '') {
    throw new FetchRefused('invalid', current.host, `${current.host} answered ${status} without a Location`);
  }
  if (redirectsSoFar >= MAX_REDIRECTS) {
    throw new FetchRefused('invalid', current.host, `more than ${MAX_REDIRECTS} redirects (the last from ${current.host})`);
  }
  let next: URL;
  try {
    next = new URL(location, current);
  } catch {
    throw new FetchRefused(
      'invalid',
      current.host,
      `${current.host} redirected to ${JSON.stringify(location.slice(0, 80))}, which is not a URL`,
    );
  }
  if (current.protocol === 'https:' && next.protocol === 'http:') {
    throw new FetchRefused(
      'unsafe',
      next.host,
      `refusing the redirect from https://${current.host} to http://${next.host}: a downgrade to plain http`,
    );
  }
  return next;
}

export function createSafeFetcher(policy: FetchPolicy = STRICT_FETCH_POLICY): SafeFetcher {
  const guarded = createGuardedAgents(policy.allowPrivateNetwork);
  // Allow-listed hosts use agents without the address guard: that is what listing them means.
  const direct = { http: new http.Agent(), https: new https.Agent() };

  async function get(url: URL, signal: AbortSignal | undefined, timeoutMs: number) {
    const { allowed } = checkHop(url, policy);
    const agents = allowed ? direct : guarded;
    try {
      return await axios.get<Readable>(url.href, {
        responseType: 'stream',
        timeout: timeoutMs,
        ...(signal ? { signal } : {}),
        // Never decompress or buffer: bytes go straight to the caller.
        decompress: false,
        // Redirects are followed below, through the same checks; proxies would hide the address.
        maxRedirects: 0,
        proxy: false,
        httpAgent: agents.http,
        httpsAgent: agents.https,
        validateStatus: () => true,
      });
    } catch (err) {
      throw refusalIn(err) ?? err;
    }
  }

  return {
    async open(start, { signal, timeoutMs }) {
      let url: URL;
      try {
        url = new URL(start);
      } catch {
        throw new FetchRefused('invalid', '', `refusing to fetch ${JSON.stringify(start.slice(0, 80))}: not a URL`);
      }
      let from: URL | undefined;
      for (let redirects = 0; ; redirects++) {
        let res: AxiosResponse<Readable>;
        try {
          res = await get(url, signal, timeoutMs);
        } catch (err) {
          // Say where the redirect came from: the provider's host is the one to ask about it.
          if (err instanceof FetchRefused && from)
            throw new FetchRefused(err.kind, err.host, `${err.message} (redirected there from ${from.host})`);
          throw err;
        }
        if (!REDIRECT_STATUSES.has(res.status)) return { status: res.status, headers: res.headers, body: res.data, url: url.href };
        res.data.destroy();
        from = url;
        url = nextHop(url, res.status, res.headers.location, redirects);
      }
    },
  };
}

/**
 * Up to `maxBytes` of a body, then the stream is destroyed: the start of an error answer,
 * for a message, without reading a hostile body to its end. Gives up after `timeoutMs`.
 */
export async function readPrefix(body: Readable, maxBytes: number, timeoutMs = 5000): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  const timer = setTimeout(() => body.destroy(), timeoutMs);
  try {
    for await (const chunk of body) {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
      chunks.push(buf);
      size += buf.length;
      if (size >= maxBytes) break;
    }
  } catch {
    // A body cut off, timed out or reset: what arrived is all there is.
  } finally {
    clearTimeout(timer);
    body.destroy();
  }
  return Buffer.concat(chunks).subarray(0, maxBytes);
}
