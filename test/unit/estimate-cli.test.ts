/**
 * `seedance-flow estimate` and what `render` does before it spends, run as a user runs them
 * (the CLI as a child process, no terminal): the estimate per shot and in total, with and
 * without a price file; a real API key and an estimate above SEEDANCE_CONFIRM_ABOVE without
 * `--yes` refuses and stages nothing; budgets in a currency need the price file. Also the price
 * file loader and the threshold rules directly.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError } from '../../common/config';
import { estimateShot } from '../../common/estimate';
import { validateStoryboard, type ParsedStoryboard, type StoryboardProgress } from '../../common/storyboard';
import { parseStoryboardText } from '../../common/storyboard-text';
import { confirmSpend, estimateStoryboard, passesThreshold, spendsMoney, type StoryboardEstimate } from '../../client/estimate';
import { loadPrices } from '../../client/prices';
import { progressLine } from '../../client/progress-view';

jest.setTimeout(60_000);

const run = promisify(execFile);
const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/seedance-flow.js');
const EXAMPLE = path.join(ROOT, 'examples/lighthouse-keeper.yaml');
const PRICES = path.join(ROOT, 'examples/prices.example.json');

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'estimate-cli-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(GPTPROTO_|SEEDANCE_|STORAGE_URL|TEMPORAL_)/.test(k)));
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      // Nothing listens here: a command that tried to reach Temporal would fail, not hang.
      env: { ...clean, STORAGE_URL: `file://${dir}/renders`, TEMPORAL_ADDRESS: '127.0.0.1:1', ...env },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The example's shots as the CLI reads them (images aside: they do not change the estimate). */
function exampleStoryboard(): ParsedStoryboard {
  const parsed = parseStoryboardText(readFileSync(EXAMPLE, 'utf8'), EXAMPLE);
  return validateStoryboard(parsed.doc).storyboard as ParsedStoryboard;
}

/** The example's total: every shot has a fixed ratio and duration (or frames), so it is exact. */
const EXAMPLE_TOKENS = exampleStoryboard().shots.reduce((sum, shot) => sum + estimateShot(shot).tokens.max, 0);

describe('seedance-flow estimate', () => {
  test('per shot and total tokens; without a price file the cost is unknown and says why', async () => {
    const r = await cli(['estimate', EXAMPLE, '--json']);
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout) as StoryboardEstimate;
    const board = exampleStoryboard();
    expect(e.shots.map((s) => s.shotId)).toEqual(board.shots.map((s) => s.id));
    for (const [i, s] of e.shots.entries()) expect(s.tokens).toEqual(estimateShot(board.shots[i] as ParsedStoryboard['shots'][0]).tokens);
    expect(e.tokens.max).toBe(e.shots.reduce((a, s) => a + s.tokens.max, 0));
    expect(e.cost).toBeUndefined();
    expect(e.costUnknown).toMatch(/SEEDANCE_PRICES_FILE/);
    expect(e.tokens).toEqual({ min: EXAMPLE_TOKENS, max: EXAMPLE_TOKENS });
  });

  test('with the example price file: cost per shot and in total, in its currency', async () => {
    const r = await cli(['estimate', EXAMPLE, '--json'], { SEEDANCE_PRICES_FILE: PRICES });
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout) as StoryboardEstimate;
    expect(e.currency).toBe('USD');
    // 1.5 pro with audio at the example's 2.4 per million.
    expect(e.shots[0]?.cost?.max).toBeCloseTo((108_900 * 2.4) / 1e6, 10);
    // The total is the sum of the shots' costs, each model at its own price.
    expect(e.cost?.max).toBeCloseTo(
      e.shots.reduce((sum, s) => sum + (s.cost?.max ?? NaN), 0),
      10,
    );
    const dreamina = e.shots.find((s) => s.model.startsWith('dreamina-seedance-2-0'));
    expect(dreamina?.cost?.max).toBeCloseTo(((dreamina?.tokens.max ?? NaN) * 4) / 1e6, 10);
  });

  test('as text: a line per shot, then the total', async () => {
    const r = await cli(['estimate', EXAMPLE]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(11);
    expect(lines[0]).toMatch(/s01-establishing .*108,900 tokens/);
    expect(lines[10]).toContain(`10 shots, ${EXAMPLE_TOKENS.toLocaleString('en-US')} tokens, cost unknown`);
  });

  test('--draft: what is spent up front (480p drafts, finals of models without a draft mode), the finals only as approved', async () => {
    const r = await cli(['estimate', EXAMPLE, '--draft', '--json'], { SEEDANCE_PRICES_FILE: PRICES });
    expect(r.code).toBe(0);
    const e = JSON.parse(r.stdout) as StoryboardEstimate;
    const doc = validateStoryboard(parseStoryboardText(readFileSync(EXAMPLE, 'utf8'), EXAMPLE).doc).storyboard as ParsedStoryboard;
    // The example's Seedance 2.0 shots have no draft mode: their finals are rendered directly.
    const direct = doc.shots.filter((s) => /seedance-2-0/.test(s.model ?? ''));
    expect(e.upFront).toMatchObject({ drafts: doc.shots.length - direct.length, direct: direct.length });
    const expected = doc.shots.reduce((sum, s) => sum + estimateShot(direct.includes(s) ? s : { ...s, resolution: '480p' }).tokens.max, 0);
    expect(e.upFront?.tokens.max).toBe(expected);
    expect(e.upFront?.tokens.max).toBeLessThan(e.tokens.max);
    expect(e.upFront?.cost?.max).toBeLessThan(e.cost?.max as number);
    // Without draft mode there is no up-front split.
    const plain = JSON.parse((await cli(['estimate', EXAMPLE, '--json'])).stdout) as StoryboardEstimate;
    expect(plain.upFront).toBeUndefined();
    const text = await cli(['estimate', EXAMPLE, '--draft']);
    expect(text.stdout).toContain(
      `draft mode spends ${expected.toLocaleString('en-US')} tokens up front (${e.upFront?.drafts} drafts at 480p and ${direct.length} finals of models without a draft mode), the finals only as they are approved`,
    );
  });

  test('a bad price file is a configuration error naming the file and the path inside it', async () => {
    const bad = path.join(dir, 'bad-prices.json');
    writeFileSync(bad, JSON.stringify({ currency: 'USD', models: { x: { perMillionTokens: -1 } } }));
    const r = await cli(['estimate', EXAMPLE], { SEEDANCE_PRICES_FILE: bad });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`SEEDANCE_PRICES_FILE (${bad}): models.x.perMillionTokens`);
  });
});

describe('render before it spends', () => {
  const realKey = { GPTPROTO_API_KEY: 'sk-real', SEEDANCE_API_BASE_URL: 'https://api.example.com' };

  test('a real key, no terminal and no --yes: refuses, says how to go on, stages nothing', async () => {
    const r = await cli(['render', EXAMPLE], realKey);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`estimate for lighthouse-keeper: 10 shots, ${EXAMPLE_TOKENS.toLocaleString('en-US')} tokens`);
    expect(r.stderr).toMatch(/pass --yes.*Nothing was started/);
    expect(readdirSync(dir)).not.toContain('renders');
  });

  test('a budget in a currency without a price file is refused before anything starts', async () => {
    const r = await cli(['render', EXAMPLE, '--budget', '12.50USD', '--yes']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/budget: a budget in USD needs prices: set SEEDANCE_PRICES_FILE/);
  });

  test('a budget flag that is neither tokens nor an amount is a usage error', async () => {
    const r = await cli(['render', EXAMPLE, '--budget', 'lots']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--budget must be tokens/);
  });
});

describe('the rules', () => {
  const estimate = estimateStoryboard(exampleStoryboard(), undefined);

  test('only a key with a non-loopback base URL spends money', () => {
    expect(spendsMoney({ GPTPROTO_API_KEY: 'k', SEEDANCE_API_BASE_URL: 'https://gptproto.com' })).toBe(true);
    expect(spendsMoney({ GPTPROTO_API_KEY: undefined, SEEDANCE_API_BASE_URL: 'https://gptproto.com' })).toBe(false);
    expect(spendsMoney({ GPTPROTO_API_KEY: 'k', SEEDANCE_API_BASE_URL: 'http://127.0.0.1:8787' })).toBe(false);
    expect(spendsMoney({ GPTPROTO_API_KEY: 'k', SEEDANCE_API_BASE_URL: 'http://localhost:8787' })).toBe(false);
    expect(spendsMoney({ GPTPROTO_API_KEY: 'k', SEEDANCE_API_BASE_URL: 'http://[::1]:8787' })).toBe(false);
  });

  test('thresholds in tokens, or in a currency only when the cost in it is known', () => {
    expect(passesThreshold(estimate, '0')).toBe(true);
    expect(passesThreshold(estimate, String(EXAMPLE_TOKENS))).toBe(false);
    expect(passesThreshold(estimate, String(EXAMPLE_TOKENS - 1))).toBe(true);
    // No cost known: a currency threshold cannot be shown to hold.
    expect(passesThreshold(estimate, '1000USD')).toBe(true);
    const priced = { ...estimate, cost: { min: 2.6, max: 2.6 }, currency: 'USD' };
    expect(passesThreshold(priced, '5USD')).toBe(false);
    expect(passesThreshold(priced, '2usd')).toBe(true);
    expect(passesThreshold(priced, '5EUR')).toBe(true);
  });

  test('confirmation: not needed on the simulator, below the threshold or with --yes; asked on a terminal; refused without one', async () => {
    const real = { GPTPROTO_API_KEY: 'k', SEEDANCE_API_BASE_URL: 'https://gptproto.com', SEEDANCE_CONFIRM_ABOVE: '0' };
    expect(await confirmSpend(estimate, real, { yes: false, interactive: false })).toBe('refused-no-terminal');
    expect(await confirmSpend(estimate, real, { yes: true, interactive: false })).toBe('not-needed');
    expect(await confirmSpend(estimate, { ...real, SEEDANCE_CONFIRM_ABOVE: '2000000' }, { yes: false, interactive: false })).toBe(
      'not-needed',
    );
    // On a terminal: only yes (or y) starts; anything else, an empty answer included, does not.
    const questions: string[] = [];
    const answering = (answer: string) => ({
      yes: false,
      interactive: true,
      ask: async (q: string) => {
        questions.push(q);
        return answer;
      },
    });
    expect(await confirmSpend(estimate, real, answering('y'))).toBe('confirmed');
    expect(await confirmSpend(estimate, real, answering(' YES '))).toBe('confirmed');
    expect(await confirmSpend(estimate, real, answering(''))).toBe('declined');
    expect(await confirmSpend(estimate, real, answering('sure'))).toBe('declined');
    expect(questions[0]).toBe('This spends real money on gptproto.com. Start? [y/N] ');
    const sim = { ...real, SEEDANCE_API_BASE_URL: 'http://127.0.0.1:8787' };
    expect(await confirmSpend(estimate, sim, { yes: false, interactive: false })).toBe('not-needed');
  });

  test('the price file may be YAML; unset means no prices; unreadable is an error with its path', async () => {
    const yaml = path.join(dir, 'prices.yaml');
    writeFileSync(yaml, 'currency: EUR\nmodels:\n  doubao-seedance-1-5-pro: { perMillionTokens: 2, perMillionTokensWithoutAudio: 1 }\n');
    expect((await loadPrices({ SEEDANCE_PRICES_FILE: yaml }))?.table.currency).toBe('EUR');
    expect(await loadPrices({ SEEDANCE_PRICES_FILE: undefined })).toBeUndefined();
    const missing = path.join(dir, 'missing.json');
    await expect(loadPrices({ SEEDANCE_PRICES_FILE: missing })).rejects.toThrow(ConfigError);
    await expect(loadPrices({ SEEDANCE_PRICES_FILE: missing })).rejects.toThrow(missing);
  });
});

test('the live progress line shows the budget: spent, reserved, limit and what is left', () => {
  const p: StoryboardProgress = {
    storyboardId: 'b',
    totalShots: 10,
    counts: { pending: 3, submitted: 0, rendering: 0, copying: 0, stored: 7, failed: 0 },
    shots: {},
    tokensUsed: 700,
    window: 3,
    paused: true,
    pauseReason: 'budget',
    toleranceExceeded: false,
    runs: 1,
    startedAt: 0,
    done: false,
    budget: { unit: 'tokens', limit: 750, spent: 700, reserved: 0, remaining: 50 },
  };
  expect(progressLine(p, 1000)).toMatch(/budget 700\+0 reserved of 750 tokens \(50 left\) \|.*PAUSED: budget/);
  expect(progressLine({ ...p, budget: undefined }, 1000)).not.toContain('budget 700');
});
