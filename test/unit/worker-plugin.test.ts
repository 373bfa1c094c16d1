/**
 * SeedanceFlowPlugin (workers/plugin.ts) on the options of Workers a team creates: each Worker
 * gets the activities of the role its task queue names, the role's limits unless the team set
 * its own, our workflow code only where the team gave none, and a queue of no role is refused.
 * (test/integration/packed-package.test.ts runs the plugin end to end from the packed package.)
 */
import type { NativeConnection, WorkerOptions } from '@temporalio/worker';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../common/config';
import { AesGcmPayloadCodec } from '../../temporal/codec';
import { SeedanceFlowPlugin } from '../../workers/plugin';

// The plugin only builds a Client over it (lazily: no call is made here).
const connection = {} as NativeConnection;
const mine = async () => 'mine';

function plugin(env: Record<string, string> = {}) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-plugin-'));
  return new SeedanceFlowPlugin({
    config: loadConfig({ GPTPROTO_API_KEY: 'sk-plugin-test-only', STORAGE_URL: `file://${dir}`, SEEDANCE_TASK_QUEUE: 'media', ...env }),
  });
}
const names = (o: WorkerOptions) => Object.keys(o.activities ?? {}).sort();

test('one queue per role, derived from SEEDANCE_TASK_QUEUE', () => {
  expect(plugin().taskQueues).toEqual({ workflows: 'media', provider: 'media-provider', copy: 'media-copy' });
});

test("each Worker gets its role's activities next to its own, and its role's limits unless it set them", () => {
  const p = plugin({ SEEDANCE_PROVIDER_RPS: '3', SEEDANCE_COPY_CONCURRENCY: '7' });
  const provider = p.configureWorker({ taskQueue: 'media-provider', connection, activities: { mine } });
  expect(names(provider)).toEqual(['cancelTask', 'createTask', 'findTask', 'getTask', 'mine', 'submitTask']);
  expect(provider.maxTaskQueueActivitiesPerSecond).toBe(3);
  expect(provider.workflowsPath).toBeUndefined();
  expect(provider.workflowBundle).toBeUndefined();

  expect(
    p.configureWorker({ taskQueue: 'media-provider', connection, maxTaskQueueActivitiesPerSecond: 1 }).maxTaskQueueActivitiesPerSecond,
  ).toBe(1);

  const copy = p.configureWorker({ taskQueue: 'media-copy', connection });
  expect(names(copy)).toEqual(['copyToStorage', 'writeReport', 'writeReviewReport']);
  expect(copy.maxConcurrentActivityTaskExecutions).toBe(7);
});

test('the workflows Worker runs our workflows when it has no code of its own, and keeps its own when it has', () => {
  const p = plugin();
  const ours = p.configureWorker({ taskQueue: 'media', connection });
  expect(names(ours)).toEqual(['closedRuns', 'loadShotPage', 'recordOutcomes', 'requestLease', 'stageStoryboardSource', 'writeManifest']);
  expect(ours.workflowsPath).toBe(require.resolve('../../workflows'));
  // Bundled with the preload (zod and the schema cache once per thread) and a bounded cache.
  expect(ours.bundlerOptions?.preloadModules).toEqual([require.resolve('../../workflows/preload')]);
  expect(ours.maxCachedWorkflows).toBe(600);
  const small = plugin({ SEEDANCE_MAX_CACHED_WORKFLOWS: '40' }).configureWorker({ taskQueue: 'media', connection });
  expect(small.maxCachedWorkflows).toBe(40);
  expect(small.maxConcurrentWorkflowTaskExecutions).toBe(40); // never more tasks in flight than cached runs

  const theirs = p.configureWorker({ taskQueue: 'media', connection, workflowsPath: '/team/workflows.js' });
  expect(theirs.workflowsPath).toBe('/team/workflows.js');
  expect(theirs.workflowBundle).toBeUndefined();
  const bundled = p.configureWorker({ taskQueue: 'media', connection, workflowBundle: { code: '/* team */' } });
  expect(bundled.workflowsPath).toBeUndefined();
  expect(bundled.workflowBundle).toEqual({ code: '/* team */' });
});

test('a Worker on a queue no seedance-flow workflow calls, or without a connection, is refused', () => {
  expect(() => plugin().configureWorker({ taskQueue: 'media-other', connection })).toThrow(
    /task queue media-other would never be called; give it one of media, media-provider, media-copy/,
  );
  expect(() => plugin().configureWorker({ taskQueue: 'media' })).toThrow(/give the Worker a connection/);
});

test('with SEEDANCE_CODEC_KEYS the plugin gives a Worker without a data converter our codec; a Worker with its own keeps it', () => {
  const keys = `k1:${Buffer.alloc(32, 7).toString('base64')}`;
  const encrypted = plugin({ SEEDANCE_CODEC_KEYS: keys }).configureWorker({ taskQueue: 'media-copy', connection });
  const codecs = encrypted.dataConverter?.payloadCodecs ?? [];
  expect(codecs).toHaveLength(1);
  expect(codecs[0]).toBeInstanceOf(AesGcmPayloadCodec);
  const own = { payloadCodecs: [] };
  expect(plugin({ SEEDANCE_CODEC_KEYS: keys }).configureWorker({ taskQueue: 'media', connection, dataConverter: own }).dataConverter).toBe(
    own,
  );
  expect(plugin().configureWorker({ taskQueue: 'media-copy', connection }).dataConverter).toBeUndefined();
});
