import type { WorkflowHandle } from '@temporalio/client';

/**
 * A workflow's whole history as searchable text: the raw events plus every payload decoded
 * from base64, so a secret or a data URL cannot hide inside an encoded payload.
 */
export async function historyText(handle: WorkflowHandle): Promise<string> {
  const history = await handle.fetchHistory();
  const raw = JSON.stringify(history, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v));
  const decoded: string[] = [];
  const visit = (v: unknown): void => {
    if (v instanceof Uint8Array) decoded.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(history);
  return `${raw}\n${decoded.join('\n')}`;
}

/** One activity execution as its workflow's history tells it (retried attempts share one). */
export interface ActivityRun {
  activityType: string;
  scheduledAt: number;
  /** The last attempt's start (written when the attempt ended). */
  startedAt?: number;
  attempt?: number;
  /** completed, failed, timedOut or cancelled, with when. */
  outcome?: { kind: 'completed' | 'failed' | 'timedOut' | 'cancelled'; at: number; failureType?: string; message?: string };
}

const ms = (t: { seconds?: unknown; nanos?: number | null } | null | undefined): number =>
  t ? Number(t.seconds ?? 0) * 1000 + Math.floor((t.nanos ?? 0) / 1e6) : 0;

/** Every activity the workflow scheduled, in order, with timestamps and how it ended. */
export async function activityRuns(handle: WorkflowHandle): Promise<ActivityRun[]> {
  const { events } = await handle.fetchHistory();
  const byId = new Map<string, ActivityRun>();
  const runs: ActivityRun[] = [];
  for (const e of events ?? []) {
    const id = String(e.eventId);
    const at = ms(e.eventTime as never);
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) {
      const run: ActivityRun = { activityType: scheduled.activityType?.name ?? '?', scheduledAt: at };
      byId.set(id, run);
      runs.push(run);
      continue;
    }
    const attr =
      e.activityTaskStartedEventAttributes ??
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskTimedOutEventAttributes ??
      e.activityTaskCanceledEventAttributes;
    if (!attr) continue;
    const run = byId.get(String(attr.scheduledEventId));
    if (!run) continue;
    if (e.activityTaskStartedEventAttributes) {
      run.startedAt = at;
      run.attempt = e.activityTaskStartedEventAttributes.attempt ?? undefined;
    } else if (e.activityTaskCompletedEventAttributes) run.outcome = { kind: 'completed', at };
    else if (e.activityTaskCanceledEventAttributes) run.outcome = { kind: 'cancelled', at };
    else {
      const failure = (e.activityTaskFailedEventAttributes ?? e.activityTaskTimedOutEventAttributes)?.failure;
      run.outcome = {
        kind: e.activityTaskFailedEventAttributes ? 'failed' : 'timedOut',
        at,
        ...(failure?.applicationFailureInfo?.type ? { failureType: failure.applicationFailureInfo.type } : {}),
        ...(failure?.message ? { message: failure.message } : {}),
      };
    }
  }
  return runs;
}
