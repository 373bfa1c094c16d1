/**
 * Payload encryption: a Temporal payload codec (AES-256-GCM, node:crypto) so a storyboard's
 * prompts, and every other workflow input, result, signal, query answer, memo and heartbeat,
 * reach the Temporal server, and every history it keeps, as ciphertext. After the
 * temporalio/samples-typescript `encryption` sample: the whole Payload (metadata and data) is
 * serialized with Temporal's protobuf and encrypted; the result says `encoding: binary/encrypted`
 * and names its key in `encryption-key-id`, so keys rotate: the first key encrypts, every listed
 * key decrypts. The bytes are the samples' layout (12-byte nonce, ciphertext, 16-byte tag, no
 * additional data), so their codecs in other languages read our payloads with the same key.
 *
 * Codecs run outside the workflow sandbox (in the worker and the client, around the data
 * converter), so workflows see plain values. What stays readable: search attributes, workflow
 * ids and types, activity types, task queues, timers, and failure messages and stack traces
 * (we do not set `encodeCommonAttributes`; see README "Payload encryption").
 *
 * In `temporal/` because it belongs to every connection this room makes (connection.ts).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { DataConverter, Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { ConfigError, type Config } from '../common/config';

/** `encoding` metadata of an encrypted payload (the samples' value, so other tools recognise it). */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key a payload was encrypted with. */
export const KEY_ID_METADATA = 'encryption-key-id';

const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
const KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;

/** One key of the codec: its id travels in every payload it encrypts. */
export interface CodecKey {
  id: string;
  /** 32 bytes. */
  key: Uint8Array;
}

/** A payload names a key this process was not given. */
export class CodecKeyMissingError extends Error {
  override readonly name = 'CodecKeyMissingError';
  constructor(readonly keyId: string) {
    super(
      `payload encrypted with key id ${keyId}, which this process does not have; configure SEEDANCE_CODEC_KEYS (or SEEDANCE_CODEC_KEYS_FILE) with that key`,
    );
  }
}

/** A payload that cannot be decrypted with the key it names: altered, or a different key under the same id. */
export class CodecDecryptError extends Error {
  override readonly name = 'CodecDecryptError';
  constructor(readonly keyId: string) {
    super(
      `payload encrypted with key id ${keyId} could not be decrypted: it was altered, or this process has a different key under that id`,
    );
  }
}

const text = new TextEncoder();
const utf8 = new TextDecoder();

/**
 * AES-256-GCM payload codec with key rotation: `keys[0]` encrypts, every key decrypts.
 * Payloads that are not encrypted pass through `decode` unchanged (histories from before
 * encryption was switched on stay readable).
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly encryptWith: CodecKey;
  private readonly byId: ReadonlyMap<string, Uint8Array>;

  constructor(keys: readonly CodecKey[]) {
    const problems = checkKeys(keys);
    if (problems.length) throw new ConfigError(problems);
    this.encryptWith = keys[0] as CodecKey;
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  /** The id of the key new payloads are encrypted with. */
  get keyId(): string {
    return this.encryptWith.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.encryptWith.key, iv);
      const body = Buffer.concat([cipher.update(plain), cipher.final()]);
      return {
        metadata: { encoding: text.encode(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: text.encode(this.encryptWith.id) },
        data: new Uint8Array(Buffer.concat([iv, body, cipher.getAuthTag()])),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding;
      if (!encoding || utf8.decode(encoding) !== ENCRYPTED_ENCODING) return payload;
      const idBytes = payload.metadata?.[KEY_ID_METADATA];
      const keyId = idBytes ? utf8.decode(idBytes) : '(none)';
      const key = this.byId.get(keyId);
      if (!key) throw new CodecKeyMissingError(keyId);
      const data = payload.data ?? new Uint8Array();
      if (data.length < IV_BYTES + TAG_BYTES) throw new CodecDecryptError(keyId);
      try {
        const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
        decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
        const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
        return temporal.api.common.v1.Payload.decode(plain) as Payload;
      } catch {
        throw new CodecDecryptError(keyId);
      }
    });
  }
}

/** Problems with a key list, as configuration messages (never echoing a key). */
function checkKeys(keys: readonly CodecKey[]): string[] {
  const problems: string[] = [];
  if (keys.length === 0) problems.push('SEEDANCE_CODEC_KEYS: give at least one key, as id:base64key');
  const seen = new Set<string>();
  for (const k of keys) {
    if (!KEY_ID.test(k.id))
      problems.push(`SEEDANCE_CODEC_KEYS: key id ${JSON.stringify(k.id.slice(0, 80))} must be 1-64 letters, digits, . _ -`);
    if (k.key.length !== KEY_BYTES)
      problems.push(`SEEDANCE_CODEC_KEYS: key ${k.id} is ${k.key.length} bytes; AES-256 needs exactly 32 (openssl rand -base64 32)`);
    if (seen.has(k.id)) problems.push(`SEEDANCE_CODEC_KEYS: key id ${k.id} is listed twice; ids must be unique`);
    seen.add(k.id);
  }
  return problems;
}

/**
 * Parses `id:base64key` pairs, separated by commas or new lines (`#` starts a comment), as
 * SEEDANCE_CODEC_KEYS and the key file hold them.
 * @throws {ConfigError} naming every problem (malformed pair, bad base64, wrong length,
 * duplicate id), never a key.
 */
export function parseCodecKeys(source: string, variable = 'SEEDANCE_CODEC_KEYS'): CodecKey[] {
  const problems: string[] = [];
  const keys: CodecKey[] = [];
  const entries = source
    .split(/\r?\n/)
    .map((line) => line.replace(/#.*$/, ''))
    .join(',')
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  entries.forEach((entry, i) => {
    const colon = entry.indexOf(':');
    if (colon <= 0) {
      problems.push(`${variable}: entry ${i + 1} is not id:base64key`);
      return;
    }
    const id = entry.slice(0, colon).trim();
    const encoded = entry.slice(colon + 1).trim();
    const standard = encoded.replace(/-/g, '+').replace(/_/g, '/');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(standard)) {
      problems.push(`${variable}: key ${JSON.stringify(id.slice(0, 80))} is not base64`);
      return;
    }
    keys.push({ id, key: new Uint8Array(Buffer.from(standard, 'base64')) });
  });
  if (problems.length === 0) problems.push(...checkKeys(keys).map((p) => p.replace(/^SEEDANCE_CODEC_KEYS/, variable)));
  if (problems.length) throw new ConfigError(problems);
  return keys;
}

/**
 * The keys the configuration names: SEEDANCE_CODEC_KEYS, or the file SEEDANCE_CODEC_KEYS_FILE;
 * undefined when neither is set (encryption off).
 * @throws {ConfigError} both set, an unreadable file, or a bad key list.
 */
export function codecKeysFromConfig(config: Pick<Config, 'SEEDANCE_CODEC_KEYS' | 'SEEDANCE_CODEC_KEYS_FILE'>): CodecKey[] | undefined {
  const inline = config.SEEDANCE_CODEC_KEYS;
  const file = config.SEEDANCE_CODEC_KEYS_FILE;
  if (inline && file)
    throw new ConfigError(['SEEDANCE_CODEC_KEYS_FILE: set either SEEDANCE_CODEC_KEYS or SEEDANCE_CODEC_KEYS_FILE, not both']);
  if (inline) return parseCodecKeys(inline);
  if (!file) return undefined;
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError([`SEEDANCE_CODEC_KEYS_FILE: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`]);
  }
  return parseCodecKeys(content, 'SEEDANCE_CODEC_KEYS_FILE');
}

/**
 * The payload codec the configuration asks for, or undefined when encryption is off.
 * @example
 * ```ts
 * import { Client, Connection } from '@temporalio/client';
 * import { createPayloadCodec, loadConfig } from 'seedance-flow';
 *
 * const codec = createPayloadCodec(loadConfig(process.env)); // SEEDANCE_CODEC_KEYS
 * const client = new Client({
 *   connection: await Connection.connect({ address: 'localhost:7233' }),
 *   ...(codec ? { dataConverter: { payloadCodecs: [codec] } } : {}),
 * });
 * ```
 */
export function createPayloadCodec(
  config: Pick<Config, 'SEEDANCE_CODEC_KEYS' | 'SEEDANCE_CODEC_KEYS_FILE'>,
): AesGcmPayloadCodec | undefined {
  const keys = codecKeysFromConfig(config);
  return keys ? new AesGcmPayloadCodec(keys) : undefined;
}

/** `{ payloadCodecs: [codec] }` when encryption is configured, else undefined: for Client and Worker options. */
export function dataConverterFromConfig(
  config: Pick<Config, 'SEEDANCE_CODEC_KEYS' | 'SEEDANCE_CODEC_KEYS_FILE'>,
): DataConverter | undefined {
  const codec = createPayloadCodec(config);
  return codec ? { payloadCodecs: [codec] } : undefined;
}
