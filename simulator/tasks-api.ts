/**
 * The "tasks" family (Ark-compatible): `POST/GET/DELETE /api/v3/contents/generations/tasks`.
 * Response shapes follow seed 000.
 */
import { errors } from './errors';
import { frameUrl, videoUrl, type HandlerContext } from './handler-context';
import { jsonResponse, type SimResponse } from './http-io';
import { admit } from './submission';
import { statusAt, statusSince, wireStatus, type SimTask } from './task';
import { completionTokens, effectiveDuration, effectiveRatio } from './usage';
import { parseTasksRequest } from './validation';

/** `POST /api/v3/contents/generations/tasks` → `{"id": "cgt-..."}`. */
export function submitTask(ctx: HandlerContext, body: unknown): SimResponse {
  const admission = admit(ctx.state, 'tasks', parseTasksRequest(body), ctx.now);
  if ('refusal' in admission) return admission.refusal;
  ctx.observer?.created(admission.task, ctx.baseUrl);
  return jsonResponse(200, { id: admission.task.id });
}

/** `GET /api/v3/contents/generations/tasks/{id}`. */
export function getTask(ctx: HandlerContext, id: string): SimResponse {
  const task = ctx.state.findTask(id, 'tasks');
  if (task === undefined) return errors.taskNotFound(id);
  return jsonResponse(200, renderTask(ctx, task));
}

/**
 * `DELETE /api/v3/contents/generations/tasks/{id}`: cancels a queued task, deletes the record
 * of a finished one, refuses a running one.
 */
export function cancelTask(ctx: HandlerContext, id: string): SimResponse {
  const task = ctx.state.findTask(id, 'tasks');
  if (task === undefined) return errors.taskNotFound(id);
  const status = statusAt(task, ctx.now);
  if (status === 'queued') {
    task.cancelledAt = ctx.now;
    ctx.observer?.cancelled(task, ctx.baseUrl, ctx.now);
  } else if (status === 'running') return errors.notCancellable(id);
  else task.deleted = true;
  return jsonResponse(200, {});
}

/** A task as Ark reports it, in the seed's field order: the GET body, a list item and a callback body. */
export function renderTask(ctx: HandlerContext, task: SimTask): Record<string, unknown> {
  const { config } = ctx.state;
  const status = statusAt(task, ctx.now);
  const asNumber = (n: number): number | string => (config.numbersAsStrings ? String(n) : n);
  const tokens = status === 'succeeded' ? completionTokens(task.request) : 0;

  const out: Record<string, unknown> = { id: task.id, model: task.model, status: wireStatus(task, ctx.now, config.statusNames) };
  if (status === 'succeeded') {
    out['content'] = {
      video_url: videoUrl(ctx, task.id),
      ...(task.request.returnLastFrame ? { last_frame_url: frameUrl(ctx, task.id) } : {}),
    };
  }
  if (status === 'failed' && task.outcome.status === 'failed') {
    out['error'] = { code: task.outcome.code, message: task.outcome.message };
  }
  out['usage'] = { completion_tokens: tokens, total_tokens: tokens };
  out['seed'] = asNumber(task.seed);
  out['resolution'] = task.request.resolution;
  if (task.request.frames !== undefined) out['frames'] = task.request.frames;
  else out['duration'] = effectiveDuration(task.request);
  out['ratio'] = effectiveRatio(task.request);
  out['created_at'] = asNumber(Math.floor(task.createdAt / 1000));
  out['updated_at'] = asNumber(Math.floor(statusSince(task, ctx.now) / 1000));
  out['framespersecond'] = task.request.framespersecond;
  if (task.request.serviceTier !== undefined) out['service_tier'] = task.request.serviceTier;
  // Only on drafts and finals, so other tasks keep the seed's exact shape. A draft's own id is what
  // a final references (notes.md, "Limits and tiers"); the final echoes the draft it came from.
  if (task.request.draft) out['draft'] = true;
  if (task.request.draftTaskId !== undefined) out['draft_task_id'] = task.request.draftTaskId;
  return out;
}
