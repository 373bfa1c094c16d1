/**
 * Determinism guard: histories recorded from real runs (test/fixtures/histories/record.ts)
 * must replay against today's workflow code without a non-determinism error. Needs no server.
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

jest.setTimeout(120_000);
try {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
} catch {
  // installed already in this process
}
const DIR = path.resolve(__dirname, '../fixtures/histories');
const files = readdirSync(DIR).filter((f) => f.endsWith('.json'));

test('there are recorded histories for both workflows', () => {
  expect(files).toEqual(
    expect.arrayContaining([
      'render-video-stored.json',
      'render-video-failed.json',
      'render-video-cancelled.json',
      'render-storyboard-first-run.json',
      'render-storyboard-last-run.json',
    ]),
  );
});

test.each(files)('%s replays deterministically', async (file) => {
  const history = historyFromJSON(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')));
  await Worker.runReplayHistory({ workflowsPath: require.resolve('../../workflows'), replayName: file }, history);
});
