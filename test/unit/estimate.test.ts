/**
 * The estimator (common/estimate.ts) over the seeds' size table and the seeds' example usage,
 * the simulator's own copy of the table, price tables (common/prices.ts) and budgets
 * (common/budget.ts): parsing, charging, and what a storyboard file may say.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { budgetView, charge, parseBudgetFlag, reservationFor, runBudget } from '../../common/budget';
import {
  OUTPUT_SIZES,
  SIZE_RATIOS,
  SIZE_RESOLUTIONS,
  estimateShot,
  framesFor,
  modelGeneration,
  offEstimate,
  outputSize,
  videoTokens,
} from '../../common/estimate';
import { PriceTableSchema, costOf, costRange, pricePerMillion } from '../../common/prices';
import { validateStoryboard } from '../../common/storyboard';
import { SIMULATED_SIZES, completionTokens } from '../../simulator/usage';

const PRO_1_5 = 'doubao-seedance-1-5-pro-251215';
const PRO_1_0 = 'doubao-seedance-1-0-pro-250528';
const FAST_2_0 = 'doubao-seedance-2-0-fast-260128';

/** The seeds' table as printed in docs/provider/seeds/: rows `480p16:9864×480864×496` (1.0 column, then 1.5/2.0). */
function seedTable(): Map<string, [string, string]> {
  const dir = join(__dirname, '..', '..', 'docs', 'provider', 'seeds');
  const text = readFileSync(join(dir, 'tasks-family.txt'), 'utf8');
  const rows = new Map<string, [string, string]>();
  for (const m of text.matchAll(/^(480p|720p|1080p)(16:9|4:3|1:1|3:4|9:16|21:9)(\d+×\d+×\d+)$/gm)) {
    const [ratio, cells] = [m[2] as string, m[3] as string];
    rows.set(`${m[1]} ${ratio}`, splitCells(ratio, cells));
  }
  return rows;
}

/**
 * The two cells of a row whose digits run together (`1088×19201088×1920`): the split where both
 * cells have the row's aspect ratio (within 5%) and no number starts with 0.
 */
function splitCells(ratio: string, cells: string): [string, string] {
  const [rw, rh] = ratio.split(':').map(Number) as [number, number];
  const shaped = (cell: string) => {
    const [w, h] = cell.split('×').map(Number) as [number, number];
    return /^[1-9]\d*×[1-9]\d*$/.test(cell) && Math.abs(w / h / (rw / rh) - 1) < 0.05;
  };
  const [, middle] = cells.split('×') as [string, string, string];
  for (let cut = 1; cut < middle.length; cut++) {
    const first = cells.slice(0, cells.indexOf('×') + 1 + cut);
    const second = cells.slice(first.length);
    if (shaped(first) && shaped(second)) return [first, second];
  }
  throw new Error(`cannot split ${cells} into two ${ratio} sizes`);
}

describe('the size table', () => {
  const rows = seedTable();
  test('the seed file has all 18 rows', () => expect(rows.size).toBe(18));
  for (const resolution of SIZE_RESOLUTIONS) {
    for (const ratio of SIZE_RATIOS) {
      test(`${resolution} ${ratio}: both columns as the seed prints them, and the simulator's copy agrees`, () => {
        const [col10, col15] = rows.get(`${resolution} ${ratio}`) as [string, string];
        const show = (s: readonly [number, number] | undefined) => (s ? `${s[0]}×${s[1]}` : 'none');
        expect(show(outputSize('seedance-1.0', resolution, ratio))).toBe(col10);
        expect(show(outputSize('seedance-1.5+', resolution, ratio))).toBe(col15);
        expect(SIMULATED_SIZES['seedance-1.0'][resolution]?.[ratio]).toEqual(OUTPUT_SIZES['seedance-1.0'][resolution][ratio]);
        expect(SIMULATED_SIZES['seedance-1.5+'][resolution]?.[ratio]).toEqual(OUTPUT_SIZES['seedance-1.5+'][resolution][ratio]);
      });
    }
  }

  test('model generations: 1.0 pro and lite have their own column; 1.5 pro, 2.0 and 2.0 fast share one', () => {
    expect(modelGeneration(PRO_1_0)).toBe('seedance-1.0');
    expect(modelGeneration('doubao-seedance-1-0-lite-i2v-250428')).toBe('seedance-1.0');
    expect(modelGeneration(PRO_1_5)).toBe('seedance-1.5+');
    expect(modelGeneration('doubao-seedance-2-0-260128')).toBe('seedance-1.5+');
    expect(modelGeneration(FAST_2_0)).toBe('seedance-1.5+');
  });
});

describe('tokens', () => {
  test("the seed's example: 12 s, 720p, 16:9 on Seedance 1.5 pro reports 260,100 tokens", () => {
    // The seed's own response body says so.
    const seed = readFileSync(join(__dirname, '..', '..', 'docs', 'provider', 'seeds', 'tasks-family.txt'), 'utf8');
    expect(seed).toMatch(/"completion_tokens": 260100/);
    expect(framesFor(12)).toBe(289);
    expect(videoTokens(1280, 720, 289)).toBe(260_100);
    const shot = { model: PRO_1_5, duration: 12, resolution: '720p', ratio: '16:9' } as const;
    expect(estimateShot(shot)).toEqual({ model: PRO_1_5, api: 'tasks', audio: true, tokens: { min: 260_100, max: 260_100 } });
  });

  test('the simulator reports usage by the same formula and table, frames included', () => {
    const request = {
      model: PRO_1_5,
      prompt: 'x',
      resolution: '720p',
      ratio: '16:9',
      duration: 12,
      framespersecond: 24,
      returnLastFrame: false,
    };
    expect(completionTokens(request)).toBe(260_100);
    for (const model of [PRO_1_0, PRO_1_5, FAST_2_0]) {
      for (const resolution of SIZE_RESOLUTIONS) {
        for (const ratio of SIZE_RATIOS) {
          const byDuration = { ...request, model, resolution, ratio, duration: 7 };
          expect(completionTokens(byDuration)).toBe(estimateShot({ model, resolution, ratio, duration: 7 }).tokens.max);
          const { duration: _d, ...noDuration } = byDuration;
          expect(completionTokens({ ...noDuration, frames: 121 })).toBe(estimateShot({ model, resolution, ratio, frames: 121 }).tokens.max);
        }
      }
    }
  });

  test('Seedance 1.0 at 720p bills its own size: 1248 × 704', () => {
    expect(estimateShot({ model: PRO_1_0, resolution: '720p', ratio: '16:9', duration: 5 }).tokens.min).toBe(
      Math.round((1248 * 704 * 121) / 1024),
    );
  });

  test('defaults: 720p, 16:9, 5 s, audio on; frames win over duration', () => {
    expect(estimateShot({}).tokens.max).toBe(videoTokens(1280, 720, 121));
    expect(estimateShot({ frames: 29 }).tokens.max).toBe(videoTokens(1280, 720, 29));
    expect(estimateShot({ generate_audio: false }).audio).toBe(false);
  });

  test('adaptive ratio: min and max over the ratios of the resolution', () => {
    const { tokens } = estimateShot({ model: PRO_1_5, resolution: '720p', ratio: 'adaptive', duration: 5 });
    const pixels = SIZE_RATIOS.map((r) => OUTPUT_SIZES['seedance-1.5+']['720p'][r]).map(([w, h]) => w * h);
    expect(tokens).toEqual({ min: videoTokens(Math.min(...pixels), 1, 121), max: videoTokens(Math.max(...pixels), 1, 121) });
    expect(tokens.min).toBeLessThan(tokens.max);
  });

  test("duration -1: the family's range of durations", () => {
    expect(estimateShot({ model: PRO_1_5, duration: -1 }).tokens).toEqual({
      min: videoTokens(1280, 720, framesFor(2)),
      max: videoTokens(1280, 720, framesFor(12)),
    });
  });

  test('actual usage more than 10% off the estimate is flagged', () => {
    const range = { min: 1000, max: 2000 };
    expect(offEstimate(900, range)).toBe(false);
    expect(offEstimate(899, range)).toBe(true);
    expect(offEstimate(2200, range)).toBe(false);
    expect(offEstimate(2201, range)).toBe(true);
  });
});

describe('prices', () => {
  const example = PriceTableSchema.parse(JSON.parse(readFileSync(join(__dirname, '..', '..', 'examples', 'prices.example.json'), 'utf8')));

  test('the example price file is valid and prices the default models', () => {
    expect(pricePerMillion(example, PRO_1_5, true)).toEqual(expect.any(Number));
    expect(pricePerMillion(example, FAST_2_0, true)).toEqual(expect.any(Number));
  });

  test('by the longest matching key; without audio where it differs; unknown models have no price', () => {
    const table = PriceTableSchema.parse({
      currency: 'USD',
      models: {
        'doubao-seedance': { perMillionTokens: 9 },
        'doubao-seedance-1-5-pro': { perMillionTokens: 2, perMillionTokensWithoutAudio: 1 },
      },
    });
    expect(pricePerMillion(table, PRO_1_5, true)).toBe(2);
    expect(pricePerMillion(table, PRO_1_5, false)).toBe(1);
    expect(pricePerMillion(table, FAST_2_0, false)).toBe(9);
    expect(pricePerMillion(table, 'other-model', true)).toBeUndefined();
    const shot = estimateShot({ model: PRO_1_5, duration: 12 });
    expect(costOf(table, shot, 260_100)).toBeCloseTo(0.5202, 10);
    expect(costRange(table, shot)).toEqual({ min: 0.5202, max: 0.5202 });
  });

  test('a bad price table is refused with the path of each problem', () => {
    const bad = PriceTableSchema.safeParse({ currency: 'usd', models: { x: { perMillionTokens: -1, extra: 1 } } });
    expect(bad.success).toBe(false);
    const paths = bad.error?.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['currency', 'models.x.perMillionTokens', 'models.x']));
  });
});

describe('budgets', () => {
  test('--budget: tokens or an amount with its currency', () => {
    expect(parseBudgetFlag('500000')).toEqual({ tokens: 500_000 });
    expect(parseBudgetFlag('12.50USD')).toEqual({ amount: 12.5, currency: 'USD' });
    expect(parseBudgetFlag('12.50 eur')).toEqual({ amount: 12.5, currency: 'EUR' });
    for (const bad of ['', '-5', '0', '1.5', 'lots', '12 dollars']) expect(parseBudgetFlag(bad)).toBeUndefined();
  });

  test('a budget in a currency needs prices in that currency', () => {
    const prices = PriceTableSchema.parse({ currency: 'USD', models: { doubao: { perMillionTokens: 1 } } });
    expect(() => runBudget({ amount: 5, currency: 'USD' }, undefined, undefined)).toThrow(/SEEDANCE_PRICES_FILE/);
    expect(() => runBudget({ amount: 5, currency: 'EUR' }, prices, '/etc/prices.json')).toThrow(/\/etc\/prices\.json.*USD/);
    const budget = runBudget({ amount: 5, currency: 'USD' }, prices, undefined);
    expect(reservationFor(budget, { model: PRO_1_5, duration: 12 })).toBeCloseTo(0.2601, 10);
    expect(charge(budget, { model: PRO_1_5 }, 2_000_000)).toBe(2);
    expect(reservationFor({ tokens: 10 }, { model: PRO_1_5, duration: -1 })).toBe(videoTokens(1280, 720, framesFor(12)));
    expect(budgetView(budget, { limit: 5, spent: 1, reserved: { a: 0.5, b: 0.25 } })).toEqual({
      unit: 'USD',
      limit: 5,
      spent: 1,
      reserved: 0.75,
      remaining: 3.25,
    });
  });

  test('a storyboard file may carry a budget; a bad one is a problem at its path', () => {
    const shots = [{ id: 'a', prompt: 'x' }];
    expect(validateStoryboard({ id: 'b', budget: { tokens: 1000 }, shots }).storyboard?.budget).toEqual({ tokens: 1000 });
    expect(validateStoryboard({ id: 'b', budget: { amount: 2.5, currency: 'USD' }, shots }).storyboard?.budget).toEqual({
      amount: 2.5,
      currency: 'USD',
    });
    for (const budget of [{ tokens: -1 }, { amount: 5 }, { tokens: 5, amount: 5, currency: 'USD' }, 'lots']) {
      const { problems } = validateStoryboard({ id: 'b', budget, shots });
      expect(problems).toEqual([{ path: 'budget', message: expect.stringMatching(/tokens.*amount/) }]);
    }
  });
});
