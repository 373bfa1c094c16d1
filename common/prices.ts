/**
 * Prices per million tokens, by model, with and without audio: configuration, never the
 * truth in code (they differ by model, audio and tier, and they change). The file named by
 * SEEDANCE_PRICES_FILE holds a {@link PriceTable}; examples/prices.example.json is a
 * documented example with example values. Pure: the CLI reads the file, the workflow carries
 * the table it was started with.
 */
import { z } from 'zod';
import { sharedSchema } from './shared-schema';
import type { ShotEstimate, TokenRange } from './estimate';

const price = sharedSchema('prices.price', () => z.number().nonnegative().finite());

export const ModelPriceSchema = sharedSchema('prices.ModelPriceSchema', () =>
  z
    .object({
      /** Price per million tokens (with audio, where audio changes it). */
      perMillionTokens: price,
      /** Price per million tokens of a video without audio (`generate_audio: false`); absent: the same. */
      perMillionTokensWithoutAudio: price.optional(),
    })
    .strict(),
);
export type ModelPrice = z.infer<typeof ModelPriceSchema>;

/** ISO 4217-like currency code: three capital letters. */
export const CurrencySchema = sharedSchema('prices.CurrencySchema', () =>
  z.string().regex(/^[A-Z]{3}$/, 'currency must be three capital letters, e.g. USD'),
);

export const PriceTableSchema = sharedSchema('prices.PriceTableSchema', () =>
  z
    .object({
      /** Free text for people (where the values come from, when they were checked); ignored. */
      comment: z.string().max(2000).optional(),
      currency: CurrencySchema,
      /**
       * By model id, or a prefix of model ids (`doubao-seedance-1-5-pro` prices
       * `doubao-seedance-1-5-pro-251215`); the longest matching key wins.
       */
      models: z.record(z.string().min(1).max(200), ModelPriceSchema).refine((m) => Object.keys(m).length > 0, 'name at least one model'),
    })
    .strict(),
);
export type PriceTable = z.infer<typeof PriceTableSchema>;

/** The price per million tokens of `model` (with or without audio), or undefined when the table has none. */
export function pricePerMillion(table: PriceTable, model: string, audio: boolean): number | undefined {
  let best: string | undefined;
  for (const key of Object.keys(table.models)) {
    if ((model === key || model.startsWith(key)) && (best === undefined || key.length > best.length)) best = key;
  }
  if (best === undefined) return undefined;
  const entry = table.models[best] as ModelPrice;
  return audio ? entry.perMillionTokens : (entry.perMillionTokensWithoutAudio ?? entry.perMillionTokens);
}

/** Cost of `tokens` for a shot, or undefined when its model has no price. */
export function costOf(table: PriceTable, shot: Pick<ShotEstimate, 'model' | 'audio'>, tokens: number): number | undefined {
  const perMillion = pricePerMillion(table, shot.model, shot.audio);
  return perMillion === undefined ? undefined : (tokens * perMillion) / 1_000_000;
}

/** A shot's estimated cost as a range, or undefined when its model has no price. */
export function costRange(table: PriceTable, shot: ShotEstimate): TokenRange | undefined {
  const min = costOf(table, shot, shot.tokens.min);
  const max = costOf(table, shot, shot.tokens.max);
  return min === undefined || max === undefined ? undefined : { min, max };
}

/** `12.5` in USD as `12.50 USD`. */
export function formatAmount(amount: number, currency: string): string {
  return `${amount.toFixed(2)} ${currency}`;
}
