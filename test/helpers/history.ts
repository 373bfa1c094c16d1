import type { WorkflowHandle } from '@temporalio/client';

/**
 * A workflow's whole history as searchable text: the raw events plus every payload decoded
 * from base64, so a secret or a data URL cannot hide inside an encoded payload.
 */
export async function historyText(handle: WorkflowHandle): Promise<string> {
  const history = await handle.fetchHistory();
  const raw = JSON.stringify(history, (_k, v: unknown) =>
    v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v,
  );
  const decoded: string[] = [];
  const visit = (v: unknown): void => {
    if (v instanceof Uint8Array) decoded.push(Buffer.from(v).toString('utf8'));
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(history);
  return `${raw}\n${decoded.join('\n')}`;
}
