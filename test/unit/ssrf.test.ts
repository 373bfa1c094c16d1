/**
 * Server-side request forgery: the copy fetches a URL the provider chose, from inside the
 * team's network. It must refuse loopback, private, link-local and metadata addresses on
 * every hop (directly, by name and through redirects), refuse https→http downgrades, and
 * allow exceptions only by configuration. A local server on 127.0.0.1 stands in for both
 * "an internal service" (refused with the switch off) and the simulator (allowed with it on).
 */
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { classifyAddress, refusedAddress } from '../../activities/net/addresses';
import { createGuardedAgents, FetchRefused, hostAllowed, MAX_REDIRECTS, nextHop } from '../../activities/net/safe-http';
import type { StorageBackend } from '../../storage/backend';
import { createCopyActivity, type CopyDeps, type CopyToStorageInput } from '../../activities/storage/copy';
import { ConfigError, loadConfig } from '../../common/config';
import { FAILURE_TYPES, FailureType } from '../../common/errors';

// ----- a local server: the "internal service", the "CDN" and the simulator in one -----

let server: http.Server;
let port: number;
const hits: string[] = [];
const sockets = new Set<Socket>();
const KEY = 'sk-live-0123456789abcdef';

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    hits.push(url);
    const to = (location: string) => {
      res.writeHead(302, { location });
      res.end();
    };
    if (url === '/video') return void res.end('VIDEO-BYTES');
    if (url === '/internal') return void res.end('INTERNAL-SECRET');
    if (url === '/to-internal') return to(`http://127.0.0.1:${port}/internal`);
    if (url === '/to-metadata') return to('http://169.254.169.254/latest/meta-data/');
    if (url === '/to-video') return to('/video');
    if (url === '/loop') return to('/loop');
    if (url === '/to-ftp') return to('ftp://example.com/video.mp4');
    if (url === '/expired') {
      res.writeHead(403, { 'content-type': 'application/xml' });
      return void res.end('<?xml version="1.0"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>');
    }
    if (url === '/echo-key') {
      res.writeHead(403);
      return void res.end(`AccessDenied for Authorization: Bearer ${KEY}`);
    }
    if (url === '/endless-error') {
      // An error answer that never ends: only its start may be read.
      res.writeHead(500, { 'content-type': 'text/plain' });
      const chunk = Buffer.alloc(64 * 1024, 'e');
      const pump = () => {
        while (res.write(chunk));
      };
      res.on('drain', pump);
      pump();
      return;
    }
    res.writeHead(404);
    res.end();
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  hits.length = 0;
});

// ----- the copy activity, on an in-memory store -----

function memoryStorage() {
  const objects = new Map<string, Buffer>();
  const storage = {
    urlOf: (key: string) => `mem://${key}`,
    stat: async (key: string) => {
      const o = objects.get(key);
      return o ? { bytes: o.length, metadata: {} } : null;
    },
    readText: async (key: string) => objects.get(key)?.toString('utf8') ?? null,
    writeText: async (key: string, text: string) => {
      objects.set(key, Buffer.from(text));
    },
    readBytes: async (key: string) => objects.get(key) ?? Buffer.alloc(0),
    upload: async (key: string, body: Readable) => {
      const chunks: Buffer[] = [];
      for await (const c of body) chunks.push(c as Buffer);
      objects.set(key, Buffer.concat(chunks));
    },
  };
  return { storage: storage as unknown as StorageBackend, objects };
}

const input = (url: string): CopyToStorageInput => ({ url, key: 'videos/t.mp4', taskId: 'cgt-1', model: 'm', prompt: 'p' });

async function copy(url: string, deps: Partial<CopyDeps> = {}) {
  const { storage, objects } = memoryStorage();
  const { copyToStorage } = createCopyActivity({ storage, maxBytes: 1024 * 1024, connectTimeoutMs: 3000, ...deps });
  const result = await new MockActivityEnvironment().run(copyToStorage, input(url));
  return { result, stored: objects.get('videos/t.mp4')?.toString('utf8') };
}

async function copyFailure(url: string, deps: Partial<CopyDeps> = {}): Promise<ApplicationFailure> {
  try {
    const { stored } = await copy(url, deps);
    throw new Error(`expected a failure, stored ${JSON.stringify(stored)}`);
  } catch (err) {
    if (!(err instanceof ApplicationFailure)) throw err;
    return err;
  }
}

const allow = (host: string) => ({ allowPrivateNetwork: false, allowHosts: [{ host, wildcard: false, port }] });

describe('the copy refuses internal addresses (production defaults)', () => {
  test('an IP-literal loopback URL is refused before any connection, naming the host and why', async () => {
    const f = await copyFailure(`http://127.0.0.1:${port}/internal`);
    expect(f.type).toBe(FailureType.UnsafeOutputUrl);
    expect(f.nonRetryable).toBe(true);
    expect(f.message).toMatch(/127\.0\.0\.1.*loopback/);
    expect(f.message).toMatch(/SEEDANCE_ALLOW_PRIVATE_NETWORK/);
    expect(hits).toEqual([]);
  });

  test('a name that resolves to loopback is refused at DNS, before connecting', async () => {
    const f = await copyFailure(`http://localhost:${port}/internal`);
    expect(f.type).toBe(FailureType.UnsafeOutputUrl);
    expect(f.message).toMatch(/localhost \((127\.0\.0\.1|::1)\)/);
    expect(hits).toEqual([]);
  });

  test('IPv4-mapped IPv6 of loopback is loopback', async () => {
    const f = await copyFailure(`http://[::ffff:127.0.0.1]:${port}/internal`);
    expect(f.type).toBe(FailureType.UnsafeOutputUrl);
    expect(hits).toEqual([]);
  });

  test('the cloud metadata address is refused even with the local-development switch on', async () => {
    const f = await copyFailure('http://169.254.169.254/latest/meta-data/', { fetchPolicy: { allowPrivateNetwork: true, allowHosts: [] } });
    expect(f.type).toBe(FailureType.UnsafeOutputUrl);
    expect(f.message).toMatch(/cloud metadata/);
  });

  test('https to an internal name is refused too (the https agent is guarded the same way)', async () => {
    const f = await copyFailure(`https://localhost:${port}/internal`);
    expect(f.type).toBe(FailureType.UnsafeOutputUrl);
    expect(hits).toEqual([]);
  });

  test('a 302 from an allowed host to 127.0.0.1 is refused on that hop: the internal answer is never stored', async () => {
    const f = await copyFailure(`http://localhost:${port}/to-internal`, { fetchPolicy: allow('localhost') });
    expect(f.type).toBe(FailureType.UnsafeOutputUrl);
    expect(f.message).toMatch(/127\.0\.0\.1.*loopback.*redirected there from localhost/);
    expect(hits).toEqual(['/to-internal']);
  });

  test('a redirect to the metadata address is refused', async () => {
    const f = await copyFailure(`http://localhost:${port}/to-metadata`, { fetchPolicy: allow('localhost') });
    expect(f.type).toBe(FailureType.UnsafeOutputUrl);
    expect(f.message).toMatch(/169\.254\.169\.254.*cloud metadata/);
  });

  test(`more than ${MAX_REDIRECTS} redirects, or one to a non-http scheme, is InvalidOutputUrl`, async () => {
    const loop = await copyFailure(`http://localhost:${port}/loop`, { fetchPolicy: allow('localhost') });
    expect(loop.type).toBe(FailureType.InvalidOutputUrl);
    expect(loop.message).toMatch(/more than 5 redirects/);
    expect(hits.length).toBe(MAX_REDIRECTS + 1);
    const ftp = await copyFailure(`http://localhost:${port}/to-ftp`, { fetchPolicy: allow('localhost') });
    expect(ftp.type).toBe(FailureType.InvalidOutputUrl);
    expect(ftp.nonRetryable).toBe(true);
  });
});

describe('exceptions come only from configuration', () => {
  test('the local-development switch allows loopback (the simulator), redirects included', async () => {
    const policy = { fetchPolicy: { allowPrivateNetwork: true, allowHosts: [] } };
    expect((await copy(`http://127.0.0.1:${port}/video`, policy)).stored).toBe('VIDEO-BYTES');
    expect((await copy(`http://localhost:${port}/to-video`, policy)).stored).toBe('VIDEO-BYTES');
  });

  test('an allow-listed host is fetched whatever it resolves to; the same host on another port is not', async () => {
    expect((await copy(`http://localhost:${port}/video`, { fetchPolicy: allow('localhost') })).stored).toBe('VIDEO-BYTES');
    const other = { allowPrivateNetwork: false, allowHosts: [{ host: 'localhost', wildcard: false, port: port + 1 }] };
    expect((await copyFailure(`http://localhost:${port}/video`, { fetchPolicy: other })).type).toBe(FailureType.UnsafeOutputUrl);
  });

  test('configuration: both variables default to refusing, and bad values name the variable', () => {
    const c = loadConfig({});
    expect(c.SEEDANCE_ALLOW_PRIVATE_NETWORK).toBe(false);
    expect(c.SEEDANCE_FETCH_ALLOW_HOSTS).toEqual([]);
    const set = loadConfig({
      SEEDANCE_ALLOW_PRIVATE_NETWORK: 'true',
      SEEDANCE_FETCH_ALLOW_HOSTS: ' Media.Example.com, *.cdn.example.net:443,[::1]:8787 , 10.0.0.5:9000,simulator:8787',
    });
    expect(set.SEEDANCE_ALLOW_PRIVATE_NETWORK).toBe(true);
    expect(set.SEEDANCE_FETCH_ALLOW_HOSTS).toEqual([
      { host: 'media.example.com', wildcard: false },
      { host: 'cdn.example.net', wildcard: true, port: 443 },
      { host: '::1', wildcard: false, port: 8787 },
      { host: '10.0.0.5', wildcard: false, port: 9000 },
      { host: 'simulator', wildcard: false, port: 8787 },
    ]);
    for (const [name, value] of [
      ['SEEDANCE_FETCH_ALLOW_HOSTS', 'http://example.com'],
      ['SEEDANCE_FETCH_ALLOW_HOSTS', 'example.com:99999'],
      ['SEEDANCE_FETCH_ALLOW_HOSTS', '::1'],
      ['SEEDANCE_ALLOW_PRIVATE_NETWORK', 'maybe'],
    ] as const) {
      expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
      try {
        loadConfig({ [name]: value });
      } catch (err) {
        expect((err as ConfigError).problems.join('\n')).toMatch(new RegExp(`^${name}:`, 'm'));
      }
    }
  });

  test('allow-list matching: exact host, subdomains for *.domain (not the apex), default ports', () => {
    const patterns = loadConfig({
      SEEDANCE_FETCH_ALLOW_HOSTS: 'media.example.com,*.cdn.example.net:443,[::1]:8787',
    }).SEEDANCE_FETCH_ALLOW_HOSTS;
    const ok = (url: string) => hostAllowed(new URL(url), patterns);
    expect(ok('http://MEDIA.example.com/v.mp4')).toBe(true);
    expect(ok('https://media.example.com:8443/v.mp4')).toBe(true);
    expect(ok('https://a.cdn.example.net/v.mp4')).toBe(true);
    expect(ok('https://a.b.cdn.example.net/v.mp4')).toBe(true);
    expect(ok('https://cdn.example.net/v.mp4')).toBe(false);
    expect(ok('http://a.cdn.example.net/v.mp4')).toBe(false); // port 80, not 443
    expect(ok('https://evilcdn.example.net/v.mp4')).toBe(false);
    expect(ok('https://media.example.com.evil.org/v.mp4')).toBe(false);
    expect(ok('http://[::1]:8787/v.mp4')).toBe(true);
  });
});

describe('each hop, each address', () => {
  test('an https → http redirect is refused as unsafe; relative and same-scheme redirects resolve', () => {
    const from = new URL('https://cdn.example.com/a/v.mp4');
    expect(() => nextHop(from, 302, 'http://cdn.example.com/v.mp4', 0)).toThrow(FetchRefused);
    try {
      nextHop(from, 302, 'http://cdn.example.com/v.mp4', 0);
    } catch (err) {
      expect((err as FetchRefused).kind).toBe('unsafe');
      expect((err as FetchRefused).message).toMatch(/downgrade/);
    }
    expect(nextHop(from, 301, '../b/v.mp4', 0).href).toBe('https://cdn.example.com/b/v.mp4');
    expect(nextHop(new URL('http://a.example/'), 307, 'https://b.example/v', 0).href).toBe('https://b.example/v');
    expect(() => nextHop(from, 302, undefined, 0)).toThrow(/without a Location/);
    expect(() => nextHop(from, 302, '/x', MAX_REDIRECTS)).toThrow(/more than/);
  });

  test('the socket guard checks the address actually connected to (IP literals skip the DNS lookup)', async () => {
    const agent = createGuardedAgents(false).http;
    const socket = agent.createConnection({ host: '127.0.0.1', port }) as Socket;
    const err = await new Promise<Error>((resolve) => socket.once('error', resolve));
    expect(err).toBeInstanceOf(FetchRefused);
    expect(err.message).toMatch(/127\.0\.0\.1.*loopback/);
    expect(socket.destroyed).toBe(true);
  });

  test.each([
    '127.0.0.1',
    '127.255.255.254',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.255.255',
    '192.168.1.1',
    '100.64.0.1',
    '100.127.255.255',
    '169.254.1.1',
    '169.254.169.254',
    '0.0.0.0',
    '224.0.0.1',
    '239.255.255.250',
    '255.255.255.255',
    '192.0.2.1',
    '198.18.0.1',
    '::',
    '::1',
    'fc00::1',
    'fd12:3456::1',
    'fd00:ec2::254',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '0:0:0:0:0:ffff:c0a8:0101',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b::127.0.0.1',
    '2002:7f00:1::1',
    '2002:0a00:0001::',
    '::127.0.0.1',
  ])('%s is refused', (ip) => {
    expect(classifyAddress(ip)).toBeDefined();
    expect(refusedAddress(ip, false)).toBeDefined();
  });

  test.each([
    '8.8.8.8',
    '1.1.1.1',
    '172.32.0.1',
    '172.15.255.255',
    '100.128.0.1',
    '192.169.0.1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:81c::200e',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
  ])('%s is public', (ip) => {
    expect(classifyAddress(ip)).toBeUndefined();
  });

  test('the switch allows loopback, private and link-local; never metadata, unspecified, multicast or reserved', () => {
    for (const ip of [
      '127.0.0.1',
      '10.0.0.1',
      '192.168.0.10',
      '100.64.1.1',
      '169.254.10.10',
      '::1',
      'fd00::1',
      'fe80::1',
      '::ffff:192.168.0.1',
    ]) {
      expect(refusedAddress(ip, true)).toBeUndefined();
    }
    for (const ip of [
      '169.254.169.254',
      'fd00:ec2::254',
      '::ffff:169.254.169.254',
      '100.100.100.200',
      '0.0.0.0',
      '::',
      '224.0.0.1',
      'ff02::1',
      '240.0.0.1',
      '192.0.2.5',
    ]) {
      expect(refusedAddress(ip, true)).toBeDefined();
    }
  });

  test('UnsafeOutputUrl is in the vocabulary, non-retryable, with its reason', () => {
    expect(FAILURE_TYPES[FailureType.UnsafeOutputUrl]).toMatchObject({ retryable: false });
    expect(FAILURE_TYPES[FailureType.UnsafeOutputUrl].why.length).toBeGreaterThan(10);
  });
});

describe('download errors', () => {
  const local = { fetchPolicy: { allowPrivateNetwork: true, allowHosts: [] } };

  test('show the start of the body, not [object Object]', async () => {
    const f = await copyFailure(`http://127.0.0.1:${port}/expired`, local);
    expect(f.type).toBe(FailureType.OutputGone);
    expect(f.message).not.toMatch(/\[object Object\]/);
    expect(f.message).toMatch(/AccessDenied/);
    const details = f.details?.[0] as { rawBody?: string; httpStatus?: number };
    expect(details.httpStatus).toBe(403);
    expect(details.rawBody).toMatch(/Request has expired/);
  });

  test('read only a bounded prefix of an endless error body', async () => {
    const t0 = Date.now();
    const f = await copyFailure(`http://127.0.0.1:${port}/endless-error`, local);
    expect(f.type).toBe(FailureType.ProviderServerError);
    expect(Date.now() - t0).toBeLessThan(4000);
    const details = f.details?.[0] as { rawBody?: string };
    expect(details.rawBody?.length).toBeLessThanOrEqual(501);
    expect(f.message.length).toBeLessThan(1000);
  });

  test('never show the API key, should the server echo it', async () => {
    const redact = (t: string) => t.split(KEY).join('[redacted]');
    const f = await copyFailure(`http://127.0.0.1:${port}/echo-key`, { ...local, redact });
    expect(JSON.stringify({ m: f.message, d: f.details })).not.toContain(KEY);
    expect(f.message).toContain('Bearer [redacted]');
  });
});
