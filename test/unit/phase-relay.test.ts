import { PhaseRelay, type SendPhases } from '../../activities/phase-relay';
import type { ShotPhaseEvent } from '../../common/phase-events';

function recorder(fail?: (parent: string) => boolean) {
  const sent: Array<{ parent: string; updates: ShotPhaseEvent[] }> = [];
  const send: SendPhases = async (parent, updates) => {
    if (fail?.(parent)) throw new Error(`no workflow ${parent}`);
    sent.push({ parent, updates });
  };
  return { sent, send };
}

describe('PhaseRelay', () => {
  test('one signal per storyboard per flush, with only the latest phase of each shot', async () => {
    const { sent, send } = recorder();
    const r = new PhaseRelay({ send, intervalMs: 60_000 });
    r.queue({ parentWorkflowId: 'sb1' }, { workflowId: 'sb1/a', phase: 'submitted', taskId: 't1' });
    r.queue({ parentWorkflowId: 'sb1' }, { workflowId: 'sb1/b', phase: 'submitted' });
    r.queue({ parentWorkflowId: 'sb2' }, { workflowId: 'sb2/a', phase: 'copying' });
    r.queue({ parentWorkflowId: 'sb1' }, { workflowId: 'sb1/a', phase: 'rendering', taskId: 't1' });
    r.queue(undefined, { workflowId: 'solo', phase: 'submitted' });
    expect(sent).toEqual([]);
    await r.flush();
    expect(sent).toEqual([
      {
        parent: 'sb1',
        updates: [
          { workflowId: 'sb1/a', phase: 'rendering', taskId: 't1' },
          { workflowId: 'sb1/b', phase: 'submitted' },
        ],
      },
      { parent: 'sb2', updates: [{ workflowId: 'sb2/a', phase: 'copying' }] },
    ]);
    await r.flush();
    expect(sent).toHaveLength(2);
  });

  test('flushes by itself after the interval', async () => {
    const { sent, send } = recorder();
    const r = new PhaseRelay({ send, intervalMs: 20 });
    r.queue({ parentWorkflowId: 'sb' }, { workflowId: 'sb/a', phase: 'submitted' });
    const deadline = Date.now() + 5000;
    while (sent.length === 0 && Date.now() < deadline) await new Promise((res) => setTimeout(res, 10));
    expect(sent).toEqual([{ parent: 'sb', updates: [{ workflowId: 'sb/a', phase: 'submitted' }] }]);
  });

  test('a storyboard that cannot be signalled loses its batch, never the others, and never throws', async () => {
    const { sent, send } = recorder((p) => p === 'gone');
    const errors: string[] = [];
    const r = new PhaseRelay({ send, intervalMs: 60_000, onError: (p) => errors.push(p) });
    r.queue({ parentWorkflowId: 'gone' }, { workflowId: 'gone/a', phase: 'copying' });
    r.queue({ parentWorkflowId: 'here' }, { workflowId: 'here/a', phase: 'copying' });
    await expect(r.flush()).resolves.toBeUndefined();
    expect(errors).toEqual(['gone']);
    expect(sent.map((s) => s.parent)).toEqual(['here']);
  });

  test('forWorkflow relays from outside an activity (the callback receiver), where fromActivity throws', async () => {
    const { sent, send } = recorder();
    const r = new PhaseRelay({ send, intervalMs: 60_000 });
    expect(() => r.fromActivity({ parentWorkflowId: 'sb' }, 'rendering', 't1')).toThrow();
    r.forWorkflow({ parentWorkflowId: 'sb' }, 'sb/a', 'rendering', 't1');
    r.forWorkflow(undefined, 'solo', 'rendering');
    r.forWorkflow({ parentWorkflowId: 'sb' }, undefined, 'rendering');
    await r.flush();
    expect(sent).toEqual([{ parent: 'sb', updates: [{ workflowId: 'sb/a', phase: 'rendering', taskId: 't1' }] }]);
  });
});
