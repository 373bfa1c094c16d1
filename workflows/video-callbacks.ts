/**
 * What renderVideo hears from the provider's callbacks (common/callbacks.ts): hints that wake
 * the poll loop early, and, after an ambiguous submit, the evidence of which task an attempt
 * created. Never proof: a terminal status is acted on only after a GET confirms it.
 */
import { defineSignal } from '@temporalio/workflow';
import { PROVIDER_CALLBACK_SIGNAL, type ProviderCallback } from '../common/callbacks';
import type { RenderVideoProgress } from '../common/render';

/** Sent by the callback receiver (workers/callback-receiver.ts), not by callers. */
export const providerCallbackSignal = defineSignal<[ProviderCallback]>(PROVIDER_CALLBACK_SIGNAL);

/** A render keeps this many callbacks at most: a task has a handful of status changes, even retried and duplicated. */
export const MAX_KEPT_CALLBACKS = 64;

const TERMINAL = new Set(['succeeded', 'failed', 'expired', 'cancelled']);

export class CallbackInbox {
  private readonly kept: ProviderCallback[] = [];
  private taskId: string | undefined;
  /** Terminal statuses a GET has already been made for: a replayed callback wakes nothing twice. */
  private readonly checked = new Set<string>();

  constructor(private readonly progress: RenderVideoProgress) {}

  receive(callback: ProviderCallback): void {
    if (this.kept.length < MAX_KEPT_CALLBACKS) this.kept.push(callback);
    if (this.taskId !== undefined && callback.taskId === this.taskId) this.heard(callback);
  }

  /** From now on, callbacks about `taskId` are about this render's task. */
  watch(taskId: string): void {
    this.taskId = taskId;
    for (const c of this.kept) if (c.taskId === taskId) this.heard(c);
  }

  /** A terminal status was heard that no GET has looked at yet. */
  hasNews(): boolean {
    return this.kept.some((c) => c.taskId === this.taskId && TERMINAL.has(c.status) && !this.checked.has(c.status));
  }

  /** Marks every heard terminal status as looked at (the GET about to be made covers them all). */
  takeNews(): string[] {
    const news = [...new Set(this.kept.filter((c) => c.taskId === this.taskId && TERMINAL.has(c.status)).map((c) => c.status))];
    for (const s of news) this.checked.add(s);
    return news.filter((s) => s !== undefined);
  }

  /** The first callback that came to submit attempt `attempt`'s URL: its task is the one that attempt created. */
  forAttempt(attempt: number): ProviderCallback | undefined {
    return this.kept.find((c) => c.attempt === attempt);
  }

  private heard(callback: ProviderCallback): void {
    this.progress.heardFrom = 'callback';
    this.progress.lastHeardAt = callback.receivedAt;
    // Shown at once for queued/running; a terminal status is shown once a GET confirms it.
    if (!TERMINAL.has(callback.status) && this.progress.lastStatus !== 'running') this.progress.lastStatus = callback.status;
  }
}
