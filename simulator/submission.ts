/**
 * The part of a submit both families share: validation result, directives, refusals that
 * create no task (content policy, balance, permission), then task creation.
 */
import { parseDirectives } from './directives';
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
  const directives = parseDirectives(parsed.value.prompt);
  if (!directives.ok) return { refusal: errors.invalidParameter(directives.message) };
  const d = directives.value;
  if (d.inputPolicy) return { refusal: errors.inputPolicy() };
  if (d.balance) return { refusal: errors.insufficientBalance() };
  if (d.forbidden) return { refusal: errors.accessDenied() };
  return { task: state.createTask(family, parsed.value, d, now) };
}
