/**
 * Continuity inside a running storyboard: the shots later shots continue from, what each ended
 * with (its stored last frame, or why there is none), and the wait of a continuing shot for it.
 *
 * The outcomes live in the carry (`sources`), so a shot continued after continue-as-new still
 * finds its frame; an entry leaves once every shot continuing from it has been launched.
 * Deterministic: no I/O, the frame itself stays in storage and only its reference travels.
 */
import { condition } from '@temporalio/workflow';
import type { StoredFrame } from '../common/continuity';
import { clip, type ContinuitySource, type ManifestEntry, type StagedShot, type StoryboardCarry } from '../common/storyboard';

/** What a continuing shot gets: the frame to start from, or why it cannot start. */
export type SourceOutcome = { frame: StoredFrame } | { missing: string };

export class ContinuityBook {
  /** Shots others continue from, seen in this run and not finished yet: id → how many continue from it. */
  private readonly expected = new Map<string, number>();

  constructor(private readonly carry: StoryboardCarry) {}

  private get sources(): Record<string, ContinuitySource> {
    return (this.carry.sources ??= {});
  }

  /** Notes a staged shot that later shots continue from, before its outcome can arrive. */
  expect(staged: StagedShot): void {
    if (staged.dependents) this.expected.set(staged.id, staged.dependents);
  }

  /** Records a finished shot's outcome for the shots that continue from it (others are ignored). */
  record(entry: ManifestEntry): void {
    const waiting = this.expected.get(entry.shotId);
    if (waiting === undefined) return;
    this.expected.delete(entry.shotId);
    if (waiting <= 0) return;
    this.sources[entry.shotId] = { waiting, ...(entry.lastFrame ? { frame: entry.lastFrame } : { missing: whyNoFrame(entry) }) };
  }

  /** Whether the shot `from` has an outcome yet (a continuing shot that must wait is not ready). */
  ready(from: string): boolean {
    return this.sources[from] !== undefined;
  }

  /** A continuing shot that needs no frame (it was stored by an earlier run): its source stops waiting for it. */
  release(from: string): void {
    const expected = this.expected.get(from);
    if (expected !== undefined) this.expected.set(from, expected - 1);
    const source = this.sources[from];
    if (source && --source.waiting <= 0) delete this.sources[from];
  }

  /**
   * Waits (durably, without polling) for the outcome of the shot `from` and takes it for one
   * continuing shot; the entry is dropped once its last continuing shot has taken it.
   */
  async take(from: string): Promise<SourceOutcome> {
    await condition(() => this.sources[from] !== undefined);
    const source = this.sources[from] as ContinuitySource;
    if (--source.waiting <= 0) delete this.sources[from];
    return source.frame ? { frame: source.frame } : { missing: `continues from ${from}, ${source.missing ?? 'which has no last frame'}` };
  }
}

/** Why a finished shot offers no frame, as the continuing shot's reason. */
function whyNoFrame(entry: ManifestEntry): string {
  if (entry.status === 'stored')
    return entry.lastFrameMissing
      ? `which was stored without a last frame (${entry.lastFrameMissing})`
      : 'which was stored without a last frame (stored before a shot continued from it: delete its video to render it again)';
  if (entry.status === 'failed')
    return `which failed (${[entry.failureType, clip(entry.failureMessage ?? '', 200)].filter(Boolean).join(': ')})`;
  return `which was not started${entry.reason ? ` (${entry.reason})` : ''}`;
}
