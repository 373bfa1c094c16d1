/**
 * What one run of renderStoryboard knows: the carry (counts, window and pause state, handed
 * to the next run through continue-as-new) and this run's per-shot states. The handlers
 * (storyboard-handlers.ts) and the window loop read and change it only through here.
 */
import { log } from '@temporalio/workflow';
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

/** One run's state; `carry` is the part the next run gets. */
export class StoryboardRun {
  /** This run's shots by id: launched ones and those finished in it. */
  readonly shots: Record<string, ShotState> = {};
  /** Shot id by child workflow id, to place phase events. */
  readonly idByWorkflow = new Map<string, string>();
  inFlight = 0;
  toleranceExceeded = false;

  constructor(
    private readonly input: { storyboardId: string; totalShots: number; tolerance: Tolerance },
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
    for (const s of Object.values(this.shots)) if (s in active) active[s as keyof typeof active]++;
    const counts: StoryboardCounts = {
      ...active,
      stored: carry.stored,
      failed: carry.failed,
      pending: this.input.totalShots - carry.stored - carry.failed - active.submitted - active.rendering - active.copying,
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
    };
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
