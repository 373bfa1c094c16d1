/**
 * Worker processes split by role, as teams deploy them: each process runs one role of
 * SEEDANCE_WORKER_ROLES (`workflows`, `provider`, `copy`, `callbacks`), some roles in two
 * replicas. A test kills any of them (test/helpers/chaos.ts) and respawns a process of the
 * same role, so the fleet keeps its shape through the chaos.
 *
 * The `callbacks` role is the HTTP receiver of provider callbacks: its address is fixed for
 * the fleet's lifetime (every submit carries it), so a respawned receiver binds the same port.
 */
import { randomUUID } from 'node:crypto';
import { freePort } from './harness';
import { spawnWorker, type WorkerProcess } from './worker-process';

/** How long a respawn keeps trying while Temporal is unreachable (a server restart takes seconds). */
const RESPAWN_TIMEOUT_MS = 120_000;

export type Role = 'workflows' | 'provider' | 'copy' | 'callbacks';

export interface FleetOptions {
  /** How many processes of each role; a role left out gets none. */
  replicas: Partial<Record<Role, number>>;
  /** The environment every process shares (queue, provider, storage, Temporal address). */
  env: () => Record<string, string | undefined>;
  /** Safety poll of a callback-watched task (SEEDANCE_CALLBACK_POLL_INITIAL_MS), default 5 s. */
  callbackSafetyPollMs?: number;
}

export interface Fleet {
  /** Every live-or-dying process, read at each kill by the killer. */
  all(): WorkerProcess[];
  roleOf(w: WorkerProcess): Role;
  /** Starts a process of the killed one's role in its place; resolves once it polls. */
  respawn(killed: WorkerProcess): Promise<WorkerProcess>;
  /** Count of processes started so far (first ones and respawns), by role. */
  started(): Record<Role, number>;
  /** The callback variables the fleet's workers carry (empty without a `callbacks` process). */
  callbackEnv: Record<string, string>;
  /** SIGKILLs every process and waits for their exits. */
  stop(): Promise<void>;
}

export async function startFleet(opts: FleetOptions): Promise<Fleet> {
  // One receiver address per fleet: two receivers would need two ports, and a submit names one.
  if ((opts.replicas.callbacks ?? 0) > 1) throw new RangeError('a fleet runs at most one callbacks process');
  const processes: WorkerProcess[] = [];
  const roles = new Map<WorkerProcess, Role>();
  const started: Record<Role, number> = { workflows: 0, provider: 0, copy: 0, callbacks: 0 };
  const receiverPort = opts.replicas.callbacks ? await freePort() : undefined;
  const safety = String(opts.callbackSafetyPollMs ?? 5_000);
  const callbackEnv: Record<string, string> =
    receiverPort === undefined
      ? {}
      : {
          // http on loopback: allowed only because test workers set SEEDANCE_ALLOW_PRIVATE_NETWORK=true.
          SEEDANCE_CALLBACK_BASE_URL: `http://127.0.0.1:${receiverPort}/seedance/callbacks`,
          SEEDANCE_CALLBACK_SECRET: `fleet-callback-secret-${randomUUID()}`,
          SEEDANCE_CALLBACK_POLL_INITIAL_MS: safety,
          SEEDANCE_CALLBACK_POLL_MAX_INTERVAL_MS: safety,
          SEEDANCE_CALLBACK_ADOPT_WAIT_MS: '5000',
        };

  const spawnOnce = async (role: Role): Promise<WorkerProcess> => {
    const w = await spawnWorker({
      ...opts.env(),
      ...callbackEnv,
      SEEDANCE_WORKER_ROLES: role,
      SEEDANCE_LOG_LEVEL: 'WARN',
      ...(role === 'callbacks' ? { SEEDANCE_CALLBACK_ADDRESS: `127.0.0.1:${receiverPort}` } : {}),
    });
    processes.push(w);
    roles.set(w, role);
    started[role] += 1;
    return w;
  };

  // A worker refuses to start while Temporal is unreachable (it exits at once), and the
  // Temporal server may be down for a restart just then: start it again, as a supervisor
  // (systemd, Kubernetes) would, until it polls or RESPAWN_TIMEOUT_MS has passed.
  const spawnRole = async (role: Role): Promise<WorkerProcess> => {
    const deadline = Date.now() + RESPAWN_TIMEOUT_MS;
    for (;;) {
      const w = await spawnOnce(role);
      try {
        await w.ready();
        return w;
      } catch (err) {
        processes.splice(processes.indexOf(w), 1);
        if (Date.now() > deadline || !/cannot reach Temporal/.test(w.output())) throw err;
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  };

  const fleet: Fleet = {
    all: () => processes,
    roleOf: (w) => {
      const role = roles.get(w);
      if (!role) throw new Error(`pid ${w.child.pid} is not a process of this fleet`);
      return role;
    },
    respawn: async (killed) => {
      const role = fleet.roleOf(killed);
      processes.splice(processes.indexOf(killed), 1);
      return spawnRole(role);
    },
    started: () => ({ ...started }),
    callbackEnv,
    stop: async () => {
      for (const w of processes) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
      await Promise.all(processes.map((w) => w.exited));
    },
  };

  // The receiver first, so no submit carries a callback URL nobody listens on yet; the rest in
  // parallel (each waits for its own "polling" line), which halves the start on 2 cores.
  try {
    if (receiverPort !== undefined) await spawnRole('callbacks');
    const rest = (['workflows', 'provider', 'copy'] as const).flatMap((role) =>
      Array.from({ length: opts.replicas[role] ?? 0 }, () => role),
    );
    await Promise.all(rest.map((role) => spawnRole(role)));
  } catch (err) {
    await fleet.stop();
    throw err;
  }
  return fleet;
}
