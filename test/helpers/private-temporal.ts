/**
 * A Temporal dev server of a test's own, so the test can SIGKILL and restart Temporal under
 * running workers without disturbing the shared server every other test file uses. It is
 * started like scripts/infra.sh starts the shared one (SQLite file, WAL, our search
 * attributes), so a restart keeps every workflow and its history.
 */
import { Connection } from '@temporalio/client';
import path from 'node:path';
import { freePort, killServer, makeTempDir, requireEnv, spawnServer, waitServerReady, type ServerChild } from './spawned-server';

/** Bounded wait: a fresh dev server answers in about a second, a restart on a big db later. */
const READY_TIMEOUT_MS = 60_000;

export interface PrivateTemporal {
  /** `127.0.0.1:<port>`: use as TEMPORAL_ADDRESS. Namespace `default`. */
  address: string;
  /** The server's pid, or undefined while it is not running. */
  pid(): number | undefined;
  /** SIGKILLs the server, starts it again on the same port and db file, waits until ready. */
  restart(): Promise<void>;
  /** Kills the server and removes its db. Idempotent. */
  stop(): Promise<void>;
}

export async function startPrivateTemporal(): Promise<PrivateTemporal> {
  const binary = requireEnv('TEMPORAL_CLI_PATH');
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const temp = makeTempDir('sf-temporal-');
  const dir = temp.dir;
  const args = [
    'server',
    'start-dev',
    '--headless', // no UI: no UI port to clash with another test's
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    // --http-port and --metrics-port are left out on purpose: the CLI then picks free ports
    // itself at every start, which a restart cannot trip over (fixed ports could have been
    // taken by someone else while the server was down).
    '--db-filename',
    path.join(dir, 'temporal.db'),
    // Registered at every start; the CLI accepts them again on an existing db file.
    '--search-attribute',
    'StoryboardId=Keyword',
    '--search-attribute',
    'ShotId=Keyword',
    // As scripts/infra.sh: WAL instead of fsync per transaction (see TEMPORAL_SQLITE_PRAGMAS).
    '--sqlite-pragma',
    'journal_mode=wal',
    '--sqlite-pragma',
    'synchronous=normal',
    '--log-level',
    'error',
  ];
  // Its own minimal environment: a TEMPORAL_* variable of ours (address, namespace, TLS)
  // must not configure the server.
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME };

  let server: ServerChild | undefined;
  let stopping: Promise<void> | undefined;

  const launch = async (): Promise<void> => {
    if (stopping) throw new Error('private Temporal was stopped');
    const started = spawnServer(binary, args, env);
    server = started;
    await waitServerReady(`private Temporal on ${address}`, started, () => answers(address), READY_TIMEOUT_MS, 200);
  };

  const handle: PrivateTemporal = {
    address,
    pid: () => (server?.alive() ? server.child.pid : undefined),
    restart: async () => {
      if (server) await killServer(server);
      await launch();
    },
    stop: () =>
      (stopping ??= (async () => {
        if (server) await killServer(server);
        temp.remove();
      })()),
  };

  try {
    await launch();
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

/**
 * Ready = a client can connect and the frontend answers GetSystemInfo. Each attempt has its
 * own short timeouts so that a server still starting costs one quick retry, not a hang.
 */
async function answers(address: string): Promise<boolean> {
  const connection = await Connection.connect({ address, connectTimeout: 2000 });
  try {
    await connection.withDeadline(Date.now() + 2000, () => connection.workflowService.getSystemInfo({}));
    return true;
  } finally {
    await connection.close();
  }
}
