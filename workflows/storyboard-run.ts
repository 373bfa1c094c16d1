/**
 * What one run of renderStoryboard knows: the carry (counts, window and pause state, handed
 * to the next run through continue-as-new) and this run's per-shot states. The handlers
 * (storyboard-handlers.ts) and the window loop read and change it only through here.
 */
import { condition, log } from '@temporalio/workflow';
import { budgetView, charge, reservedTotal, type RunBudget } from '../common/budget';
import type { EstimableShot } from '../common/estimate';
import type { ShotPhaseEvent } from '../common/phase-events';
import {
  SHOT_STATES,
  type ManifestEntry,
  type ShotState,
  type StoryboardCarry,
  type StoryboardCounts,
  type StoryboardProgress,
  type Tolerance,
} from '../common/storyboard';
import { exceeds } from '../common/tolerance';
import type { ReviewView } from '../common/review';

/** The pause reason of a storyboard whose next shot would pass its budget. */
export const BUDGET_PAUSE_REASON = 'budget';

/** Amounts in a currency are fractions: a reservation that fits to within this still fits. */
const BUDGET_EPSILON = 1e-9;

/** One run's state; `carry` is the part the next run gets. */
export class StoryboardRun {
  /** This run's shots by id: launched ones and those finished in it. */
  readonly shots: Record<string, ShotState> = {};
  /** Shot id by child workflow id, to place phase events. */
  readonly idByWorkflow = new Map<string, string>();
  inFlight = 0;
  toleranceExceeded = false;
  /** Continuing shots waiting for their source's last frame (outside the window): shot id → source id. */
  readonly waitingForFrame = new Map<string, string>();
  /** Draft mode: the review's view, added to progress (workflows/storyboard-review.ts). */
  reviewView?: () => ReviewView;

  constructor(
    private readonly input: { storyboardId: string; totalShots: number; tolerance: Tolerance; budget?: RunBudget },
    readonly carry: StoryboardCarry,
  ) {}

  /** Whether the window has room for another shot (or the tolerance ends launching). */
  mayLaunch(): boolean {
    return (!this.carry.paused && this.inFlight < this.carry.window) || this.toleranceExceeded;
  }

  /** What `storyboardProgressQuery` answers. */
  progress(): StoryboardProgress {
    const { carry } = this;
    const active = { submitted: 0, rendering: 0, copying: 0 };
    let ended = 0;
    for (const s of Object.values(this.shots)) {
      if (s in active) active[s as keyof typeof active]++;
      else if (s === 'not_started') ended++;
    }
    const counts: StoryboardCounts = {
      ...active,
      stored: carry.stored,
      failed: carry.failed,
      pending: this.input.totalShots - carry.stored - carry.failed - ended - active.submitted - active.rendering - active.copying,
    };
    return {
      storyboardId: this.input.storyboardId,
      totalShots: this.input.totalShots,
      counts,
      shots: { ...this.shots },
      tokensUsed: carry.tokensUsed,
      window: carry.window,
      paused: carry.paused,
      ...(carry.pauseReason ? { pauseReason: carry.pauseReason } : {}),
      toleranceExceeded: this.toleranceExceeded,
      runs: carry.runs,
      startedAt: carry.startedAt,
      done: false,
      ...(this.input.budget && carry.budget ? { budget: budgetView(this.input.budget, carry.budget) } : {}),
      ...(this.waitingForFrame.size ? { waitingForFrame: Object.fromEntries(this.waitingForFrame) } : {}),
      ...(this.reviewView ? { review: this.reviewView() } : {}),
    };
  }

  /**
   * Holds the shot's reservation (`amount`, in the budget's unit) before it is submitted. When it
   * would pass the budget the storyboard pauses with reason `budget` (shots in flight go on;
   * nothing new is launched) until it fits: a raised budget, or in-flight shots settling below
   * their reservations. A shot holds at most one reservation, keyed by its id.
   */
  async reserve(shotId: string, amount: number): Promise<void> {
    const state = this.carry.budget;
    if (!state || state.reserved[shotId] !== undefined) return;
    const fits = () => state.spent + reservedTotal(state) + amount <= state.limit + BUDGET_EPSILON;
    const pausedByUser = () => this.carry.paused && this.carry.pauseReason !== BUDGET_PAUSE_REASON;
    while (!fits() || pausedByUser()) {
      if (!fits()) this.pause(BUDGET_PAUSE_REASON);
      // A plain resume wakes it too, to pause again: resume does not spend past the budget.
      await condition(() => (fits() && !pausedByUser()) || !this.carry.paused);
    }
    if (this.carry.paused && this.carry.pauseReason === BUDGET_PAUSE_REASON) this.resume();
    state.reserved[shotId] = amount;
  }

  /**
   * Settles a finished shot's reservation to its actual usage: the usage it reports, or (stored
   * with none reported) its reservation; a failed shot that reports none spent nothing.
   */
  settle(shotId: string, shot: EstimableShot, entry: ManifestEntry): void {
    const state = this.carry.budget;
    const budget = this.input.budget;
    if (!state || !budget) return;
    const held = state.reserved[shotId];
    delete state.reserved[shotId];
    const tokens = entry.usage?.totalTokens ?? entry.usage?.completionTokens;
    if (tokens !== undefined) state.spent += charge(budget, shot, tokens);
    else if (entry.status === 'stored') state.spent += held ?? 0;
  }

  /** Drops a reservation of a shot that will not be launched. */
  release(shotId: string): void {
    if (this.carry.budget) delete this.carry.budget.reserved[shotId];
  }

  /** Sets the budget's limit (checked by the update's validator); the reservation waiting for room retries. */
  setBudget(limit: number): void {
    if (this.carry.budget) this.carry.budget.limit = limit;
  }

  pause(reason: string): void {
    if (!this.carry.paused) log.warn('storyboard paused', { storyboardId: this.input.storyboardId, reason });
    this.carry.paused = true;
    this.carry.pauseReason = reason;
  }

  resume(): void {
    this.carry.paused = false;
    delete this.carry.pauseReason;
  }

  setWindow(size: number): number {
    this.carry.window = size;
    return this.carry.window;
  }

  /** Phase events of the children. Batches from several workers can arrive late or out of order: a shot only moves forward. */
  onPhases(updates: ShotPhaseEvent[]): void {
    for (const event of updates) {
      const shotId = this.idByWorkflow.get(event.workflowId);
      const current = shotId ? this.shots[shotId] : undefined;
      if (shotId && current && SHOT_STATES.indexOf(event.phase) > SHOT_STATES.indexOf(current)) this.shots[shotId] = event.phase;
    }
  }

  /** Counts a finished shot; `fresh`: finished by this run (its tokens were spent now), not found stored. */
  count(entry: ManifestEntry, fresh: boolean): void {
    const { carry } = this;
    // Draft mode ends an unapproved shot `not_started`: it is neither stored nor a failure.
    if (entry.status === 'not_started') {
      this.shots[entry.shotId] = 'not_started';
      return;
    }
    this.shots[entry.shotId] = entry.status === 'stored' ? 'stored' : 'failed';
    if (entry.status === 'stored') carry.stored++;
    else carry.failed++;
    if (fresh) carry.tokensUsed += entry.usage?.totalTokens ?? 0;
    if (entry.status === 'failed' && exceeds(this.input.tolerance, carry.failed, carry.stored + carry.failed)) {
      if (!this.toleranceExceeded)
        log.warn('failure tolerance exceeded; no new shots', { storyboardId: this.input.storyboardId, failed: carry.failed });
      this.toleranceExceeded = true;
    }
  }
}
