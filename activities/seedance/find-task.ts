/**
 * Finding a task whose submit outcome is unknown (docs/provider/notes.md, "Listing and
 * deleting"): the worker died, or the connection dropped, after the request left. The tasks
 * family lists an account's recent tasks; the attempt's request is recognised by what it
 * asked for — the seed the workflow chose for that attempt (a 31-bit value no other shot
 * shares by chance), the model and the output parameters — among tasks created in the
 * minutes around the attempt.
 */
import { z } from 'zod';
import { isValidTaskId, TasksTaskSchema } from './schemas';

/** What the lost request asked for; undefined fields match anything. */
export interface TaskLookup {
  model: string;
  seed: number;
  resolution?: string;
  ratio?: string;
  duration?: number;
  frames?: number;
  /** When the request left (epoch ms, worker clock). */
  sentAt: number;
}

export interface TaskLookupResult {
  /** Ids of every listed task that matches, newest first. */
  matches: string[];
  /** Matching tasks whose id is not one we can address (shown bounded): never adopted, never ignored. */
  unaddressable?: number;
  /** Tasks read, and pages, for the log. */
  scanned: number;
  pages: number;
}

/** Tasks created this long before the request was sent still count (worker and provider clocks differ). */
export const LOOKUP_BEFORE_MS = 2 * 60_000;
/** ... and this long after (a request queued in a proxy). */
export const LOOKUP_AFTER_MS = 10 * 60_000;
export const LOOKUP_PAGE_SIZE = 100;
/** At most this many pages: an account creating thousands of tasks an hour is read for 2,000 of them. */
export const LOOKUP_MAX_PAGES = 20;

export const TaskListSchema = z.object({ items: z.array(z.unknown()).default([]), total: z.unknown().optional() }).loose();

/** One page of the list: each item as the GET schema reads it (items it cannot read are skipped). */
export type ListPage = (pageNum: number, pageSize: number, model: string) => Promise<unknown[]>;

/**
 * Pages through the model's tasks, newest first, until the listed ones are older than the
 * window, and returns every match. Matching is on the seed first: a task without the seed is
 * not ours whatever else it shares.
 */
export async function findTasks(lookup: TaskLookup, listPage: ListPage): Promise<TaskLookupResult> {
  const from = Math.floor((lookup.sentAt - LOOKUP_BEFORE_MS) / 1000);
  const to = Math.ceil((lookup.sentAt + LOOKUP_AFTER_MS) / 1000);
  const matches: string[] = [];
  let unaddressable = 0;
  let scanned = 0;
  let pages = 0;
  for (let page = 1; page <= LOOKUP_MAX_PAGES; page++) {
    const items = await listPage(page, LOOKUP_PAGE_SIZE, lookup.model);
    pages += 1;
    let older = false;
    for (const raw of items) {
      const parsed = TasksTaskSchema.safeParse(raw);
      if (!parsed.success) continue;
      const task = parsed.data;
      scanned += 1;
      const created = task.created_at;
      if (created !== undefined && created < from) {
        older = true;
        continue;
      }
      if (created !== undefined && created > to) continue;
      if (!matchesLookup(task, lookup)) continue;
      // A task we could not address is still a task that may be billed: it must stop a resubmit.
      if (isValidTaskId(task.id)) matches.push(task.id);
      else unaddressable += 1;
    }
    // Newest first: once a page reaches past the window's start, later pages are older still.
    if (older || items.length < LOOKUP_PAGE_SIZE) break;
  }
  return { matches: [...new Set(matches)], scanned, pages, ...(unaddressable ? { unaddressable } : {}) };
}

function matchesLookup(task: z.output<typeof TasksTaskSchema>, lookup: TaskLookup): boolean {
  if (task.seed !== lookup.seed) return false;
  if (task.model !== undefined && task.model !== lookup.model) return false;
  if (lookup.resolution !== undefined && task.resolution !== undefined && task.resolution !== lookup.resolution) return false;
  if (lookup.ratio !== undefined && lookup.ratio !== 'adaptive' && task.ratio !== undefined && task.ratio !== lookup.ratio) return false;
  if (lookup.frames !== undefined && task.frames !== undefined && task.frames !== lookup.frames) return false;
  if (lookup.duration !== undefined && lookup.duration > 0 && task.duration !== undefined && task.duration !== lookup.duration)
    return false;
  return true;
}
