/**
 * Callback tokens: the last path segment of every callback URL, one per submit attempt.
 *
 * `<payload>.<mac>`: the payload (base64url JSON) names the shot's workflow run, the submit
 * attempt and the storyboard to tell of progress; the mac is HMAC-SHA256 over it with
 * SEEDANCE_CALLBACK_SECRET. So a token is unguessable, verifiable without a database, and
 * different for every attempt (and every run of a re-rendered shot, so a late callback of
 * an earlier run can never be taken for this one's). The secret stays in the workers'
 * configuration; the token itself never enters history (the URL is added by the activity).
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

/** Whom a callback is for. */
export interface CallbackTarget {
  workflowId: string;
  runId: string;
  /** The submit attempt (1-based), as the workflow numbers them. */
  attempt: number;
  /** The storyboard to tell when the shot starts rendering. */
  parentWorkflowId?: string;
}

/** Longer tokens are refused before any work. */
export const MAX_TOKEN_LENGTH = 2048;
const VERSION = 'v1';

const PayloadSchema = z.tuple([
  z.literal(VERSION),
  z.string().min(1).max(512),
  z.string().min(1).max(128),
  z.number().int().min(1).max(1000),
  z.string().min(1).max(512).optional(),
]);

function mac(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret).update(`seedance-flow callback\n${payload}`).digest();
}

/** The token for `target`, signed with `secret`. */
export function callbackToken(secret: string, target: CallbackTarget): string {
  const fields: unknown[] = [VERSION, target.workflowId, target.runId, target.attempt];
  if (target.parentWorkflowId !== undefined) fields.push(target.parentWorkflowId);
  const payload = Buffer.from(JSON.stringify(fields)).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/** `<base>/<token>`. */
export function callbackUrl(baseUrl: string, secret: string, target: CallbackTarget): string {
  return `${baseUrl.replace(/\/+$/, '')}/${callbackToken(secret, target)}`;
}

/**
 * The target of a token signed with any of `secrets`, or undefined for anything else: a
 * malformed, forged, truncated or foreign token says nothing about why.
 */
export function verifyCallbackToken(secrets: readonly string[], token: string): CallbackTarget | undefined {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return undefined;
  const dot = token.indexOf('.');
  if (dot <= 0 || dot !== token.lastIndexOf('.')) return undefined;
  const payload = token.slice(0, dot);
  const macText = token.slice(dot + 1);
  const given = Buffer.from(macText, 'base64url');
  // Canonical encoding only: one token per target, so no altered spelling of it passes.
  if (given.length !== 32 || given.toString('base64url') !== macText) return undefined;
  // Every secret is tried, so the time taken does not tell which one (if any) matched.
  let valid = false;
  for (const secret of secrets) valid = timingSafeEqual(mac(secret, payload), given) || valid;
  if (!valid) return undefined;
  let fields: unknown;
  try {
    fields = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = PayloadSchema.safeParse(fields);
  if (!parsed.success) return undefined;
  const [, workflowId, runId, attempt, parentWorkflowId] = parsed.data;
  return { workflowId, runId, attempt, ...(parentWorkflowId !== undefined ? { parentWorkflowId } : {}) };
}
