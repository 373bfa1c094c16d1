import type { SimulatorState } from './state';
import type { SimTask } from './task';

/** Told of task events that happen outside a request's answer (callbacks). */
export interface TaskObserver {
  created(task: SimTask, baseUrl: string): void;
  cancelled(task: SimTask, baseUrl: string, now: number): void;
}

/** What every request handler needs: the state, the public base URL and the request time. */
export interface HandlerContext {
  state: SimulatorState;
  /** e.g. `http://127.0.0.1:8787` (the Host the client used), for output and polling links. */
  baseUrl: string;
  /** Epoch milliseconds when the request is handled. */
  now: number;
  /** Absent in contexts that only render (a callback body). */
  observer?: TaskObserver;
}

/** The output link of a task's video. */
export function videoUrl(ctx: HandlerContext, id: string): string {
  return `${ctx.baseUrl}/videos/${encodeURIComponent(id)}.mp4`;
}

/** The output link of a task's last frame. */
export function frameUrl(ctx: HandlerContext, id: string): string {
  return `${ctx.baseUrl}/frames/${encodeURIComponent(id)}.png`;
}
