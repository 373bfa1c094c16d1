/**
 * Storyboard commands: validate, render, status, pause, resume, cancel, window, retry.
 */
import type { Client } from '@temporalio/client';
import { parseArgs } from 'node:util';
import type { StorageBackend } from '../../storage/backend';
import { createStorage } from '../../storage/from-config';
import { admissionFor, loadConfig, pollScheduleFromConfig, type Config } from '../../common/config';
import { AdmissionKeySchema } from '../../common/admission';
import { MAX_WINDOW, type AudioPolicy, type RenderStoryboardInput, type Tolerance } from '../../common/storyboard';
import { failureLabel } from '../../common/content-policy';
import { createProgressPrinter } from '../progress-view';
import {
  cancelStoryboard,
  followStoryboard,
  pauseStoryboard,
  resumeStoryboard,
  setStoryboardBudget,
  setStoryboardWindow,
  startStoryboard,
  storyboardStatus,
  type StoryboardStatus,
} from '../storyboard';
import {
  checkStoryboardFile,
  readStagedAudioPolicy,
  readStagedBudget,
  readStagedMode,
  readStagedRecord,
  stageStoryboard,
  type CheckOptions,
  type StagedStoryboard,
} from '../storyboard-file';
import { connectClient, temporalTarget } from '../../temporal/connection';
import { watchForWorkers } from '../worker-watch';
import { boundedJson, terminalBlock, terminalText as t } from '../../common/terminal-text';
import { UsageError } from '../usage-error';
import { parseBudgetFlag, runBudget, type Budget, type RunBudget } from '../../common/budget';
import { confirmSpend, estimateLine, estimateStoryboard, formatEstimate, type StoryboardEstimate } from '../estimate';
import { loadPrices } from '../prices';
import { MAX_DRAFT_SHOTS, type ReviewView, type StoryboardMode } from '../../common/review';

export const STORYBOARD_COMMANDS = [
  'validate',
  'estimate',
  'render',
  'status',
  'pause',
  'resume',
  'cancel',
  'window',
  'budget',
  'retry',
] as const;
type StoryboardCommand = (typeof STORYBOARD_COMMANDS)[number];

const OPTIONS = {
  json: { type: 'boolean' },
  wait: { type: 'boolean' },
  window: { type: 'string' },
  /** Admission priority 1-5 (5 first) and fairness key (default: the storyboard id). */
  priority: { type: 'string' },
  team: { type: 'string' },
  'max-failures': { type: 'string' },
  'max-failure-percent': { type: 'string' },
  /** `500000` (tokens) or `12.50USD`: overrides the file's budget. */
  budget: { type: 'string' },
  /** Start without asking, whatever the estimate. */
  yes: { type: 'boolean' },
  /** Draft mode: drafts first, a review, finals of approved shots only (common/review.ts). */
  draft: { type: 'boolean' },
  /** Image paths may resolve outside the storyboard's folder (see ALLOW_IMAGES_OUTSIDE_FLAG). */
  'allow-images-outside': { type: 'boolean' },
} as const;

function parse(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function numberFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  return n;
}

export async function storyboardCommand(command: StoryboardCommand, args: string[]): Promise<number> {
  const { values, positionals } = parse(args);
  const [target, extra] = positionals;
  // Admission flags are checked before anything is staged: a typo costs nothing.
  numberFlag('priority', values.priority, 1, 5);
  if (values.team !== undefined && !AdmissionKeySchema.safeParse(values.team).success)
    throw new UsageError(
      `--team must be 1-64 letters, digits, . _ : - (starting with a letter or digit), got ${JSON.stringify(values.team)}`,
    );
  if (!target)
    throw new UsageError(
      `${command} needs a ${['validate', 'estimate', 'render'].includes(command) ? 'storyboard file' : 'storyboard id'}`,
    );
  const json = Boolean(values.json);

  const checkOptions = { allowImagesOutside: Boolean(values['allow-images-outside']) };
  if (command === 'validate') return validate(target, json, checkOptions);

  const config = loadConfig(process.env);
  const prices = await loadPrices(config);
  if (command === 'estimate' || command === 'render') {
    const checked = await checkStoryboardFile(target, checkOptions);
    if (checked.problems.length || !checked.storyboard) return printProblems(target, checked.problems, json);
    if (values.draft && checked.storyboard.shots.length > MAX_DRAFT_SHOTS)
      throw new UsageError(
        `--draft takes at most ${MAX_DRAFT_SHOTS} shots (a review lives in one workflow run); ${target} has ${checked.storyboard.shots.length}: split it`,
      );
    const budget = budgetOf(values.budget, checked.storyboard.budget);
    const estimate = estimateStoryboard(checked.storyboard, prices?.table, budget, values.draft ? 'draft' : checked.storyboard.mode);
    if (command === 'estimate') {
      if (json) console.log(boundedJson(estimate));
      else console.log(formatEstimate(estimate));
      return 0;
    }
    const run = budget ? runBudgetFor(budget, estimate, prices) : undefined;
    console.error(estimateLine(estimate));
    const answer = await confirmSpend(estimate, config, {
      yes: Boolean(values.yes),
      interactive: Boolean(process.stdin.isTTY && process.stderr.isTTY),
    });
    if (answer === 'refused-no-terminal') {
      console.error(
        `render: the estimate passes SEEDANCE_CONFIRM_ABOVE (${t(config.SEEDANCE_CONFIRM_ABOVE)}) with a real API key and there is no terminal to ask on; pass --yes to start anyway. Nothing was started.`,
      );
      return 2;
    }
    if (answer === 'declined') {
      console.error('render: not started');
      return 2;
    }
    const { storage } = createStorage(config);
    const staged = await stageStoryboard(storage, checked);
    const fromFile = {
      priority: checked.storyboard?.priority,
      team: checked.storyboard?.team,
      onAudioPolicy: checked.storyboard?.onAudioPolicy,
      mode: checked.storyboard?.mode,
    };
    return withClient(config, (client) => launch(client, config, storage, staged, values, json, run, fromFile));
  }
  const { storage } = createStorage(config);
  if (command === 'retry') {
    const staged = await readStagedRecord(storage, target);
    if (!staged) throw new UsageError(`nothing staged for storyboard ${target} in ${config.STORAGE_URL}; render its file first`);
    const budget = budgetOf(values.budget, await readStagedBudget(storage, target));
    const run = budget ? runBudgetFor(budget, undefined, prices) : undefined;
    const fromFile = { onAudioPolicy: await readStagedAudioPolicy(storage, target), mode: await readStagedMode(storage, target) };
    return withClient(config, (client) => launch(client, config, storage, staged, values, json, run, fromFile));
  }
  return withClient(config, async (client) => {
    switch (command) {
      case 'status': {
        const status = await storyboardStatus(client, storage, target);
        printStatus(status, json);
        return status.status === 'failed' || (status.counts?.failed ?? 0) > 0 ? 1 : 0;
      }
      case 'pause':
        await pauseStoryboard(client, target);
        break;
      case 'resume':
        await resumeStoryboard(client, target);
        break;
      case 'cancel':
        await cancelStoryboard(client, target);
        break;
      case 'window': {
        const size = numberFlag('window', extra, 1, MAX_WINDOW);
        if (size === undefined || !Number.isInteger(size))
          throw new UsageError('window needs a size: seedance-flow window <storyboardId> <N>');
        const now = await setStoryboardWindow(client, target, size);
        if (!json) console.error(`window of ${t(target)} is now ${now}`);
        break;
      }
      case 'budget': {
        const limit = extra === undefined ? NaN : Number(/^\s*(\d+(?:\.\d+)?)\s*(?:[A-Za-z]{3}|tokens)?\s*$/.exec(extra)?.[1]);
        if (!(limit > 0))
          throw new UsageError("budget needs a positive amount in the storyboard's unit: seedance-flow budget <storyboardId> <N>");
        const now = await setStoryboardBudget(client, target, limit);
        if (json) console.log(boundedJson({ storyboardId: target, command, ok: true, budget: now }));
        else
          console.error(
            `budget of ${t(target)} is now ${now.limit} ${t(now.unit)}: ${now.spent} spent, ${now.reserved} reserved, ${now.remaining} remaining`,
          );
        return 0;
      }
    }
    if (json) console.log(boundedJson({ storyboardId: target, command, ok: true }));
    else console.error(`${command}: sent to ${t(target)}`);
    return 0;
  });
}

/** The budget `--budget` gives, else the file's. */
function budgetOf(flag: string | undefined, fromFile: Budget | undefined): Budget | undefined {
  if (flag === undefined) return fromFile;
  const budget = parseBudgetFlag(flag);
  if (!budget)
    throw new UsageError(`--budget must be tokens (500000) or an amount with its currency (12.50USD), got ${JSON.stringify(flag)}`);
  return budget;
}

/** The budget as the workflow takes it: a currency budget needs the price file, in its currency, pricing every shot's model. */
function runBudgetFor(budget: Budget, estimate: StoryboardEstimate | undefined, prices: Awaited<ReturnType<typeof loadPrices>>): RunBudget {
  try {
    const run = runBudget(budget, prices?.table, prices?.path);
    if ('prices' in run && estimate?.unpriced.length)
      throw new Error(
        `the price file ${prices?.path} has no price for ${estimate.unpriced.join(', ')}: a budget in ${run.currency} cannot count them`,
      );
    return run;
  } catch (err) {
    throw new UsageError(`budget: ${(err as Error).message}`);
  }
}

async function validate(file: string, json: boolean, options: CheckOptions): Promise<number> {
  const checked = await checkStoryboardFile(file, options);
  if (checked.problems.length) return printProblems(file, checked.problems, json);
  const shots = checked.storyboard?.shots.length ?? 0;
  if (json) console.log(boundedJson({ file, valid: true, storyboardId: checked.storyboard?.id, shots, problems: [] }));
  else console.log(`${t(file)}: valid storyboard ${t(checked.storyboard?.id)} with ${shots} shots`);
  return 0;
}

function printProblems(file: string, problems: { path: string; message: string }[], json: boolean): number {
  if (json) console.log(boundedJson({ file, valid: false, problems }));
  else {
    console.error(`${t(file)}: ${problems.length} problem${problems.length === 1 ? '' : 's'}, nothing was started`);
    for (const p of problems) console.error(`  ${p.path ? `${t(p.path)}: ` : ''}${terminalBlock(p.message)}`);
  }
  return 2;
}

async function launch(
  client: Client,
  config: Config,
  storage: StorageBackend,
  staged: StagedStoryboard,
  values: ReturnType<typeof parse>['values'],
  json: boolean,
  budget?: RunBudget,
  fromFile: {
    priority?: number | undefined;
    team?: string | undefined;
    onAudioPolicy?: AudioPolicy | undefined;
    mode?: StoryboardMode | undefined;
  } = {},
): Promise<number> {
  const tolerance: Tolerance = {};
  const maxFailures = numberFlag('max-failures', values['max-failures'], 0, Number.MAX_SAFE_INTEGER);
  const maxPercent = numberFlag('max-failure-percent', values['max-failure-percent'], 0, 100);
  if (maxFailures !== undefined) tolerance.maxFailures = Math.floor(maxFailures);
  if (maxPercent !== undefined) tolerance.maxFailurePercent = maxPercent;
  const window = numberFlag('window', values.window, 1, MAX_WINDOW);
  const priority = numberFlag('priority', values.priority, 1, 5) ?? fromFile.priority;
  const team = values.team ?? fromFile.team;
  const admission = admissionFor(config, {
    ...(priority !== undefined ? { priority: Math.floor(priority) } : {}),
    ...(team ? { group: team } : {}),
  });
  const mode = values.draft ? 'draft' : fromFile.mode;
  if (mode === 'draft' && staged.totalShots > MAX_DRAFT_SHOTS)
    throw new UsageError(
      `--draft takes at most ${MAX_DRAFT_SHOTS} shots (a review lives in one workflow run); this storyboard has ${staged.totalShots}`,
    );
  const input: RenderStoryboardInput = {
    ...staged,
    ...(mode ? { mode } : {}),
    tolerance,
    schedule: pollScheduleFromConfig(config),
    ...(window !== undefined ? { window: Math.floor(window) } : {}),
    ...(budget ? { budget } : {}),
    ...(admission ? { admission } : {}),
    ...(fromFile.onAudioPolicy ? { onAudioPolicy: fromFile.onAudioPolicy } : {}),
  };
  const handle = await startStoryboard(client, input, config.SEEDANCE_TASK_QUEUE);
  if (!values.wait) {
    if (json) console.log(boundedJson({ storyboardId: staged.storyboardId, workflowId: handle.workflowId, status: 'running' }));
    else
      console.error(
        `started storyboard ${t(staged.storyboardId)} (${staged.totalShots} shots); follow it with: seedance-flow status ${t(staged.storyboardId)}`,
      );
    return 0;
  }
  if (!json)
    console.error(
      `rendering storyboard ${t(staged.storyboardId)}: ${staged.totalShots} shots on task queue ${t(config.SEEDANCE_TASK_QUEUE)}`,
    );
  const printer = json ? undefined : createProgressPrinter();
  const watch = watchForWorkers(client, {
    taskQueue: config.SEEDANCE_TASK_QUEUE,
    address: temporalTarget(config).connectionOptions.address,
    // The warning gets a line of its own, not the middle of a redrawn progress bar.
    ...(printer ? { print: (line: string) => printer.note(line) } : {}),
  });
  const status = await followStoryboard(client, storage, staged.storyboardId, (p) => printer?.update(p)).finally(() => watch.stop());
  printer?.end();
  printStatus(status, json);
  return status.status === 'completed' && (status.counts?.failed ?? 0) === 0 && (status.counts?.not_started ?? 0) === 0 ? 0 : 1;
}

function printStatus(r: StoryboardStatus, json: boolean): void {
  if (json) {
    console.log(boundedJson(r));
    return;
  }
  const c = r.counts;
  console.log(`storyboard ${t(r.storyboardId)}: ${t(r.status)}${r.paused ? ` (PAUSED: ${t(r.pauseReason ?? '')})` : ''}`);
  if (c) {
    console.log(
      `  stored ${c.stored}  failed ${c.failed}  pending ${c.pending}  submitted ${c.submitted}  rendering ${c.rendering}  copying ${c.copying}` +
        `${c.not_started ? `  not started ${c.not_started}` : ''}  tokens ${r.tokensUsed ?? 0}`,
    );
  }
  if (r.budget) {
    const b = r.budget;
    const n = (v: number) => (b.unit === 'tokens' ? v.toLocaleString('en-US') : v.toFixed(2));
    console.log(`  budget ${n(b.limit)} ${t(b.unit)}: spent ${n(b.spent)}  reserved ${n(b.reserved)}  remaining ${n(b.remaining)}`);
  }
  if (r.review) printReview(r.review);
  if (r.manifestUrl) console.log(`  manifest ${t(r.manifestUrl, 2000)}`);
  for (const s of r.shots ?? []) {
    if ('failureType' in s && s.failureType)
      console.log(`  ${t(s.shotId)}: ${t(s.status)} ${t(failureLabel(s.failureType, s.failureStage))}: ${t(s.failureMessage ?? '')}`);
    else if (r.status === 'running' || s.status !== 'stored')
      console.log(`  ${t(s.shotId)}: ${t(s.status)}${'reason' in s && s.reason ? ` (${t(s.reason)})` : ''}`);
    if ('noDraftReason' in s && s.noDraftReason && !r.review) console.log(`  ${t(s.shotId)}: ${t(s.noDraftReason)}`);
    // A second paid task: said even for a stored shot, which otherwise gets no line once finished.
    if ('silentRetry' in s && s.silentRetry)
      console.log(
        `  ${t(s.shotId)}: rendered again without sound after task ${t(s.silentRetry.firstTaskId ?? '?')} was blocked for its audio (a second paid task)`,
      );
  }
  if (r.failureType) console.log(`  ${t(r.failureType)}: ${t(r.message ?? '')}`);
}

/** Draft mode: where the review stands, and what awaits approval. */
function printReview(review: ReviewView): void {
  const c = review.counts;
  const head = review.waitingForReview
    ? `WAITING FOR REVIEW: ${review.awaitingApproval.length} draft(s) awaiting approval`
    : review.finished
      ? 'review finished'
      : `review: ${review.awaitingApproval.length} draft(s) awaiting approval`;
  console.log(
    `  ${head}  (drafting ${c.drafting}  rendering final ${c.rendering_final}  final ${c.final}  direct ${c.direct}  not approved ${c.not_approved}  failed ${c.failed})`,
  );
  if (review.awaitingApproval.length)
    console.log(`  awaiting approval: ${review.awaitingApproval.map((s) => t(s)).join(', ')}  (approve | reject | finish-review)`);
  for (const s of review.shots) if (s.state === 'direct' && s.reason) console.log(`  ${t(s.shotId)}: ${t(s.reason)}`);
}

async function withClient(config: Config, fn: (client: Client) => Promise<number>): Promise<number> {
  const client = await connectClient(config);
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}
