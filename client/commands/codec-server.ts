/**
 * `seedance-flow codec-server`: serves the payload codec (temporal/codec.ts) over HTTP for the
 * Temporal UI and the `temporal` CLI (temporal/codec-server.ts), until SIGINT/SIGTERM.
 */
import { ConfigError, loadConfig } from '../../common/config';
import { startCodecServer, codecServerSettings, type CodecServer } from '../../temporal/codec-server';
import { createPayloadCodec } from '../../temporal/codec';
import { UsageError } from '../usage-error';

/**
 * Starts the codec server from the environment and prints its endpoint; resolves once it
 * listens (the open server keeps the process alive; a signal closes it).
 * @throws {ConfigError} no keys, no token (without the dev switch), a bad address.
 */
export async function codecServerCommand(args: string[], env: Record<string, string | undefined> = process.env): Promise<CodecServer> {
  if (args.length)
    throw new UsageError(`codec-server takes no arguments (configuration: SEEDANCE_CODEC_*), got ${JSON.stringify(args[0])}`);
  const config = loadConfig(env);
  const codec = createPayloadCodec(config);
  if (!codec) throw new ConfigError(['SEEDANCE_CODEC_KEYS: the codec server needs the keys (or SEEDANCE_CODEC_KEYS_FILE)']);
  const settings = codecServerSettings(config);
  const server = await startCodecServer({ codec, ...settings });
  console.log(`codec server: ${server.endpoint} (allowed origins: ${settings.origins.join(', ') || 'none'})`);
  if (settings.insecureNoAuth)
    console.log('codec server: WITHOUT authentication (SEEDANCE_CODEC_SERVER_INSECURE_NO_AUTH): local development only');
  const close = () => {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
    return server.close();
  };
  const stop = () => void close();
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  return { endpoint: server.endpoint, close };
}
