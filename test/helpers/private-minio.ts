/**
 * A MinIO of a test's own, so the test can pause (SIGSTOP), kill and restart S3 under a
 * running worker without disturbing the shared MinIO every other test file uses. It runs the
 * binary scripts/infra.sh built (MINIO_CLI_PATH) with the shared server's credentials, so the
 * usual AWS_* environment works against either; only the endpoint differs.
 */
import { CreateBucketCommand, S3ServiceException } from '@aws-sdk/client-s3';
import { createS3Client } from '../../storage/s3';
import { freePort, killServer, makeTempDir, requireEnv, spawnServer, waitServerReady, type ServerChild } from './spawned-server';

/** Bounded waits: MinIO is normally live in well under a second. */
const READY_TIMEOUT_MS = 30_000;
const BUCKET_TIMEOUT_MS = 10_000;

export interface PrivateMinio {
  /** `http://127.0.0.1:<port>`: use as AWS_ENDPOINT_URL_S3. */
  endpoint: string;
  port: number;
  /** Created at start; survives kill()/start() (same data dir). */
  bucket: string;
  /** The server's pid, or undefined while it is not running. */
  pid(): number | undefined;
  /** SIGSTOP: connections stay open and nothing is answered, as a hung server behaves. */
  pause(): void;
  /** SIGCONT after pause(). */
  resume(): void;
  /** SIGKILL; resolves once the process has exited. */
  kill(): Promise<void>;
  /** Starts it again on the same port and data dir; resolves once it is healthy. */
  start(): Promise<void>;
  /** Kills it and removes its data dir. Idempotent. */
  stop(): Promise<void>;
}

export async function startPrivateMinio(opts: { bucket?: string } = {}): Promise<PrivateMinio> {
  const binary = requireEnv('MINIO_CLI_PATH');
  // The same credentials as the shared MinIO (from .infra/env), so S3 clients built from the
  // environment sign requests this server accepts.
  const user = requireEnv('AWS_ACCESS_KEY_ID');
  const password = requireEnv('AWS_SECRET_ACCESS_KEY');
  const bucket = opts.bucket ?? process.env.S3_BUCKET ?? 'seedance-flow';
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const temp = makeTempDir('sf-minio-');
  const dataDir = temp.dir;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    MINIO_ROOT_USER: user,
    MINIO_ROOT_PASSWORD: password,
    // No update checks (offline machines, CI) and no web console: one port is all we need,
    // and a console port picked at random could clash with another test's port.
    MINIO_UPDATE: 'off',
    MINIO_BROWSER: 'off',
  };

  let server: ServerChild | undefined;
  let stopping: Promise<void> | undefined;

  const launch = async (): Promise<void> => {
    if (stopping) throw new Error('private MinIO was stopped');
    if (server?.alive()) throw new Error(`private MinIO is already running (pid ${server.child.pid})`);
    const started = spawnServer(binary, ['server', dataDir, '--address', `127.0.0.1:${port}`], env);
    server = started;
    await waitServerReady(
      `private MinIO on ${endpoint}`,
      started,
      async () => (await fetch(`${endpoint}/minio/health/live`, { signal: AbortSignal.timeout(1000) })).status === 200,
      READY_TIMEOUT_MS,
    );
  };

  const kill = async (): Promise<void> => {
    if (server) await killServer(server);
  };

  const signal = (sig: 'SIGSTOP' | 'SIGCONT'): void => {
    if (!server?.alive()) throw new Error(`private MinIO is not running (${sig})`);
    server.child.kill(sig);
  };

  const handle: PrivateMinio = {
    endpoint,
    port,
    bucket,
    pid: () => (server?.alive() ? server.child.pid : undefined),
    pause: () => signal('SIGSTOP'),
    resume: () => signal('SIGCONT'),
    kill,
    start: launch,
    stop: () =>
      (stopping ??= (async () => {
        // killServer sends SIGCONT before SIGKILL, so a paused server goes as well.
        await kill();
        temp.remove();
      })()),
  };

  try {
    await launch();
    await createBucket(endpoint, bucket);
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

/**
 * Creates the bucket. Right after /minio/health/live answers, MinIO can still refuse
 * requests with 503 (XMinioServerNotInitialized) for a moment, so retry briefly.
 */
async function createBucket(endpoint: string, bucket: string): Promise<void> {
  const s3 = createS3Client({ endpoint });
  const deadline = Date.now() + BUCKET_TIMEOUT_MS;
  try {
    for (;;) {
      try {
        await s3.send(new CreateBucketCommand({ Bucket: bucket }));
        return;
      } catch (err) {
        if (err instanceof S3ServiceException && err.name === 'BucketAlreadyOwnedByYou') return;
        const retriable = err instanceof S3ServiceException ? err.$metadata.httpStatusCode === 503 : true;
        if (!retriable || Date.now() > deadline) throw err;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  } finally {
    s3.destroy();
  }
}
