/**
 * The "predictions" family (the gateway's own): `POST /api/v3/bytedance/{model}/{mode}` and
 * `GET /api/v3/predictions/{id}/result`, both answered with seed 003's envelope.
 */
import { errors } from './errors';
import { videoUrl, type HandlerContext } from './handler-context';
import { jsonResponse, type SimResponse } from './http-io';
import { admit } from './submission';
import { statusAt, wireStatus, type SimTask } from './task';
import { parsePredictionRequest, type PredictionMode } from './validation';

/** `POST /api/v3/bytedance/{model}/image-to-video|text-to-video`. */
export function submitPrediction(ctx: HandlerContext, model: string, mode: PredictionMode, body: unknown): SimResponse {
  const admission = admit(ctx.state, 'predictions', parsePredictionRequest(body, model, mode), ctx.now);
  if ('refusal' in admission) return admission.refusal;
  // The gateway answers a fresh submit with "created", whatever naming its polls use.
  return envelope(ctx, admission.task, 'created');
}

/** `GET /api/v3/predictions/{id}/result`. */
export function getPrediction(ctx: HandlerContext, id: string): SimResponse {
  const task = ctx.state.findTask(id, 'predictions');
  if (task === undefined) return errors.taskNotFound(id);
  return envelope(ctx, task, wireStatus(task, ctx.now, ctx.state.config.statusNames));
}

function envelope(ctx: HandlerContext, task: SimTask, wire: string): SimResponse {
  const status = statusAt(task, ctx.now);
  const succeeded = status === 'succeeded';
  const executionTime = status === 'queued' || status === 'cancelled' ? 0 : Math.min(ctx.now, task.terminalAt) - task.runningAt;
  return jsonResponse(200, {
    data: {
      id: task.id,
      model: task.model,
      outputs: succeeded ? [videoUrl(ctx, task.id)] : [],
      urls: { get: `${ctx.baseUrl}/api/v3/predictions/${encodeURIComponent(task.id)}/result` },
      status: wire,
      error: predictionError(task, status),
      executionTime,
      timings: { inference: succeeded ? executionTime : 0 },
      has_nsfw_contents: succeeded ? [false] : [],
      created_at: gatewayTimestamp(task.createdAt),
    },
    message: 'success',
    code: 200,
  });
}

/** A string when failed; "" once otherwise finished and null before, as gateways vary. */
function predictionError(task: SimTask, status: string): string | null {
  if (task.outcome.status === 'failed' && status === 'failed') return `${task.outcome.code}: ${task.outcome.message}`;
  return status === 'succeeded' || status === 'expired' || status === 'cancelled' ? '' : null;
}

/** `YYYY-MM-DD HH:MM:SS` in UTC, the gateway's format. */
function gatewayTimestamp(ms: number): string {
  return new Date(ms).toISOString().slice(0, 19).replace('T', ' ');
}
