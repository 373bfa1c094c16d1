/**
 * Callbacks as the provider sends them (docs/provider/notes.md, "Callbacks"): a task submitted
 * with `callback_url` gets a POST of its body (the shape of a GET) on every status change —
 * queued, running, then its end, or cancelled — retried when no 2xx arrives within the
 * timeout. With the faults a receiver must survive: callbacks lost, duplicated, held back
 * (reordered, or later than a client's safety poll), and forged ones with a wrong token.
 *
 * Timers live here, not in the state: the state stays a pure function of the clock.
 */
import type { SimulatorState } from './state';
import { renderTask } from './tasks-api';
import { statusAt, type SimTask } from './task';

export class CallbackSender {
  /** Future status changes, by task id: a cancel drops them. */
  private readonly scheduled = new Map<string, Set<NodeJS.Timeout>>();
  /** Retries and other timers no cancel drops. */
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inFlight = new Set<AbortController>();
  private stopped = false;

  constructor(private readonly state: SimulatorState) {}

  /** A task was created: schedules the callbacks of its whole timeline. */
  created(task: SimTask, baseUrl: string): void {
    if (task.request.callbackUrl === undefined) return;
    // One callback per status the task actually passes through (one that ends at once has one).
    let previous: string | undefined;
    for (const at of [task.createdAt, task.runningAt, task.terminalAt]) {
      const status = statusAt(task, at);
      if (status !== previous) this.statusChanged(task, baseUrl, at);
      previous = status;
    }
  }

  /** A queued task was cancelled: its later status changes never happen; the cancel is told. */
  cancelled(task: SimTask, baseUrl: string, now: number): void {
    if (task.request.callbackUrl === undefined) return;
    for (const timer of this.scheduled.get(task.id) ?? []) clearTimeout(timer);
    this.scheduled.delete(task.id);
    this.statusChanged(task, baseUrl, now);
  }

  /** Forgets every scheduled callback and aborts those in flight (reset). */
  reset(): void {
    for (const timers of this.scheduled.values()) for (const t of timers) clearTimeout(t);
    this.scheduled.clear();
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.inFlight) c.abort();
    this.inFlight.clear();
  }

  /** For good: nothing more is sent (close). */
  stop(): void {
    this.stopped = true;
    this.reset();
  }

  private statusChanged(task: SimTask, baseUrl: string, at: number): void {
    const cfg = this.state.config.callbacks;
    const stats = this.state.callbackStats;
    stats.scheduled += 1;
    // Every roll is drawn every time, so one fault's rate does not shift another's draws.
    const [lost, duplicate, late, forge] = [1, 2, 3, 4].map(() => this.state.rollCallback()) as [number, number, number, number];
    if (lost < cfg.lossRate) {
      stats.lost += 1;
      return;
    }
    let delay = Math.max(0, at - Date.now()) + cfg.delayMs;
    if (late < cfg.lateRate) {
      stats.late += 1;
      delay += cfg.lateMs;
    }
    const copies = duplicate < cfg.duplicateRate ? 2 : 1;
    if (copies === 2) stats.duplicated += 1;
    const forged = forge < cfg.forgeRate;
    const url = task.request.callbackUrl as string;
    const timer = setTimeout(() => {
      this.scheduled.get(task.id)?.delete(timer);
      // The body as a GET answered at the status change, not at delivery: a late callback is stale.
      const body = renderTask({ state: this.state, baseUrl, now: at }, task);
      for (let i = 0; i < copies; i++) void this.deliver(url, body, 0);
      if (forged) void this.forge(url, body, baseUrl);
    }, delay);
    const forTask = this.scheduled.get(task.id) ?? new Set<NodeJS.Timeout>();
    forTask.add(timer);
    this.scheduled.set(task.id, forTask);
  }

  private async deliver(url: string, body: Record<string, unknown>, attempt: number): Promise<void> {
    if (this.stopped) return;
    const cfg = this.state.config.callbacks;
    const stats = this.state.callbackStats;
    stats.attempts += 1;
    const status = await this.post(url, body, cfg.timeoutMs);
    if (status !== undefined && status >= 200 && status < 300) {
      stats.delivered += 1;
    } else if (attempt < cfg.retries && !this.stopped) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        void this.deliver(url, body, attempt + 1);
      }, cfg.retryDelayMs);
      this.timers.add(timer);
    } else {
      stats.failed += 1;
    }
  }

  /** A callback an attacker would send: same receiver, a token that is not ours, a claim of success. */
  private async forge(url: string, body: Record<string, unknown>, baseUrl: string): Promise<void> {
    const stats = this.state.callbackStats;
    stats.forged += 1;
    const id = String(body['id']);
    const claim = { ...body, status: 'succeeded', content: { video_url: `${baseUrl}/videos/${encodeURIComponent(id)}.mp4` } };
    const status = await this.post(forgedUrl(url), claim, this.state.config.callbacks.timeoutMs);
    const key = status === undefined ? 'error' : String(status);
    stats.forgedAnswers[key] = (stats.forgedAnswers[key] ?? 0) + 1;
  }

  /** POSTs JSON; the answer's status, or undefined when none came in time. */
  private async post(url: string, body: unknown, timeoutMs: number): Promise<number | undefined> {
    const abort = new AbortController();
    this.inFlight.add(abort);
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        signal: abort.signal,
        redirect: 'manual',
      });
      await res.arrayBuffer().catch(() => undefined);
      return res.status;
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
      this.inFlight.delete(abort);
    }
  }
}

/** The callback URL with its last path segment (the token) altered: the same length, not the same token. */
export function forgedUrl(url: string): string {
  const u = new URL(url);
  const parts = u.pathname.split('/');
  const token = parts.pop() ?? '';
  const altered = [...token].map((c) => (c === 'A' ? 'B' : 'A')).join('') || 'forged';
  parts.push(altered);
  u.pathname = parts.join('/');
  return u.toString();
}
