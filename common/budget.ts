/**
 * Storyboard budgets: what a storyboard may spend, in tokens or in a currency, and how the
 * workflow counts against it. Before each submit the storyboard reserves the shot's estimate
 * (the top of its range); on completion the reservation settles to the actual usage. Pure:
 * the workflow imports this; the prices a currency budget needs travel in its input, so a
 * replay charges exactly what the first run charged.
 */
import { z } from 'zod';
import { sharedSchema } from './shared-schema';
import { estimateShot, type EstimableShot } from './estimate';
import { CurrencySchema, PriceTableSchema, costOf, pricePerMillion, type PriceTable } from './prices';

/** A budget as a storyboard file or `--budget` gives it. */
export const BudgetSchema = sharedSchema('budget.BudgetSchema', () =>
  z.union([
    z.object({ tokens: z.number().int().positive() }).strict(),
    z.object({ amount: z.number().positive().finite(), currency: CurrencySchema }).strict(),
  ]),
);
export type Budget = z.infer<typeof BudgetSchema>;

/**
 * A budget as renderStoryboard takes it: in tokens, or an amount with the price table it is
 * charged by (recorded in the input, so the workflow stays deterministic).
 */
export const RunBudgetSchema = sharedSchema('budget.RunBudgetSchema', () =>
  z.union([
    z.object({ tokens: z.number().int().positive() }).strict(),
    z.object({ amount: z.number().positive().finite(), currency: CurrencySchema, prices: PriceTableSchema }).strict(),
  ]),
);
export type RunBudget = z.infer<typeof RunBudgetSchema>;

/** Where a budget stands, carried through continue-as-new. Amounts are in the budget's unit. */
export const BudgetStateSchema = sharedSchema('budget.BudgetStateSchema', () =>
  z.object({
    limit: z.number().positive(),
    /** Settled spend of finished shots. */
    spent: z.number().min(0),
    /** Reservations of shots in flight, by shot id (a shot holds at most one). */
    reserved: z.record(z.string(), z.number().min(0)),
  }),
);
export type BudgetState = z.infer<typeof BudgetStateSchema>;

/** What progress, status and the report show about a budget. */
export interface BudgetView {
  /** `tokens` or the currency. */
  unit: string;
  limit: number;
  spent: number;
  reserved: number;
  remaining: number;
}

export function budgetUnit(budget: RunBudget | Budget): string {
  return 'tokens' in budget ? 'tokens' : budget.currency;
}

export function budgetLimit(budget: RunBudget | Budget): number {
  return 'tokens' in budget ? budget.tokens : budget.amount;
}

/** What `tokens` of this shot cost in the budget's unit (a model without a price is never launched: see {@link unpricedProblem}). */
export function charge(budget: RunBudget, shot: EstimableShot, tokens: number): number {
  if ('tokens' in budget) return tokens;
  return costOf(budget.prices, estimateShot(shot), tokens) ?? 0;
}

/** The reservation for a shot: the top of its estimate, in the budget's unit. */
export function reservationFor(budget: RunBudget, shot: EstimableShot): number {
  return charge(budget, shot, estimateShot(shot).tokens.max);
}

export function reservedTotal(state: BudgetState): number {
  return Object.values(state.reserved).reduce((a, b) => a + b, 0);
}

export function budgetView(budget: RunBudget, state: BudgetState): BudgetView {
  const reserved = reservedTotal(state);
  return { unit: budgetUnit(budget), limit: state.limit, spent: state.spent, reserved, remaining: state.limit - state.spent - reserved };
}

/**
 * Parses `--budget`: `500000` (tokens) or `12.50USD` / `12.50 USD` (an amount).
 *
 * @example
 *   parseBudgetFlag('500000'); // { tokens: 500000 }
 *   parseBudgetFlag('12.50USD'); // { amount: 12.5, currency: 'USD' }
 */
export function parseBudgetFlag(text: string): Budget | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([A-Za-z]{3}|tokens)?\s*$/.exec(text);
  if (!m) return undefined;
  const value = Number(m[1]);
  const unit = m[2];
  const parsed = BudgetSchema.safeParse(
    unit === undefined || unit === 'tokens' ? { tokens: value } : { amount: value, currency: unit.toUpperCase() },
  );
  return parsed.success ? parsed.data : undefined;
}

/** A budget given in a currency, with the prices the storyboard will be charged by; tokens pass as they are. */
export function runBudget(budget: Budget, prices: PriceTable | undefined, pricesPath: string | undefined): RunBudget {
  if ('tokens' in budget) return budget;
  if (!prices) throw new Error(`a budget in ${budget.currency} needs prices: set SEEDANCE_PRICES_FILE (see examples/prices.example.json)`);
  if (prices.currency !== budget.currency)
    throw new Error(`the budget is in ${budget.currency} but the prices in ${pricesPath ?? 'the price file'} are in ${prices.currency}`);
  return { ...budget, prices };
}

/** Why a currency budget cannot count this shot (its model has no price in the budget's table), or undefined when it can. */
export function unpricedProblem(budget: RunBudget, shot: EstimableShot): string | undefined {
  if ('tokens' in budget) return undefined;
  const e = estimateShot(shot);
  if (pricePerMillion(budget.prices, e.model, e.audio) !== undefined) return undefined;
  return `the budget's price table has no price for ${e.model}: a budget in ${budget.currency} cannot count this shot, so it was not submitted`;
}
