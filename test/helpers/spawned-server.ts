/**
 * Plumbing shared by the private servers tests start for themselves (private-minio.ts,
 * private-temporal.ts, s3-proxy.ts): free loopback ports, a server binary run as a child
 * process whose output is kept for error messages, bounded readiness waits, and a kill that
 * resolves only once the process is really gone.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/**
 * A free TCP port on 127.0.0.1. The port is only reserved loosely: after picking it, we
 * connect to it and close the accepted side first, which leaves that side in TIME_WAIT. Linux
 * then does not hand the port out again to other bind(0) callers (the Temporal dev server
 * picks its internal ports that way, concurrently with us) for about a minute, while an
 * explicit bind still succeeds because Node, Go and MinIO all listen with SO_REUSEADDR. The
 * same trick as temporalio/cli's devserver.GetFreePort.
 */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('could not read the port of a listening socket');
  const { port } = address;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('connection', (accepted: net.Socket) => {
        // The accepted side closes first, so it is the side that keeps the TIME_WAIT.
        accepted.destroy();
        resolve();
      });
      const client = net.connect(port, '127.0.0.1');
      // Only the first error matters (rejecting a settled promise is a no-op); later ones
      // must not become unhandled 'error' events.
      client.on('error', reject);
      // Our side closes after the peer's FIN, so it does not enter TIME_WAIT itself.
      client.on('end', () => client.destroy());
    });
  } catch {
    // The reservation is an optimization only; the port itself is still fine.
  }
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** How a process ended. */
export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A server binary running as our child. */
export interface ServerChild {
  child: ChildProcess;
  /** Resolves when the process has exited (never rejects). */
  exited: Promise<Exit>;
  /** True until the process has exited. */
  alive(): boolean;
  /** The last 64 KiB of its stdout and stderr, interleaved, for error messages. */
  output(): string;
}

const OUTPUT_LIMIT = 64 * 1024;

// Children still running when the test process exits (a crashed test, a forgotten stop())
// would outlive it and keep ports busy, and their temp dirs would pile up. 'exit' handlers
// must be synchronous; process.kill and rmSync are.
const live = new Set<ChildProcess>();
const tempDirs = new Set<string>();
let exitHookInstalled = false;
function cleanUpOnExit(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGCONT'); // SIGKILL ends a stopped process too; this is belt and braces
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
    for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** A fresh temp dir, removed by `remove()` or, failing that, when the test process exits. */
export function makeTempDir(prefix: string): { dir: string; remove(): void } {
  cleanUpOnExit();
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  tempDirs.add(dir);
  return {
    dir,
    remove: () => {
      rmSync(dir, { recursive: true, force: true });
      tempDirs.delete(dir);
    },
  };
}

/** Starts `command args` with `env` (not merged with ours: pass what it needs). */
export function spawnServer(command: string, args: string[], env: NodeJS.ProcessEnv): ServerChild {
  cleanUpOnExit();
  const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const keep = (d: Buffer) => {
    out += d.toString();
    if (out.length > OUTPUT_LIMIT) out = out.slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  let done = false;
  live.add(child);
  const exited = new Promise<Exit>((resolve) => {
    // 'error' covers a binary that could not be spawned at all (ENOENT, EACCES): no 'exit'
    // follows, so it has to settle the promise too.
    child.once('error', (err) => {
      keep(Buffer.from(`\n[spawn error] ${err.message}\n`));
      if (child.pid === undefined) {
        done = true;
        live.delete(child);
        resolve({ code: null, signal: null });
      }
    });
    child.once('exit', (code, signal) => {
      done = true;
      live.delete(child);
      resolve({ code, signal });
    });
  });
  return { child, exited, alive: () => !done, output: () => out };
}

/** SIGKILLs the process (resuming it first in case it was SIGSTOPped) and waits for its exit. */
export async function killServer(server: ServerChild): Promise<Exit> {
  if (server.alive()) {
    try {
      server.child.kill('SIGCONT');
      server.child.kill('SIGKILL');
    } catch {
      // exited between the check and the signal
    }
  }
  return server.exited;
}

/**
 * Polls `probe` until it returns true, at most `timeoutMs`; fails early, with the server's
 * output, if the process exits meanwhile (a port clash or a bad flag would otherwise only
 * show up as a timeout).
 */
export async function waitServerReady(
  what: string,
  server: ServerChild,
  probe: () => Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<void> {
  const started = Date.now();
  let lastError = '';
  for (;;) {
    if (!server.alive()) {
      const { code, signal } = await server.exited;
      throw new Error(`${what} exited during startup (code ${code}, signal ${signal}); output:\n${server.output()}`);
    }
    try {
      if (await probe()) return;
    } catch (err) {
      lastError = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `${what} was not ready within ${timeoutMs} ms${lastError ? ` (last error: ${lastError})` : ''}; output:\n${server.output()}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** The environment variable, or a clear error telling how to get it set. */
export function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    throw new Error(`${name} is not set: run the integration tests through \`npm test\` (scripts/test.sh sources .infra/env)`);
  }
  return value;
}
