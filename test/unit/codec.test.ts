/**
 * The payload codec (temporal/codec.ts): AES-256-GCM round trip, key rotation, tampering and
 * unknown keys fail clearly, and the key configuration is validated without echoing a key.
 */
import { randomBytes, webcrypto } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ConfigError, loadConfig } from '../../common/config';
import {
  AesGcmPayloadCodec,
  CodecDecryptError,
  CodecKeyMissingError,
  codecKeysFromConfig,
  createPayloadCodec,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  parseCodecKeys,
} from '../../temporal/codec';

const key = () => new Uint8Array(randomBytes(32));
const b64 = (k: Uint8Array) => Buffer.from(k).toString('base64');
const PROMPT = 'a secret lighthouse keeper at dawn, unreleased';
const payload = (): Payload => defaultPayloadConverter.toPayload({ prompt: PROMPT, n: 1 });
const text = (u: Uint8Array | null | undefined) => Buffer.from(u ?? new Uint8Array()).toString('utf8');

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('AesGcmPayloadCodec', () => {
  test('round trip: ciphertext hides the value; decode gives back the exact payload', async () => {
    const codec = new AesGcmPayloadCodec([{ id: 'k1', key: key() }]);
    const [encrypted] = await codec.encode([payload()]);
    expect(text(encrypted!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
    expect(text(encrypted!.metadata![KEY_ID_METADATA])).toBe('k1');
    expect(text(encrypted!.data)).not.toContain('lighthouse');
    expect(Object.keys(encrypted!.metadata!)).toEqual(['encoding', KEY_ID_METADATA]);
    const [decoded] = await codec.decode([encrypted!]);
    expect(defaultPayloadConverter.fromPayload(decoded!)).toEqual({ prompt: PROMPT, n: 1 });
    // A fresh IV each time: the same value never encrypts to the same bytes.
    const [again] = await codec.encode([payload()]);
    expect(Buffer.from(again!.data!).equals(Buffer.from(encrypted!.data!))).toBe(false);
  });

  test("the samples' byte layout: WebCrypto AES-GCM (nonce 12 bytes, then ciphertext and tag) reads it, as their codecs do", async () => {
    const raw = key();
    const [enc] = await new AesGcmPayloadCodec([{ id: 'k1', key: raw }]).encode([payload()]);
    const data = enc!.data!;
    const cryptoKey = await webcrypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['decrypt']);
    const plain = await webcrypto.subtle.decrypt({ name: 'AES-GCM', iv: data.subarray(0, 12) }, cryptoKey, data.subarray(12));
    const inner = temporal.api.common.v1.Payload.decode(new Uint8Array(plain));
    expect(defaultPayloadConverter.fromPayload(inner as Payload)).toEqual({ prompt: PROMPT, n: 1 });
  });

  test('payloads that are not encrypted pass through decode (histories from before encryption)', async () => {
    const codec = new AesGcmPayloadCodec([{ id: 'k1', key: key() }]);
    const plain = payload();
    expect(await codec.decode([plain])).toEqual([plain]);
  });

  test('rotation: the first key encrypts, older keys still decrypt', async () => {
    const oldKey = { id: 'old', key: key() };
    const newKey = { id: 'new', key: key() };
    const before = new AesGcmPayloadCodec([oldKey]);
    const [old] = await before.encode([payload()]);
    const rotated = new AesGcmPayloadCodec([newKey, oldKey]);
    expect(rotated.keyId).toBe('new');
    const [fresh] = await rotated.encode([payload()]);
    expect(text(fresh!.metadata![KEY_ID_METADATA])).toBe('new');
    const decoded = await rotated.decode([old!, fresh!]);
    expect(decoded.map((p) => defaultPayloadConverter.fromPayload(p))).toEqual([
      { prompt: PROMPT, n: 1 },
      { prompt: PROMPT, n: 1 },
    ]);
    // Once the old key is dropped, its payloads fail clearly.
    await expect(new AesGcmPayloadCodec([newKey]).decode([old!])).rejects.toThrow(CodecKeyMissingError);
  });

  test('tampered ciphertext, a payload relabelled with another key id, or a different key under the same id fail', async () => {
    const k1 = { id: 'k1', key: key() };
    const codec = new AesGcmPayloadCodec([k1, { id: 'k2', key: key() }]);
    const [enc] = await codec.encode([payload()]);
    const flipped = new Uint8Array(enc!.data!);
    flipped[20] = flipped[20]! ^ 1;
    await expect(codec.decode([{ ...enc!, data: flipped }])).rejects.toThrow(CodecDecryptError);
    const relabelled = { ...enc!, metadata: { ...enc!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } };
    await expect(codec.decode([relabelled])).rejects.toThrow(/key id k2 could not be decrypted: it was altered/);
    await expect(codec.decode([{ ...enc!, data: new Uint8Array(5) }])).rejects.toThrow(CodecDecryptError);
    await expect(new AesGcmPayloadCodec([{ id: 'k1', key: key() }]).decode([enc!])).rejects.toThrow(CodecDecryptError);
  });

  test('an unknown key id fails with a message that says what to configure', async () => {
    const [enc] = await new AesGcmPayloadCodec([{ id: 'team-2026', key: key() }]).encode([payload()]);
    await expect(new AesGcmPayloadCodec([{ id: 'other', key: key() }]).decode([enc!])).rejects.toThrow(
      'payload encrypted with key id team-2026, which this process does not have; configure SEEDANCE_CODEC_KEYS',
    );
  });
});

describe('codec keys from configuration', () => {
  const k1 = key();
  const k2 = key();

  test('id:base64key pairs, comma-separated; url-safe base64 too', () => {
    const keys = parseCodecKeys(`k1:${b64(k1)}, k2:${Buffer.from(k2).toString('base64url')}`);
    expect(keys.map((k) => k.id)).toEqual(['k1', 'k2']);
    expect(Buffer.from(keys[1]!.key).equals(Buffer.from(k2))).toBe(true);
  });

  test('every problem at once, never a key', () => {
    const short = b64(new Uint8Array(16));
    const err = configError(() => parseCodecKeys(`k1:${short},k1:${b64(k1)},bad id:${b64(k2)}`));
    expect(err.problems).toEqual([
      'SEEDANCE_CODEC_KEYS: key k1 is 16 bytes; AES-256 needs exactly 32 (openssl rand -base64 32)',
      'SEEDANCE_CODEC_KEYS: key id k1 is listed twice; ids must be unique',
      'SEEDANCE_CODEC_KEYS: key id "bad id" must be 1-64 letters, digits, . _ -',
    ]);
    expect(err.message).not.toContain(b64(k1));
    expect(configError(() => parseCodecKeys(`${b64(k1)}`)).problems).toEqual(['SEEDANCE_CODEC_KEYS: entry 1 is not id:base64key']);
    expect(configError(() => parseCodecKeys('k1:not*base64!')).problems).toEqual(['SEEDANCE_CODEC_KEYS: key "k1" is not base64']);
    expect(configError(() => parseCodecKeys(' , ')).problems).toEqual(['SEEDANCE_CODEC_KEYS: give at least one key, as id:base64key']);
  });

  test('a key file: lines or commas, comments; not both sources; unreadable file named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'codec-keys-'));
    const file = join(dir, 'keys');
    writeFileSync(file, `# rotated 2026-12\nnew:${b64(k2)}\nold:${b64(k1)} # drop after 2027-01\n`);
    const keys = codecKeysFromConfig(loadConfig({ SEEDANCE_CODEC_KEYS_FILE: file }));
    expect(keys?.map((k) => k.id)).toEqual(['new', 'old']);
    expect(createPayloadCodec(loadConfig({ SEEDANCE_CODEC_KEYS_FILE: file }))?.keyId).toBe('new');
    expect(
      configError(() => codecKeysFromConfig(loadConfig({ SEEDANCE_CODEC_KEYS_FILE: file, SEEDANCE_CODEC_KEYS: `a:${b64(k1)}` }))).message,
    ).toMatch(/either SEEDANCE_CODEC_KEYS or SEEDANCE_CODEC_KEYS_FILE, not both/);
    expect(configError(() => codecKeysFromConfig(loadConfig({ SEEDANCE_CODEC_KEYS_FILE: join(dir, 'missing') }))).problems[0]).toMatch(
      /^SEEDANCE_CODEC_KEYS_FILE: cannot read .*missing: ENOENT$/,
    );
    writeFileSync(file, 'k:short');
    expect(configError(() => codecKeysFromConfig(loadConfig({ SEEDANCE_CODEC_KEYS_FILE: file }))).problems[0]).toMatch(
      /^SEEDANCE_CODEC_KEYS_FILE: key k is 3 bytes/,
    );
  });

  test('unset: encryption off', () => {
    expect(createPayloadCodec(loadConfig({}))).toBeUndefined();
  });
});
