import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { temporalTarget } from '../../temporal/connection';
import { loadConfig } from '../../common/config';
import { formatLogEntry, redactor } from '../../workers/runtime';

const none = { TEMPORAL_CONFIG_FILE: '/nonexistent/temporal.toml' };

describe('connecting to any Temporal', () => {
  test('defaults: our validated address and namespace, no TLS', () => {
    const t = temporalTarget(loadConfig({}), none);
    expect(t).toEqual({ connectionOptions: { address: 'localhost:7233' }, namespace: 'default' });
  });

  test('Temporal Cloud: an API key turns TLS on', () => {
    const env = { ...none, TEMPORAL_ADDRESS: 'ns.acct.tmprl.cloud:7233', TEMPORAL_NAMESPACE: 'ns.acct', TEMPORAL_API_KEY: 'tcld-key' };
    const t = temporalTarget(loadConfig(env), env);
    expect(t).toMatchObject({
      namespace: 'ns.acct',
      connectionOptions: { address: 'ns.acct.tmprl.cloud:7233', apiKey: 'tcld-key', tls: true },
    });
  });

  test('mTLS from certificate and key files', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-tls-'));
    writeFileSync(path.join(dir, 'client.pem'), 'CERT');
    writeFileSync(path.join(dir, 'client.key'), 'KEY');
    const env = {
      ...none,
      TEMPORAL_ADDRESS: 'temporal.internal:7233',
      TEMPORAL_TLS_CLIENT_CERT_PATH: path.join(dir, 'client.pem'),
      TEMPORAL_TLS_CLIENT_KEY_PATH: path.join(dir, 'client.key'),
    };
    const tls = temporalTarget(loadConfig(env), env).connectionOptions.tls as { clientCertPair?: { crt: Uint8Array; key: Uint8Array } };
    expect(Buffer.from(tls.clientCertPair?.crt ?? []).toString()).toBe('CERT');
    expect(Buffer.from(tls.clientCertPair?.key ?? []).toString()).toBe('KEY');
  });

  test('a profile from a TOML config file, overridden by the environment', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-profile-'));
    const file = path.join(dir, 'temporal.toml');
    writeFileSync(file, '[profile.prod]\naddress = "prod.example:7233"\nnamespace = "renders"\n');
    const env = { TEMPORAL_CONFIG_FILE: file, TEMPORAL_PROFILE: 'prod' };
    expect(temporalTarget(loadConfig({}), env)).toMatchObject({
      namespace: 'renders',
      connectionOptions: { address: 'prod.example:7233' },
    });
    expect(temporalTarget(loadConfig({}), { ...env, TEMPORAL_NAMESPACE: 'other' }).namespace).toBe('other');
  });
});

describe('structured logs', () => {
  test('one JSON object per line with the context, secrets redacted', () => {
    const redact = redactor(['sk-super-secret-key', undefined, '']);
    const line = formatLogEntry(
      {
        level: 'INFO',
        message: 'task submitted',
        timestampNanos: 1_700_000_000_000_000_000n,
        meta: { workflowId: 'b/s1', taskId: 'cgt-1', note: 'key sk-super-secret-key' },
      },
      'json',
      redact,
    );
    const obj = JSON.parse(line);
    expect(obj).toMatchObject({
      level: 'INFO',
      message: 'task submitted',
      workflowId: 'b/s1',
      taskId: 'cgt-1',
      time: '2023-11-14T22:13:20.000Z',
    });
    expect(line).not.toContain('sk-super-secret-key');
    expect(obj.note).toBe('key [redacted]');
  });
});
