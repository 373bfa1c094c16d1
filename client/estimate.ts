/**
 * A storyboard's estimate before anything is spent (`seedance-flow estimate`, and the line
 * `render` and `demo` print first): tokens per shot and in total, their cost when a price file
 * prices the models, and whether `render` must ask before it starts spending.
 */
import { createInterface } from 'node:readline/promises';
import { budgetLimit, budgetUnit, type Budget } from '../common/budget';
import type { Config } from '../common/config';
import { addRanges, estimateShot, type TokenRange } from '../common/estimate';
import { costRange, formatAmount, type PriceTable } from '../common/prices';
import type { ParsedStoryboard } from '../common/storyboard';
import { DRAFT_RESOLUTION, noDraftReason, type StoryboardMode } from '../common/review';
import { terminalText as t } from '../common/terminal-text';

export interface ShotCostEstimate {
  shotId: string;
  model: string;
  audio: boolean;
  tokens: TokenRange;
  /** In the price file's currency; absent when the model has no price (or there is no price file). */
  cost?: TokenRange;
}

export interface StoryboardEstimate {
  storyboardId: string;
  shots: ShotCostEstimate[];
  tokens: TokenRange;
  /** The total cost, when every shot's model has a price. */
  cost?: TokenRange;
  currency?: string;
  /** Models the price file has no price for (cost unknown). */
  unpriced: string[];
  /** Why there is no cost: no price file, or models without a price. */
  costUnknown?: string;
  budget?: Budget;
  /**
   * Draft mode: what is spent before anyone approves anything (each eligible shot's 480p draft,
   * and the finals of shots whose model has no draft mode); `tokens` and `cost` above are what
   * approving every draft would add to it at most.
   */
  upFront?: { drafts: number; direct: number; tokens: TokenRange; cost?: TokenRange };
}

/**
 * Estimates every shot of a checked storyboard.
 *
 * @example
 *   const estimate = estimateStoryboard(checked.storyboard, prices?.table);
 *   console.log(formatEstimate(estimate));
 */
export function estimateStoryboard(
  storyboard: ParsedStoryboard,
  prices: PriceTable | undefined,
  budget?: Budget,
  mode: StoryboardMode = storyboard.mode ?? 'final',
): StoryboardEstimate {
  const unpriced = new Set<string>();
  const shots = storyboard.shots.map((shot): ShotCostEstimate => {
    const e = estimateShot(shot);
    const cost = prices ? costRange(prices, e) : undefined;
    if (prices && !cost) unpriced.add(e.model);
    return { shotId: shot.id, model: e.model, audio: e.audio, tokens: e.tokens, ...(cost ? { cost } : {}) };
  });
  const out: StoryboardEstimate = {
    storyboardId: storyboard.id,
    shots,
    tokens: addRanges(shots.map((s) => s.tokens)),
    unpriced: [...unpriced].sort(),
    ...(budget ? { budget } : {}),
  };
  if (mode === 'draft') out.upFront = upFrontOfDrafts(storyboard, prices);
  if (!prices) out.costUnknown = 'no price file: set SEEDANCE_PRICES_FILE (see examples/prices.example.json)';
  else if (unpriced.size) out.costUnknown = `no price for ${out.unpriced.join(', ')} in the price file`;
  else {
    out.cost = addRanges(shots.map((s) => s.cost as TokenRange));
    out.currency = prices.currency;
  }
  return out;
}

/** Draft mode's spend before any approval: drafts of the shots that have a draft mode, finals of the others. */
function upFrontOfDrafts(storyboard: ParsedStoryboard, prices: PriceTable | undefined): NonNullable<StoryboardEstimate['upFront']> {
  let drafts = 0;
  const estimates = storyboard.shots.map((shot) => {
    const fields = { prompt: shot.prompt, ...(shot.api ? { api: shot.api } : {}), ...(shot.model ? { model: shot.model } : {}) };
    if (noDraftReason(fields)) return estimateShot(shot);
    drafts++;
    return estimateShot({ ...shot, resolution: DRAFT_RESOLUTION });
  });
  const costs = prices ? estimates.map((e) => costRange(prices, e)) : [];
  const priced = prices !== undefined && costs.every((c) => c !== undefined);
  return {
    drafts,
    direct: storyboard.shots.length - drafts,
    tokens: addRanges(estimates.map((e) => e.tokens)),
    ...(priced ? { cost: addRanges(costs as TokenRange[]) } : {}),
  };
}

const range = (r: TokenRange, show: (n: number) => string) => (r.min === r.max ? show(r.max) : `${show(r.min)}-${show(r.max)}`);
const tokensText = (r: TokenRange) => `${range(r, (n) => n.toLocaleString('en-US'))} tokens`;

/** One line: `estimate: 10 shots, 1,089,000 tokens, 2.61 USD (example prices ...)`. */
export function estimateLine(e: StoryboardEstimate): string {
  const cost = e.cost && e.currency ? range(e.cost, (n) => formatAmount(n, e.currency as string)) : `cost unknown (${e.costUnknown})`;
  const budget = e.budget ? `; budget ${budgetLimit(e.budget).toLocaleString('en-US')} ${budgetUnit(e.budget)}` : '';
  return `estimate for ${t(e.storyboardId)}: ${e.shots.length} shots, ${tokensText(e.tokens)}, ${cost}${budget}${upFrontText(e)}`;
}

/** Draft mode: what is spent before anything is approved, and that the finals come only with approval. */
function upFrontText(e: StoryboardEstimate): string {
  const u = e.upFront;
  if (!u) return '';
  const cost = u.cost && e.currency ? `, ${range(u.cost, (n) => formatAmount(n, e.currency as string))}` : '';
  const direct = u.direct ? ` and ${u.direct} final${u.direct === 1 ? '' : 's'} of models without a draft mode` : '';
  return `; draft mode spends ${tokensText(u.tokens)}${cost} up front (${u.drafts} draft${u.drafts === 1 ? '' : 's'} at ${DRAFT_RESOLUTION}${direct}), the finals only as they are approved`;
}

/** The estimate as a table, a line per shot, then the total. */
export function formatEstimate(e: StoryboardEstimate): string {
  const lines = e.shots.map(
    (s) =>
      `  ${t(s.shotId)}  ${t(s.model)}${s.audio ? '' : ' (no audio)'}  ${tokensText(s.tokens)}` +
      (s.cost && e.currency ? `  ${range(s.cost, (n) => formatAmount(n, e.currency as string))}` : ''),
  );
  return [...lines, estimateLine(e)].join('\n');
}

/** Whether this configuration spends real money: an API key, and a base URL that is not a simulator on this machine. */
export function spendsMoney(config: Pick<Config, 'GPTPROTO_API_KEY' | 'SEEDANCE_API_BASE_URL'>): boolean {
  if (!config.GPTPROTO_API_KEY) return false;
  const host = new URL(config.SEEDANCE_API_BASE_URL).hostname.replace(/^\[|\]$/g, '');
  return !(host === 'localhost' || /^127\./.test(host) || host === '::1');
}

/**
 * Whether the estimate's top passes SEEDANCE_CONFIRM_ABOVE: tokens, or an amount in the price
 * file's currency. A threshold in a currency with no cost known (no price file, unpriced
 * models, another currency) counts as passed: the estimate cannot show it is below.
 */
export function passesThreshold(e: StoryboardEstimate, threshold: string): boolean {
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]{3})?$/.exec(threshold.trim());
  if (!m) return true;
  const limit = Number(m[1]);
  if (!m[2]) return e.tokens.max > limit;
  if (!e.cost || e.currency !== m[2].toUpperCase()) return true;
  return e.cost.max > limit;
}

export type Confirmation = 'not-needed' | 'confirmed' | 'declined' | 'refused-no-terminal';

/**
 * Before `render` starts spending: with a real key and an estimate above the threshold, asks on
 * a terminal; without one (a script, CI) it refuses unless `--yes` was given, so nothing is
 * spent silently.
 */
export async function confirmSpend(
  e: StoryboardEstimate,
  config: Pick<Config, 'GPTPROTO_API_KEY' | 'SEEDANCE_API_BASE_URL' | 'SEEDANCE_CONFIRM_ABOVE'>,
  options: { yes: boolean; interactive: boolean; ask?: (question: string) => Promise<string> },
): Promise<Confirmation> {
  if (options.yes || !spendsMoney(config) || !passesThreshold(e, config.SEEDANCE_CONFIRM_ABOVE)) return 'not-needed';
  if (!options.interactive) return 'refused-no-terminal';
  const answer = await (options.ask ?? askOnTerminal)(
    `This spends real money on ${t(new URL(config.SEEDANCE_API_BASE_URL).host)}. Start? [y/N] `,
  );
  return /^y(es)?$/i.test(answer.trim()) ? 'confirmed' : 'declined';
}

async function askOnTerminal(question: string): Promise<string> {
  const rl = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return await rl.question(question);
  } finally {
    rl.close();
  }
}
