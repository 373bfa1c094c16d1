/** The queue of scripted faults and the validation of faults received as JSON. */
import { isRecord } from './config';
import type { Fault, FaultTarget } from './types';

/** The kinds of request a fault can target (`any` matches them all). */
export type RequestKind = Exclude<FaultTarget, 'any'>;

const TARGETS: readonly FaultTarget[] = ['submit', 'get', 'list', 'download', 'cancel', 'any'];

interface QueuedFault {
  fault: Fault;
  remaining: number;
}

/** Faults consumed in order by the requests they match. */
export class FaultQueue {
  private queue: QueuedFault[] = [];

  /** Appends faults after validating them (throws on an invalid one, adding none). */
  add(faults: readonly unknown[]): void {
    const valid = faults.map(parseFault);
    for (const fault of valid) this.queue.push({ fault, remaining: fault.times ?? 1 });
  }

  /** Takes one use of the first fault matching `kind`, if any. */
  take(kind: RequestKind): Fault | undefined {
    const index = this.queue.findIndex((q) => q.fault.on === 'any' || q.fault.on === kind);
    const entry = this.queue[index];
    if (entry === undefined) return undefined;
    entry.remaining -= 1;
    if (entry.remaining <= 0) this.queue.splice(index, 1);
    return entry.fault;
  }

  /** Number of fault uses still queued. */
  get pending(): number {
    return this.queue.reduce((sum, q) => sum + q.remaining, 0);
  }

  clear(): void {
    this.queue = [];
  }
}

/**
 * Whether a fault produces an error answer of its own. A fault that only delays, hangs,
 * accepts-then-hangs, accepts-then-drops or is malformed does not; a bare `{on}` does (a 500).
 */
export function faultAnswersError(fault: Fault): boolean {
  if (fault.hang || fault.acceptThenHang || fault.acceptThenDrop || fault.malformed) return false;
  const onlyDelays = fault.delayMs !== undefined;
  return fault.status !== undefined || fault.body !== undefined || fault.retryAfter !== undefined || !onlyDelays;
}

/** Checks one fault received from an untyped source. */
export function parseFault(value: unknown): Fault {
  if (!isRecord(value)) throw new TypeError('a fault must be an object');
  const on = value['on'];
  if (typeof on !== 'string' || !TARGETS.includes(on as FaultTarget)) {
    throw new TypeError(`fault.on must be one of ${TARGETS.join(', ')}`);
  }
  const fault: Fault = { on: on as FaultTarget };
  for (const [key, v] of Object.entries(value)) {
    switch (key) {
      case 'on':
        break;
      case 'status':
        if (typeof v !== 'number' || !Number.isInteger(v) || v < 100 || v > 599) {
          throw new RangeError('fault.status must be an HTTP status code');
        }
        fault.status = v;
        break;
      case 'retryAfter':
      case 'times':
      case 'delayMs':
        if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new RangeError(`fault.${key} must be >= 0`);
        fault[key] = v;
        break;
      case 'body':
        if (typeof v !== 'string') throw new TypeError('fault.body must be a string');
        fault.body = v;
        break;
      case 'hang':
      case 'acceptThenHang':
      case 'acceptThenDrop':
      case 'malformed':
        if (typeof v !== 'boolean') throw new TypeError(`fault.${key} must be a boolean`);
        fault[key] = v;
        break;
      default:
        throw new TypeError(`unknown fault field: ${key}`);
    }
  }
  return fault;
}
