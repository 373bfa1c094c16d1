/**
 * `GET /api/v3/contents/generations/tasks`: the tasks family's task list, as Ark documents it
 * (docs/provider/notes.md, "Listing and deleting"): `page_num` and `page_size` (1-500),
 * `filter.status`, `filter.task_ids` (repeated), `filter.model`, `filter.service_tier`; newest
 * first; only the last ~7 days (cancelled tasks ~24 h). Answers `{items, total}`, each item the
 * body a GET of that task answers. A client looks a task up here when it cannot know whether
 * its submit was accepted.
 */
import { errors } from './errors';
import type { HandlerContext } from './handler-context';
import { jsonResponse, type SimResponse } from './http-io';
import { renderTask } from './tasks-api';
import { statusAt, wireStatus, type SimTask } from './task';

export const MAX_PAGE_SIZE = 500;
export const MAX_PAGE_NUM = 500;
/** Cancelled records vanish after about a day. */
export const CANCELLED_VISIBLE_MS = 24 * 60 * 60 * 1000;
const DEFAULT_PAGE_SIZE = 10;
const MAX_TASK_ID_FILTERS = 100;

export function listTasks(ctx: HandlerContext, query: URLSearchParams): SimResponse {
  const pageNum = intParam(query, 'page_num', 1, MAX_PAGE_NUM);
  const pageSize = intParam(query, 'page_size', DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
  if (typeof pageNum === 'string') return errors.invalidParameter(pageNum);
  if (typeof pageSize === 'string') return errors.invalidParameter(pageSize);
  const ids = query.getAll('filter.task_ids');
  if (ids.length > MAX_TASK_ID_FILTERS) return errors.invalidParameter(`filter.task_ids takes at most ${MAX_TASK_ID_FILTERS} ids`);
  const status = query.get('filter.status');
  const model = query.get('filter.model');
  const tier = query.get('filter.service_tier');

  const { config } = ctx.state;
  const matching = ctx.state
    .liveTasks('tasks')
    .filter((t) => visible(t, ctx.now, config.listRetentionMs))
    .filter((t) => status === null || statusAt(t, ctx.now) === status || wireStatus(t, ctx.now, config.statusNames) === status)
    .filter((t) => ids.length === 0 || ids.includes(t.id))
    .filter((t) => model === null || t.model === model)
    .filter((t) => tier === null || (t.request.serviceTier ?? 'default') === tier)
    .sort(newestFirst);
  const items = matching.slice((pageNum - 1) * pageSize, pageNum * pageSize).map((t) => renderTask(ctx, t));
  return jsonResponse(200, { items, total: matching.length });
}

function visible(task: SimTask, now: number, retentionMs: number): boolean {
  if (now - task.createdAt > retentionMs) return false;
  return task.cancelledAt === undefined || now - task.cancelledAt <= CANCELLED_VISIBLE_MS;
}

function newestFirst(a: SimTask, b: SimTask): number {
  return b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0);
}

/** The parameter as an integer in [1, max], its default when absent, or the 400 message. */
function intParam(query: URLSearchParams, name: string, fallback: number, max: number): number | string {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || !Number.isInteger(n) || n < 1 || n > max) return `${name} must be an integer from 1 to ${max}`;
  return n;
}
