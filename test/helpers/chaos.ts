/**
 * Chaos for durability tests: SIGKILL a random worker process every so often and start a
 * replacement, while the test checks that every render still ends exactly once.
 *
 * One kill is deliberately avoided: a worker killed in the instant between sending a submit
 * and recording its answer leaves an ambiguous submit (`SubmitOutcomeUnknown`), a documented
 * remaining gap handled separately. Given the simulator's counters (`quietSubmits`), the
 * killer waits for a quiet moment (no submit in flight, none in the last `quietMs`) and skips
 * the kill when none comes. This narrows the window rather than closing it: a submit still on
 * the wire has not reached the simulator yet, which is why a quiet period is required on top
 * of "none in flight".
 *
 * Once ambiguous submits are settled (issue 13: the attempt's callback, the provider's task
 * list), that window is closed and a test can kill at any moment: leave out `quietSubmits`.
 * With `midSubmit`, a share of the kills even aims at it: the killer waits for a submit in
 * flight and kills at once (a random worker: with several, not necessarily the sender).
 */
import type { WorkerProcess } from './worker-process';

export interface KillerOptions {
  /** Pause before each kill, drawn uniformly from [min, max] milliseconds. */
  everyMs: [min: number, max: number];
  /** The workers that may be killed; the ones that have exited are ignored. Read at each kill. */
  targets: () => WorkerProcess[];
  /**
   * Starts a replacement for a killed worker (and puts it where targets() finds it). The
   * killer waits until the replacement is ready before it plans the next kill.
   */
  respawn: (killed: WorkerProcess) => Promise<WorkerProcess>;
  /** The simulator's submit counters (e.g. `() => sim.stats()`); enables the quiet wait. */
  quietSubmits?: () => { submitsInFlight: number; lastSubmitAt: number | null };
  /** How long since the last submit counts as quiet (default 300 ms). */
  quietMs?: number;
  /**
   * Aims `share` of the kills (0-1) at a submit in flight: waits up to 3 s for one, then kills
   * at once (or anyway, when none came). Not together with `quietSubmits`.
   */
  midSubmit?: {
    share: number;
    submits: () => { submitsInFlight: number };
    /** The workers that send submits (their `provider` role), killed on an aimed kill; default: targets(). */
    senders?: () => WorkerProcess[];
  };
  /** One line per kill, skip and respawn, so a failing test shows what chaos it had. */
  log?: (line: string) => void;
}

export interface Killer {
  /** Workers SIGKILLed so far. */
  kills(): number;
  /** Kills skipped because no quiet moment came (or no worker was alive). */
  skips(): number;
  /** Kills made while the simulator had a submit in flight. */
  midSubmitKills(): number;
  /**
   * Stops planning kills and waits for a respawn in progress to be ready. Rejects with the
   * error if a respawn failed (the killer stops at the first such failure).
   */
  stop(): Promise<void>;
}

/** How long to wait for a quiet moment before skipping a kill, and how often to look. */
const QUIET_WAIT_MS = 3000;
const QUIET_POLL_MS = 20;

export function startKiller(opts: KillerOptions): Killer {
  const [min, max] = opts.everyMs;
  if (!(min >= 0 && max >= min)) throw new RangeError(`everyMs must be [min, max] with 0 <= min <= max, got [${min}, ${max}]`);
  const quietMs = opts.quietMs ?? 300;
  if (opts.quietSubmits && opts.midSubmit) throw new TypeError('quietSubmits and midSubmit exclude each other');
  const midShare = opts.midSubmit?.share ?? 0;
  if (!(midShare >= 0 && midShare <= 1)) throw new RangeError(`midSubmit.share must be within [0, 1], got ${midShare}`);
  const log = opts.log ?? (() => undefined);
  let kills = 0;
  let skips = 0;
  let midSubmitKills = 0;
  let stopped = false;
  let failure: unknown;

  // A sleep stop() can cut short, so that stopping never waits out a long pause.
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = undefined;
        resolve();
      }
      wake = done;
    });

  const isQuiet = (): boolean => {
    if (!opts.quietSubmits) return true;
    const { submitsInFlight, lastSubmitAt } = opts.quietSubmits();
    return submitsInFlight === 0 && (lastSubmitAt === null || Date.now() - lastSubmitAt >= quietMs);
  };

  /** True once quiet; false when QUIET_WAIT_MS passed without a quiet moment, or stop(). */
  const waitQuiet = async (): Promise<boolean> => {
    const deadline = Date.now() + QUIET_WAIT_MS;
    for (;;) {
      if (stopped) return false;
      if (isQuiet()) return true;
      if (Date.now() >= deadline) return false;
      await pause(QUIET_POLL_MS);
    }
  };

  const submitInFlight = () => (opts.midSubmit?.submits().submitsInFlight ?? 0) > 0;

  /** For a kill aimed at a submit: waits until one is in flight (true), or QUIET_WAIT_MS passed (false). */
  const waitSubmit = async (): Promise<boolean> => {
    const deadline = Date.now() + QUIET_WAIT_MS;
    for (;;) {
      if (stopped) return false;
      if (submitInFlight()) return true;
      if (Date.now() >= deadline) return false;
      await pause(QUIET_POLL_MS);
    }
  };

  const alive = (w: WorkerProcess) => w.child.exitCode === null && w.child.signalCode === null;

  const killOne = async (): Promise<void> => {
    const aimed = midShare > 0 && Math.random() < midShare;
    if (aimed && !(await waitSubmit()) && !stopped) log(`killer: no submit in flight within ${QUIET_WAIT_MS} ms, killing anyway`);
    if (stopped) return;
    if (!(await waitQuiet())) {
      if (stopped) return;
      skips += 1;
      const s = opts.quietSubmits?.();
      const last = s?.lastSubmitAt == null ? 'never' : `${Date.now() - s.lastSubmitAt} ms ago`;
      log(
        `killer: skipped a kill, no quiet moment in ${QUIET_WAIT_MS} ms (submits in flight: ${s?.submitsInFlight}, last submit: ${last})`,
      );
      return;
    }
    // Chosen and killed in the same synchronous step as the quiet check above, so no
    // event of ours (a simulator request in this process) can slip in between.
    const live = (aimed && opts.midSubmit?.senders ? opts.midSubmit.senders() : opts.targets()).filter(alive);
    const victim = live[Math.floor(Math.random() * live.length)];
    if (victim === undefined) {
      skips += 1;
      log('killer: skipped a kill, no live worker');
      return;
    }
    const midSubmit = submitInFlight();
    victim.child.kill('SIGKILL');
    kills += 1;
    if (midSubmit) midSubmitKills += 1;
    log(`killer: SIGKILL worker pid ${victim.child.pid} (kill ${kills}, ${live.length} live${midSubmit ? ', a submit in flight' : ''})`);
    await victim.exited;
    const replacement = await opts.respawn(victim);
    await replacement.ready();
    log(`killer: respawned worker pid ${replacement.child.pid} for pid ${victim.child.pid}`);
  };

  const loop = (async () => {
    while (!stopped) {
      await pause(min + Math.random() * (max - min));
      if (stopped) break;
      try {
        await killOne();
      } catch (err) {
        failure = err;
        log(`killer: respawn failed, stopping: ${err instanceof Error ? err.message : String(err)}`);
        break;
      }
    }
  })();

  return {
    kills: () => kills,
    skips: () => skips,
    midSubmitKills: () => midSubmitKills,
    stop: async () => {
      stopped = true;
      wake?.();
      await loop;
      if (failure !== undefined) throw failure;
    },
  };
}
