/**
 * The codec server (temporal/codec-server.ts) over real HTTP: encode and decode in proto3 JSON,
 * bearer authentication, CORS for the configured origin only, and its refusal to start unsafe.
 */
import { randomBytes } from 'node:crypto';
import { defaultPayloadConverter } from '@temporalio/common';
import { codecServerCommand } from '../../client/commands/codec-server';
import { UsageError } from '../../client/usage-error';
import { ConfigError, loadConfig } from '../../common/config';
import { AesGcmPayloadCodec } from '../../temporal/codec';
import { codecServerSettings, startCodecServer, type CodecServer } from '../../temporal/codec-server';

const TOKEN = 'codec-server-test-token-0123456789abcdef';
const UI = 'http://localhost:8233';
const codec = new AesGcmPayloadCodec([{ id: 'k1', key: new Uint8Array(randomBytes(32)) }]);
const PROMPT = 'an unreleased prompt about a lighthouse';

let server: CodecServer;
beforeAll(async () => {
  server = await startCodecServer({ codec, host: '127.0.0.1', port: 0, token: TOKEN, origins: [UI] });
});
afterAll(() => server.close());

const jsonPayload = (value: unknown) => {
  const p = defaultPayloadConverter.toPayload(value);
  return {
    metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
    data: Buffer.from(p.data!).toString('base64'),
  };
};

const post = (op: 'encode' | 'decode', body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.endpoint}/${op}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'x-namespace': 'default', ...headers },
    body: JSON.stringify(body),
  });

describe('codec server', () => {
  test('encode then decode: proto3 JSON payloads, ciphertext in between', async () => {
    expect(server.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/codec$/);
    const encoded = await post('encode', { payloads: [jsonPayload({ prompt: PROMPT })] });
    expect(encoded.status).toBe(200);
    const enc = (await encoded.json()) as { payloads: { metadata: Record<string, string>; data: string }[] };
    expect(Buffer.from(enc.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('binary/encrypted');
    expect(Buffer.from(enc.payloads[0]!.data, 'base64').toString()).not.toContain('lighthouse');
    const decoded = await post('decode', enc);
    expect(decoded.status).toBe(200);
    const dec = (await decoded.json()) as typeof enc;
    expect(Buffer.from(dec.payloads[0]!.data, 'base64').toString()).toBe(JSON.stringify({ prompt: PROMPT }));
    expect(Buffer.from(dec.payloads[0]!.metadata.encoding!, 'base64').toString()).toBe('json/plain');
  });

  test('payloads the server cannot decrypt: a 400 that names the key id', async () => {
    const [other] = await new AesGcmPayloadCodec([{ id: 'elsewhere', key: new Uint8Array(randomBytes(32)) }]).encode([
      defaultPayloadConverter.toPayload(PROMPT),
    ]);
    const body = {
      payloads: [
        {
          metadata: Object.fromEntries(Object.entries(other!.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])),
          data: Buffer.from(other!.data!).toString('base64'),
        },
      ],
    };
    const res = await post('decode', body);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: string }).error).toMatch(/key id elsewhere, which this process does not have/);
    expect((await post('decode', { nope: 1 })).status).toBe(400);
  });

  test('authentication: no token or a wrong one is refused, before the body is read', async () => {
    const body = { payloads: [jsonPayload(PROMPT)] };
    const missing = await fetch(`${server.endpoint}/decode`, { method: 'POST', body: JSON.stringify(body) });
    expect(missing.status).toBe(401);
    expect(missing.headers.get('www-authenticate')).toBe('Bearer');
    expect((await post('encode', body, { authorization: `Bearer ${TOKEN}x` })).status).toBe(401);
    expect((await post('encode', body, { authorization: TOKEN })).status).toBe(401);
  });

  test('CORS: preflight from the UI origin allows the headers the UI sends; other origins get nothing', async () => {
    const preflight = await fetch(`${server.endpoint}/decode`, {
      method: 'OPTIONS',
      headers: {
        origin: UI,
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type,x-namespace',
      },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(UI);
    expect(preflight.headers.get('access-control-allow-methods')).toContain('POST');
    expect(preflight.headers.get('access-control-allow-headers')?.toLowerCase()).toBe('authorization, content-type, x-namespace');
    expect(preflight.headers.get('access-control-allow-credentials')).toBe('true');
    const fromUi = await post('decode', { payloads: [] }, { origin: UI });
    expect(fromUi.status).toBe(200);
    expect(fromUi.headers.get('access-control-allow-origin')).toBe(UI);
    const evil = await fetch(`${server.endpoint}/decode`, { method: 'OPTIONS', headers: { origin: 'https://evil.example' } });
    expect(evil.status).toBe(403);
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
    expect((await post('decode', { payloads: [] }, { origin: 'https://evil.example' })).status).toBe(403);
  });

  test('other paths and methods', async () => {
    expect((await fetch(`${server.endpoint}/decode`)).status).toBe(405);
    expect((await fetch(`${server.endpoint.replace(/\/codec$/, '')}/encode`, { method: 'POST' })).status).toBe(404);
    expect((await fetch(server.endpoint.replace(/\/codec$/, '/healthz'))).status).toBe(200);
  });
});

describe('codec server settings', () => {
  const keys = `k1:${Buffer.from(randomBytes(32)).toString('base64')}`;
  test('refuses to start without a token; the dev switch only on loopback', () => {
    const noToken = () => codecServerSettings(loadConfig({ SEEDANCE_CODEC_KEYS: keys }));
    expect(noToken).toThrow(ConfigError);
    expect(noToken).toThrow(/SEEDANCE_CODEC_SERVER_TOKEN: required/);
    expect(codecServerSettings(loadConfig({ SEEDANCE_CODEC_SERVER_INSECURE_NO_AUTH: 'true' }))).toMatchObject({
      host: '127.0.0.1',
      port: 8789,
      insecureNoAuth: true,
      origins: ['http://localhost:8233'],
    });
    expect(() =>
      codecServerSettings(loadConfig({ SEEDANCE_CODEC_SERVER_INSECURE_NO_AUTH: 'true', SEEDANCE_CODEC_SERVER_ADDRESS: '0.0.0.0:8789' })),
    ).toThrow(/only on a loopback address, not 0.0.0.0/);
    expect(
      codecServerSettings(loadConfig({ SEEDANCE_CODEC_SERVER_TOKEN: TOKEN, SEEDANCE_CODEC_SERVER_ADDRESS: '0.0.0.0:9000' })),
    ).toMatchObject({
      host: '0.0.0.0',
      port: 9000,
      token: TOKEN,
    });
  });

  test('configuration errors: short token (not echoed), bad origins', () => {
    expect(() => loadConfig({ SEEDANCE_CODEC_SERVER_TOKEN: 'short-secret' })).toThrow(
      /SEEDANCE_CODEC_SERVER_TOKEN: must be at least 32 characters$/m,
    );
    expect(() => loadConfig({ SEEDANCE_CODEC_SERVER_TOKEN: 'short-secret' })).not.toThrow(/short-secret/);
    expect(() => loadConfig({ SEEDANCE_CODEC_SERVER_ORIGINS: 'localhost:8233' })).toThrow(
      /SEEDANCE_CODEC_SERVER_ORIGINS: each origin must be scheme/,
    );
    expect(
      loadConfig({ SEEDANCE_CODEC_SERVER_ORIGINS: 'https://ui.example.com/, http://localhost:8080' }).SEEDANCE_CODEC_SERVER_ORIGINS,
    ).toEqual(['https://ui.example.com', 'http://localhost:8080']);
  });

  test('startCodecServer itself refuses to run without a token', async () => {
    await expect(startCodecServer({ codec, host: '127.0.0.1', port: 0, origins: [] })).rejects.toThrow(ConfigError);
  });
});

describe('seedance-flow codec-server', () => {
  const keys = `k1:${Buffer.from(randomBytes(32)).toString('base64')}`;
  test('refuses without keys or a token; with both it serves on the configured address until closed', async () => {
    const listeners = process.listenerCount('SIGTERM');
    await expect(codecServerCommand([], {})).rejects.toThrow(/SEEDANCE_CODEC_KEYS: the codec server needs the keys/);
    await expect(codecServerCommand([], { SEEDANCE_CODEC_KEYS: keys })).rejects.toThrow(/SEEDANCE_CODEC_SERVER_TOKEN: required/);
    await expect(codecServerCommand(['--port', '1'], {})).rejects.toThrow(UsageError);
    const log = jest.spyOn(console, 'log').mockImplementation(() => undefined);
    const running = await codecServerCommand([], {
      SEEDANCE_CODEC_KEYS: keys,
      SEEDANCE_CODEC_SERVER_TOKEN: TOKEN,
      SEEDANCE_CODEC_SERVER_ADDRESS: '127.0.0.1:0',
    });
    try {
      expect(log).toHaveBeenCalledWith(expect.stringMatching(/^codec server: http:\/\/127\.0\.0\.1:\d+\/codec/));
      const res = await fetch(`${running.endpoint}/decode`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}` },
        body: JSON.stringify({ payloads: [] }),
      });
      expect(await res.json()).toEqual({ payloads: [] });
    } finally {
      log.mockRestore();
      await running.close();
      expect(process.listenerCount('SIGTERM')).toBe(listeners);
    }
  });
});
