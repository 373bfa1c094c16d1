import type { SimulatorCallbacks, SimulatorConfig, SimulatorConfigPatch, SimulatorRates } from './types';

/** Defaults: a well-behaved provider that renders in 3 s and keeps outputs for 24 h. */
export const DEFAULT_CONFIG: Readonly<SimulatorConfig> = Object.freeze({
  renderMs: 3000,
  queueMs: 200,
  statusNames: 'standard',
  numbersAsStrings: true,
  outputTtlMs: 24 * 60 * 60 * 1000,
  rates: Object.freeze({ rateLimit: 0, serverError: 0, failed: 0, expired: 0, contentPolicy: 0, audioPolicy: 0 }),
  randomSeed: 1,
  retryAfterSeconds: 1,
  callbacks: Object.freeze({
    timeoutMs: 5000,
    retries: 3,
    retryDelayMs: 1000,
    delayMs: 0,
    lossRate: 0,
    duplicateRate: 0,
    lateRate: 0,
    lateMs: 0,
    forgeRate: 0,
  }),
  listRetentionMs: 7 * 24 * 60 * 60 * 1000,
  accountConcurrency: null,
  maxTasksInFlight: null,
  clips: 'sample',
});

const RATE_KEYS: ReadonlyArray<keyof SimulatorRates> = ['rateLimit', 'serverError', 'failed', 'expired', 'contentPolicy', 'audioPolicy'];

/**
 * Applies a patch to a configuration and returns a new, validated configuration.
 * Accepts `unknown` because patches also arrive as JSON over `POST /__sim/config`;
 * throws a `TypeError`/`RangeError` naming the offending field.
 */
export function applyConfigPatch(base: SimulatorConfig, patch: SimulatorConfigPatch | unknown): SimulatorConfig {
  if (!isRecord(patch)) throw new TypeError('config patch must be a JSON object');
  const next: SimulatorConfig = { ...base, rates: { ...base.rates }, callbacks: { ...base.callbacks } };
  for (const [key, value] of Object.entries(patch)) {
    switch (key) {
      case 'renderMs':
      case 'queueMs':
      case 'outputTtlMs':
      case 'listRetentionMs':
        next[key] = nonNegative(key, value);
        break;
      case 'randomSeed':
        if (typeof value !== 'number' || !Number.isInteger(value)) throw new TypeError('randomSeed must be an integer');
        next.randomSeed = value;
        break;
      case 'statusNames':
        if (value !== 'standard' && value !== 'gateway') throw new TypeError("statusNames must be 'standard' or 'gateway'");
        next.statusNames = value;
        break;
      case 'numbersAsStrings':
        if (typeof value !== 'boolean') throw new TypeError('numbersAsStrings must be a boolean');
        next.numbersAsStrings = value;
        break;
      case 'accountConcurrency':
      case 'maxTasksInFlight':
        next[key] = value === null ? null : Math.max(1, Math.floor(nonNegative(key, value)));
        break;
      case 'retryAfterSeconds':
        next.retryAfterSeconds = value === null ? null : nonNegative(key, value);
        break;
      case 'clips':
        if (value !== 'sample' && value !== 'labelled') throw new TypeError("clips must be 'sample' or 'labelled'");
        next.clips = value;
        break;
      case 'rates':
        next.rates = applyRates(next.rates, value);
        break;
      case 'callbacks':
        next.callbacks = applyCallbacks(next.callbacks, value);
        break;
      default:
        // A typo in a test's configuration would otherwise silently do nothing.
        throw new TypeError(`unknown config field: ${key}`);
    }
  }
  return next;
}

function applyRates(base: SimulatorRates, patch: unknown): SimulatorRates {
  if (!isRecord(patch)) throw new TypeError('rates must be an object');
  const next = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const rateKey = RATE_KEYS.find((k) => k === key);
    if (rateKey === undefined) throw new TypeError(`unknown rate: ${key}`);
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new RangeError(`rates.${key} must be a probability between 0 and 1`);
    }
    next[rateKey] = value;
  }
  return next;
}

const CALLBACK_RATES = ['lossRate', 'duplicateRate', 'lateRate', 'forgeRate'] as const;
const CALLBACK_TIMES = ['timeoutMs', 'retries', 'retryDelayMs', 'delayMs', 'lateMs'] as const;

function applyCallbacks(base: SimulatorCallbacks, patch: unknown): SimulatorCallbacks {
  if (!isRecord(patch)) throw new TypeError('callbacks must be an object');
  const next = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const rate = CALLBACK_RATES.find((k) => k === key);
    const time = CALLBACK_TIMES.find((k) => k === key);
    if (rate !== undefined) {
      if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
        throw new RangeError(`callbacks.${key} must be a probability between 0 and 1`);
      }
      next[rate] = value;
    } else if (time !== undefined) {
      next[time] = nonNegative(`callbacks.${key}`, value);
    } else {
      throw new TypeError(`unknown callbacks field: ${key}`);
    }
  }
  return next;
}

function nonNegative(name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new RangeError(`${name} must be a non-negative number`);
  }
  return value;
}

/** True for plain JSON objects (not arrays, not null). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
