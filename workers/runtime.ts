/**
 * The process-wide Temporal runtime: structured logs and the Prometheus endpoint. Installed
 * once, before any connection is made.
 */
import { DefaultLogger, Runtime, makeTelemetryFilterString, type LogEntry } from '@temporalio/worker';
import type { Config } from '../common/config';

/** Replaces every occurrence of the secrets in a log line: keys never reach a log pipeline. */
export function redactor(secrets: (string | undefined)[]): (text: string) => string {
  const live = secrets.filter((s): s is string => typeof s === 'string' && s.length >= 6);
  return (text) => live.reduce((t, s) => t.split(s).join('[redacted]'), text);
}

export function formatLogEntry(entry: LogEntry, format: 'json' | 'text', redact: (t: string) => string): string {
  const time = new Date(Number(entry.timestampNanos / 1_000_000n)).toISOString();
  const meta = entry.meta ?? {};
  const line =
    format === 'json'
      ? JSON.stringify({ time, level: entry.level, message: entry.message, ...meta }, (_k, v: unknown) =>
          typeof v === 'bigint' ? v.toString() : v instanceof Error ? { name: v.name, message: v.message } : v,
        )
      : `${time} ${entry.level} ${entry.message}${Object.keys(meta).length ? ` ${JSON.stringify(meta, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))}` : ''}`;
  return redact(line);
}

export function installRuntime(config: Config): void {
  const redact = redactor([
    config.GPTPROTO_API_KEY,
    config.AWS_SECRET_ACCESS_KEY,
    config.TEMPORAL_API_KEY,
    ...(config.SEEDANCE_CALLBACK_SECRET ?? []),
    config.SEEDANCE_CODEC_SERVER_TOKEN,
    // The codec keys' base64 (SEEDANCE_CODEC_KEYS is `id:key,...`; ids stay readable).
    ...(config.SEEDANCE_CODEC_KEYS ?? '')
      .split(',')
      .map((entry) => entry.slice(entry.indexOf(':') + 1).trim())
      .filter((k) => k.length >= 16),
  ]);
  Runtime.install({
    logger: new DefaultLogger(config.SEEDANCE_LOG_LEVEL, (entry) => {
      process.stderr.write(`${formatLogEntry(entry, config.SEEDANCE_LOG_FORMAT, redact)}\n`);
    }),
    telemetryOptions: {
      logging: { forward: {}, filter: makeTelemetryFilterString({ core: 'WARN' }) },
      ...(config.SEEDANCE_METRICS_ADDRESS
        ? { metrics: { prometheus: { bindAddress: config.SEEDANCE_METRICS_ADDRESS }, globalTags: { service: 'seedance-flow' } } }
        : {}),
    },
  });
}
