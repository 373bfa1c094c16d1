/**
 * What the kernel says about a process: CPU time and resident memory, read from /proc.
 * Shared by the tests (copy memory) and the benchmark; it lives with the tests because
 * bench/ may import test helpers, never the other way round (eslint.config.js).
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

let ticks: number | undefined;
function clockTicks(): number {
  if (ticks === undefined) {
    try {
      ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticks = 100;
    }
  }
  return ticks;
}

/** User + system CPU seconds the process has used so far; NaN when it is gone. */
export function cpuSeconds(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces and parentheses: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line, i.e. 11 and 12 after the name.
    return (Number(fields[11]) + Number(fields[12])) / clockTicks();
  } catch {
    return NaN;
  }
}

/** Resident memory in bytes: now (VmRSS) and the peak since start or the last reset (VmHWM). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return { rss: NaN, peak: NaN };
  }
}

/** Resets the kernel's peak-RSS counter (VmHWM) to the current RSS; false when not allowed. */
export function resetPeak(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * CPU seconds of a process and all its descendants, with what its exited children used
 * (cutime, cstime): a PostgreSQL postmaster and the backends it forks per connection.
 */
export function treeCpuSeconds(root: number): number {
  const stats = new Map<number, string[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      stats.set(Number(entry), stat.slice(stat.lastIndexOf(')') + 2).split(' '));
    } catch {
      // gone meanwhile
    }
  }
  if (!stats.has(root)) return NaN;
  // After the name: state ppid ... utime(11) stime(12) cutime(13) cstime(14).
  const own = (f: string[]) => Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  let ticksUsed = 0;
  const tree = new Set([root]);
  for (let grew = true; grew;) {
    grew = false;
    for (const [pid, f] of stats) {
      if (!tree.has(pid) && tree.has(Number(f[1]))) {
        tree.add(pid);
        grew = true;
      }
    }
  }
  for (const pid of tree) ticksUsed += own(stats.get(pid) as string[]);
  return ticksUsed / clockTicks();
}

/** A process to meter: its pid, or `{ tree: pid }` for it and its descendants. */
export type Metered = number | { tree: number } | undefined;

function meteredSeconds(p: Metered): number {
  if (p === undefined) return NaN;
  return typeof p === 'number' ? cpuSeconds(p) : treeCpuSeconds(p.tree);
}

/** CPU seconds of several processes, sampled together, for "CPU over wall time" figures. */
export class CpuMeter {
  private readonly start: Map<string, number>;
  private readonly t0 = Date.now();

  constructor(private readonly pids: Record<string, Metered>) {
    this.start = new Map(Object.entries(pids).map(([name, pid]) => [name, meteredSeconds(pid)]));
  }

  /** Cores used by each process since construction (CPU seconds / wall seconds). */
  read(): { wallSeconds: number; cores: Record<string, number> } {
    const wallSeconds = (Date.now() - this.t0) / 1000;
    const cores: Record<string, number> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const before = this.start.get(name) ?? NaN;
      cores[name] = pid ? (meteredSeconds(pid) - before) / wallSeconds : NaN;
    }
    return { wallSeconds, cores };
  }
}

/** Whole-machine CPU seconds (all cores, busy time) from /proc/stat. */
export function machineBusySeconds(): number {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal
  const busy = (v[0] ?? 0) + (v[1] ?? 0) + (v[2] ?? 0) + (v[5] ?? 0) + (v[6] ?? 0) + (v[7] ?? 0);
  return busy / clockTicks();
}
