/**
 * What every durability test asserts once a storyboard has ended (the checks of
 * test/integration/chaos.test.ts, for one board among several on the same simulator):
 * every shot terminal with a reason, nothing paid twice, nothing paid lost, manifest = bucket.
 */
import type { ManifestEntry } from '../../common/storyboard';
import { s3Object, type Harness } from './harness';

/** Failure types the provider itself decides; anything else is a failure the chaos caused. */
const PROVIDER_VERDICTS = ['TaskFailed'];

export async function expectDurableOutcome(h: Harness, boardId: string, shots: number, entries: ManifestEntry[]): Promise<void> {
  expect(entries).toHaveLength(shots);
  for (const e of entries) {
    expect(['stored', 'failed']).toContain(e.status);
    if (e.status === 'failed') {
      expect(e.failureType).toBeTruthy();
      expect(e.failureMessage).toBeTruthy();
    }
  }
  // Only this board's prompts: the simulator may have served other boards of the file.
  const stats = h.sim.stats();
  const mine = (prompt: string) => prompt.startsWith(`${boardId} `);
  // 0 double-paid: every prompt created at most one task.
  expect(Object.entries(stats.submissionsByPrompt).filter(([prompt, n]) => mine(prompt) && n > 1)).toEqual([]);
  // 0 accepted-and-succeeded-but-not-stored.
  const storedTaskIds = new Set(entries.filter((e) => e.status === 'stored').map((e) => e.taskId));
  const lost = stats.tasks.filter((t) => mine(t.prompt) && t.status === 'succeeded' && !storedTaskIds.has(t.id));
  expect(lost.map((t) => t.prompt)).toEqual([]);
  // Failures are the provider's verdicts, never the chaos (no storage, crash or submit failure).
  const failed = entries.filter((e) => e.status === 'failed');
  expect(
    failed.filter((e) => !PROVIDER_VERDICTS.includes(e.failureType ?? '')).map((e) => [e.shotId, e.failureType, e.failureMessage]),
  ).toEqual([]);
  // The manifest is the bucket.
  for (const e of entries.filter((x) => x.status === 'stored')) {
    const object = await s3Object(h, `${h.prefix}/${e.key}`);
    expect({ shot: e.shotId, sha256: object.sha256, bytes: object.bytes }).toEqual({ shot: e.shotId, sha256: e.sha256, bytes: e.bytes });
  }
}
