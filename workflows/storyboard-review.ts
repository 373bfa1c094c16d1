/**
 * Draft mode of renderStoryboard (common/review.ts): each shot the window launches renders a
 * draft, gives its place in the window back and waits for a person: approved, it renders its
 * final from the draft; rejected, it is drafted again with the changes and waits again. The
 * waits are `condition()`s on state the updates change: no timer, no polling, however long.
 *
 * The review ends shot by shot (final stored or failed); `finishReview` ends it for every shot
 * still unapproved, which ends `not_started` with the reason `not approved`, so the storyboard
 * completes. A draft-mode storyboard never continues as new (its review lives in this run),
 * which is why draft mode takes at most MAX_DRAFT_SHOTS shots.
 */
import {
  CancellationScope,
  condition,
  executeChild,
  isCancellation,
  log,
  proxyActivities,
  setHandler,
  workflowInfo,
} from '@temporalio/workflow';
import type { ReportActivities } from '../activities/report/activities';
import type { WriteReviewReportInput } from '../activities/report/review';
import { budgetUnit, charge, reservationFor, type RunBudget } from '../common/budget';
import { FailureType } from '../common/errors';
import { estimateShot } from '../common/estimate';
import type { RenderVideoResult } from '../common/render';
import {
  ApproveRequestSchema,
  DRAFT_EXPIRY_MARGIN_MS,
  DRAFT_VALID_MS,
  MAX_DRAFTS_PER_SHOT,
  NOT_APPROVED_REASON,
  REVIEW_STATES,
  RejectRequestSchema,
  draftShot,
  finalShot,
  noDraftReason,
  type ApproveRequest,
  type DraftRecord,
  type RejectRequest,
  type ReviewAnswer,
  type ReviewShotView,
  type ReviewState,
  type ReviewView,
} from '../common/review';
import { ShotSchema, formatIssues, type ShotInput } from '../common/shot';
import { shotWorkflowId, storyboardKeys, type ManifestEntry } from '../common/storyboard';
import { copyTaskQueue } from '../common/task-queues';
import { describeChildFailure, storedEntry } from './child-failure';
import { renderVideo } from './render-video';
import { approveUpdate, finishReviewUpdate, rejectUpdate } from './signals';
import { shotChildOptions, type ShotContext } from './storyboard-shot';
import type { StoryboardRun } from './storyboard-run';

interface ReviewShot {
  index: number;
  shotId: string;
  /** The shot as it is drafted now: the staged one with every reject's changes. */
  shot: ShotInput;
  state: ReviewState;
  draft?: DraftRecord;
  drafts: number;
  /** Set by approve or reject, taken by the shot's wait. */
  decision?: { kind: 'approve' } | { kind: 'reject'; prompt?: string; seed?: number };
  reason?: string;
}

type Rendered =
  { ok: true; result: RenderVideoResult } | { ok: false; entry: Pick<ManifestEntry, 'failureType' | 'failureMessage' | 'taskId'> };

/** One storyboard's review: its shots' review states, the updates' rules, and the shots' runs. */
export class Review {
  private readonly shots = new Map<string, ReviewShot>();
  private launchedAll = false;
  private finished = false;
  /** Bumped on every change, so the review report is written once per review point. */
  private version = 0;
  /** Shots whose row changed since review.html was last written: only those travel to its activity (history stays bounded). */
  private readonly dirty = new Set<string>();

  constructor(
    private readonly storyboardId: string,
    private readonly run: StoryboardRun,
    private readonly budget: RunBudget | undefined,
  ) {
    run.reviewView = () => this.view();
  }

  /** What the window reserves for when it launches the shot: its draft, or its final when it has no draft mode. */
  launchShot(shot: ShotInput): ShotInput {
    return noDraftReason(shot) ? shot : draftShot(shot);
  }

  /** The window launched its last shot: the review point can be reached, and each is reported. */
  allLaunched(): void {
    this.launchedAll = true;
    this.changed();
    // Detached: its activity's failures are logged inside; a cancellation ends the storyboard anyway.
    this.reportReviewPoints().catch(() => undefined);
  }

  /** Renders one shot the review's way; the window's runShot for draft mode. */
  readonly runShot = async (ctx: ShotContext, index: number, shotId: string, shot: ShotInput): Promise<void> => {
    const { run } = ctx;
    const rs: ReviewShot = { index, shotId, shot, state: 'drafting', drafts: 0 };
    this.shots.set(shotId, rs);
    this.changed(rs);
    const reason = noDraftReason(shot);
    if (reason) {
      rs.state = 'direct';
      rs.reason = reason;
      const out = await this.render(
        ctx,
        shotId,
        shotWorkflowId(this.storyboardId, shotId),
        shot,
        storyboardKeys.video(this.storyboardId, shotId),
      );
      this.end(ctx, rs, { ...this.entryOf(shotId, out), noDraftReason: reason });
      return;
    }
    if (this.finished) {
      // Launched after the review was finished: no draft nobody would review is paid for.
      rs.reason = NOT_APPROVED_REASON;
      this.end(ctx, rs, { shotId, status: 'not_started', reason: NOT_APPROVED_REASON });
      return;
    }
    for (;;) {
      rs.state = 'drafting';
      this.changed(rs);
      // Each draft its own workflow id: a re-draft is a new task with its own chosen seed.
      const workflowId = `${shotWorkflowId(this.storyboardId, shotId)}.draft-${rs.drafts + 1}`;
      const key = storyboardKeys.draft(this.storyboardId, shotId, rs.drafts + 1, workflowInfo().runId.slice(0, 8));
      const drafted = await this.render(ctx, shotId, workflowId, draftShot(rs.shot), key);
      rs.drafts++;
      this.settleDraft(shotId, rs.shot, drafted);
      if (!drafted.ok) {
        const message = `the draft failed: ${drafted.entry.failureMessage ?? drafted.entry.failureType ?? 'unknown'}`;
        this.end(ctx, rs, { shotId, status: 'failed', ...drafted.entry, failureMessage: message });
        return;
      }
      rs.draft = draftRecord(drafted.result, rs.drafts, rs.shot.prompt !== shot.prompt ? rs.shot.prompt : undefined);
      rs.state = 'awaiting_approval';
      this.changed(rs);
      run.shots[shotId] = 'pending';
      // Waiting for a person holds no place in the window: the other shots' drafts go on.
      run.inFlight--;
      await condition(() => rs.decision !== undefined || this.finished);
      const decision = rs.decision;
      rs.decision = undefined;
      if (!decision) {
        run.inFlight++; // the window's own decrement follows when this returns
        rs.reason = NOT_APPROVED_REASON;
        this.end(ctx, rs, { shotId, status: 'not_started', reason: NOT_APPROVED_REASON, draft: rs.draft });
        return;
      }
      // Decided: no longer awaiting approval (a second approve is refused), though the window may make it wait.
      rs.state = decision.kind === 'approve' ? 'rendering_final' : 'drafting';
      this.changed(rs);
      // Back into the window for the final or the re-draft.
      await condition(() => run.mayLaunch());
      run.inFlight++;
      if (decision.kind === 'reject' && this.finished) {
        // The review ended while the re-draft waited for the window: no draft nobody would review.
        rs.reason = NOT_APPROVED_REASON;
        this.end(ctx, rs, { shotId, status: 'not_started', reason: NOT_APPROVED_REASON, draft: rs.draft });
        return;
      }
      if (decision.kind === 'reject') {
        rs.shot = {
          ...rs.shot,
          ...(decision.prompt !== undefined ? { prompt: decision.prompt } : {}),
          ...(decision.seed !== undefined ? { seed: decision.seed } : {}),
        };
        if (this.budget) await run.reserve(shotId, reservationFor(this.budget, draftShot(rs.shot)));
        continue;
      }
      // Only now is the final reserved and paid for: it was approved.
      if (this.budget) await run.reserve(shotId, reservationFor(this.budget, rs.shot));
      const final = finalShot(rs.shot, rs.draft.taskId);
      const out = await this.render(
        ctx,
        shotId,
        shotWorkflowId(this.storyboardId, shotId),
        final,
        storyboardKeys.video(this.storyboardId, shotId),
      );
      this.end(ctx, rs, { ...this.entryOf(shotId, out), draft: rs.draft });
      return;
    }
  };

  // ---- the updates ----

  checkApprove(raw: ApproveRequest): void {
    const parsed = ApproveRequestSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`invalid approve: ${formatIssues(parsed.error).join('; ')}`);
    this.checkOpen();
    if (parsed.data.all) {
      if (this.awaiting().length === 0) throw new Error(`no shot of ${this.storyboardId} is awaiting approval`);
      if (this.approvable().length === 0)
        throw new Error(`every draft awaiting approval in ${this.storyboardId} has expired: reject them to draft again`);
      return;
    }
    for (const id of parsed.data.shots) {
      const rs = this.checkAwaiting(id);
      if (expired(rs))
        throw new Error(
          `the draft of shot ${JSON.stringify(id)} has expired (the provider renders finals from a draft for 7 days): reject it to draft again`,
        );
    }
  }

  approve(raw: ApproveRequest): ReviewAnswer {
    const request = ApproveRequestSchema.parse(raw);
    // --all approves the drafts that can still become finals; expired ones stay for a reject.
    const ids = request.all ? this.approvable() : [...new Set(request.shots)];
    for (const id of ids) (this.shots.get(id) as ReviewShot).decision = { kind: 'approve' };
    log.info('shots approved', { storyboardId: this.storyboardId, shots: ids.length });
    this.changed();
    return { shots: ids };
  }

  checkReject(raw: RejectRequest): void {
    const parsed = RejectRequestSchema.safeParse(raw);
    if (!parsed.success) throw new Error(`invalid reject: ${formatIssues(parsed.error).join('; ')}`);
    this.checkOpen();
    const { shotId, prompt, seed } = parsed.data;
    const rs = this.checkAwaiting(shotId);
    if (rs.drafts >= MAX_DRAFTS_PER_SHOT)
      throw new Error(`shot ${shotId} has had its ${MAX_DRAFTS_PER_SHOT} drafts: approve it, or leave it unapproved`);
    const next = draftShot({ ...rs.shot, ...(prompt !== undefined ? { prompt } : {}), ...(seed !== undefined ? { seed } : {}) });
    const checked = ShotSchema.safeParse(next);
    if (!checked.success) throw new Error(`shot ${shotId} cannot be drafted so: ${formatIssues(checked.error).join('; ')}`);
  }

  reject(raw: RejectRequest): ReviewAnswer {
    const { shotId, prompt, seed } = RejectRequestSchema.parse(raw);
    (this.shots.get(shotId) as ReviewShot).decision = {
      kind: 'reject',
      ...(prompt !== undefined ? { prompt } : {}),
      ...(seed !== undefined ? { seed } : {}),
    };
    this.changed();
    return { shots: [shotId] };
  }

  checkFinish(): void {
    this.checkOpen();
  }

  /** Ends the review: shots awaiting approval now, and drafts rendering now once done, end not approved. */
  finish(): ReviewAnswer {
    this.finished = true;
    this.changed();
    const left = this.ordered()
      .filter((s) => (s.state === 'awaiting_approval' && !s.decision) || (s.state === 'drafting' && !s.decision))
      .map((s) => s.shotId);
    log.info('review finished', { storyboardId: this.storyboardId, notApproved: left.length });
    return { shots: left };
  }

  private checkOpen(): void {
    if (this.finished) throw new Error(`the review of ${this.storyboardId} is finished`);
  }

  /** The shot if it is awaiting approval (no decision yet); else why not, as the update's rejection. */
  private checkAwaiting(id: string): ReviewShot {
    const rs = this.shots.get(id);
    const shown = JSON.stringify(id.slice(0, 64));
    if (!rs) throw new Error(this.launchedAll ? `unknown shot ${shown}` : `unknown shot ${shown}, or its draft has not started yet`);
    if (rs.decision?.kind === 'approve') throw new Error(`shot ${shown} is already approved`);
    if (rs.decision?.kind === 'reject') throw new Error(`shot ${shown} is already rejected: its next draft is on its way`);
    const why: Partial<Record<ReviewState, string>> = {
      drafting: `shot ${shown} has no draft to review yet: its draft is rendering`,
      rendering_final: `shot ${shown} is already approved: its final is rendering`,
      final: `shot ${shown} is already final`,
      direct: `shot ${shown} has no draft: ${rs.reason ?? 'its model has no draft mode'}`,
      failed: `shot ${shown} failed`,
      not_approved: `shot ${shown} was left unapproved when the review finished`,
    };
    const problem = why[rs.state];
    if (problem) throw new Error(problem);
    return rs;
  }

  // ---- state and view ----

  /** Something changed; `rs`: that shot's row in the review report did. */
  private changed(rs?: ReviewShot): void {
    this.version++;
    if (rs) this.dirty.add(rs.shotId);
  }

  private ordered(): ReviewShot[] {
    return [...this.shots.values()].sort((a, b) => a.index - b.index);
  }

  private awaiting(): string[] {
    return this.ordered()
      .filter((s) => s.state === 'awaiting_approval' && !s.decision)
      .map((s) => s.shotId);
  }

  private approvable(): string[] {
    return this.awaiting().filter((id) => !expired(this.shots.get(id) as ReviewShot));
  }

  private count(state: ReviewState): number {
    let n = 0;
    for (const s of this.shots.values()) if (s.state === state) n++;
    return n;
  }

  /** Every draft rendered and some awaiting a person: nothing happens until someone decides. */
  waitingForReview(): boolean {
    return this.launchedAll && !this.finished && this.count('drafting') === 0 && this.awaiting().length > 0;
  }

  /** Nothing is left to review: every shot drafted is decided, final, failed or left. */
  private reviewOver(): boolean {
    return this.launchedAll && this.count('drafting') === 0 && this.awaiting().length === 0;
  }

  view(): ReviewView {
    const counts = Object.fromEntries(REVIEW_STATES.map((s) => [s, 0])) as Record<ReviewState, number>;
    for (const s of this.shots.values()) counts[s.state]++;
    return {
      mode: 'draft',
      waitingForReview: this.waitingForReview(),
      finished: this.finished,
      counts,
      awaitingApproval: this.awaiting(),
      shots: this.ordered().map((s) => this.shotView(s)),
    };
  }

  private shotView(s: ReviewShot): ReviewShotView {
    const tokens = estimateShot(s.shot).tokens;
    const budget = this.budget;
    return {
      shotId: s.shotId,
      index: s.index,
      state: s.state,
      ...(s.draft ? { draft: s.draft } : {}),
      estimatedFinalTokens: tokens,
      ...(budget && !('tokens' in budget)
        ? {
            estimatedFinalCost: {
              min: charge(budget, s.shot, tokens.min),
              max: charge(budget, s.shot, tokens.max),
              unit: budgetUnit(budget),
            },
          }
        : {}),
      ...(s.reason ? { reason: s.reason } : {}),
    };
  }

  /** Writes review.html each time the storyboard reaches a review point, until nothing is left to review. */
  private async reportReviewPoints(): Promise<void> {
    let written = -1;
    for (;;) {
      await condition(() => this.reviewOver() || (this.waitingForReview() && this.version !== written));
      if (this.reviewOver()) return;
      written = this.version;
      const ids = [...this.dirty];
      this.dirty.clear();
      if (ids.length === 0) continue;
      const rows = ids.map((id) => this.shotView(this.shots.get(id) as ReviewShot));
      // Only changed rows: the activity keeps the rest (per run) beside the page it writes.
      const wrote = await writeReviewReportOrWarn({ storyboardId: this.storyboardId, run: workflowInfo().runId, rows });
      if (!wrote) for (const id of ids) this.dirty.add(id);
    }
  }

  // ---- rendering ----

  private end(ctx: ShotContext, rs: ReviewShot, entry: ManifestEntry): void {
    rs.state = entry.status === 'stored' ? 'final' : entry.status === 'failed' ? 'failed' : 'not_approved';
    this.changed(rs);
    ctx.finish(rs.index, entry, true);
  }

  private entryOf(shotId: string, out: Rendered): ManifestEntry {
    return out.ok ? storedEntry(shotId, out.result) : { shotId, status: 'failed', ...out.entry };
  }

  /** A draft is paid for whatever comes of it: its usage is charged now, apart from its final. */
  private settleDraft(shotId: string, shot: ShotInput, out: Rendered): void {
    const usage = out.ok ? out.result.usage : undefined;
    this.run.settle(shotId, draftShot(shot), { shotId, status: out.ok ? 'stored' : 'failed', ...(usage ? { usage } : {}) });
    this.run.carry.tokensUsed += usage?.totalTokens ?? 0;
  }

  /**
   * One renderVideo child of the shot, started as runShot starts its (shotChildOptions: same
   * admission, priority, search attributes and close policy), with the same hold on insufficient
   * balance.
   */
  private async render(ctx: ShotContext, shotId: string, workflowId: string, shot: ShotInput, storageKey: string): Promise<Rendered> {
    const { run } = ctx;
    run.idByWorkflow.set(workflowId, shotId);
    try {
      for (;;) {
        run.shots[shotId] = 'pending';
        try {
          const result = await executeChild(renderVideo, shotChildOptions(ctx, shotId, workflowId, shot, storageKey));
          return { ok: true, result };
        } catch (err) {
          const why = describeChildFailure(err);
          if (why.type === FailureType.InsufficientBalance) {
            run.pause('insufficient balance: top up, then resume');
            await condition(() => !run.carry.paused);
            continue;
          }
          if (why.type === FailureType.Cancelled && CancellationScope.current().consideredCancelled) throw err;
          return { ok: false, entry: why.entry };
        }
      }
    } finally {
      // Late phase events of a finished draft must not move the shot while it waits for review.
      run.idByWorkflow.delete(workflowId);
    }
  }
}

/** Whether the shot's draft can no longer become a final. */
function expired(rs: ReviewShot): boolean {
  return rs.draft !== undefined && Date.now() >= rs.draft.expiresAt;
}

function draftRecord(r: RenderVideoResult, drafts: number, prompt: string | undefined): DraftRecord {
  // Workflow clock: deterministic, and the storyboard's own sense of "now" in the validators.
  const expiresAt = Date.now() + DRAFT_VALID_MS - DRAFT_EXPIRY_MARGIN_MS;
  return {
    taskId: r.taskId,
    key: r.storage.key,
    url: r.storage.url,
    sha256: r.storage.sha256,
    bytes: r.storage.bytes,
    ...(r.seed !== undefined ? { seed: r.seed } : {}),
    ...(r.usage ? { usage: r.usage } : {}),
    drafts,
    ...(prompt !== undefined ? { prompt } : {}),
    expiresAt,
  };
}

/**
 * Installs approve, reject and finish-review at the start of every run, draft mode or not: a
 * storyboard not in draft mode (or not staged yet) rejects them with a reason, before they are recorded.
 */
export function installReviewHandlers(storyboardId: string, review: () => Review | undefined): void {
  const need = (): Review => {
    const r = review();
    if (!r)
      throw new Error(
        `storyboard ${storyboardId} is not in draft mode: approve, reject and finish-review act on storyboards rendered with --draft (or mode: draft)`,
      );
    return r;
  };
  setHandler(approveUpdate, (request) => need().approve(request), { validator: (request) => need().checkApprove(request) });
  setHandler(rejectUpdate, (request) => need().reject(request), { validator: (request) => need().checkReject(request) });
  setHandler(finishReviewUpdate, () => need().finish(), { validator: () => need().checkFinish() });
}

/** review.html beside the drafts; like report.html, one that cannot be written is logged, not fatal (false). */
async function writeReviewReportOrWarn(input: WriteReviewReportInput): Promise<boolean> {
  const { writeReviewReport } = proxyActivities<ReportActivities>({
    taskQueue: copyTaskQueue(workflowInfo().taskQueue),
    startToCloseTimeout: '10 minutes',
    retry: { initialInterval: '5 seconds', maximumInterval: '1 minute', maximumAttempts: 5 },
  });
  try {
    await writeReviewReport(input);
    return true;
  } catch (err) {
    if (isCancellation(err)) throw err;
    log.warn('review report not written', { storyboardId: input.storyboardId, error: String(err) });
    return false;
  }
}
