/**
 * The part of a submit both families share: validation result, directives, refusals that
 * create no task (content policy, balance, permission), then task creation.
 */
import { parseDirectives } from './directives';
import { resolveFinal } from './drafts';
import { errors } from './errors';
import type { SimResponse } from './http-io';
import type { SimulatorState } from './state';
import type { SimTask } from './task';
import type { ApiFamily } from './types';
import type { RequestResult } from './validation';

/** A created task, or the error answer that replaces it. */
export type Admission = { task: SimTask } | { refusal: SimResponse };

/** Turns a validated request into a task unless its directives refuse it at submit. */
export function admit(state: SimulatorState, family: ApiFamily, parsed: RequestResult, now: number): Admission {
  if (!parsed.ok) return { refusal: errors.invalidParameter(parsed.message) };
  // A final from a draft takes the draft's settings (and its prompt, directives included).
  const request = resolveFinal(state, parsed.value, now);
  if (!request.ok) return { refusal: errors.invalidParameter(request.message) };
  const directives = parseDirectives(request.value.prompt);
  if (!directives.ok) return { refusal: errors.invalidParameter(directives.message) };
  const d = directives.value;
  if (d.inputPolicy) return { refusal: errors.inputPolicy() };
  if (d.balance) return { refusal: errors.insufficientBalance() };
  if (d.forbidden) return { refusal: errors.accessDenied() };
  // The account's queue is full: nothing is created (the 429 a limiter must learn from).
  const cap = state.config.maxTasksInFlight;
  if (cap !== null && state.tasksInFlight(now) >= cap) return { refusal: errors.rateLimited(state.config.retryAfterSeconds) };
  return { task: state.createTask(family, request.value, d, now) };
}
