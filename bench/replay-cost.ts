/**
 * `npm run bench:replay`: what one workflow execution costs the worker's CPU, without any
 * server. Each recorded history (test/fixtures/histories) is replayed N times in one reusable
 * V8 context, as a worker runs workflows; the figure is CPU ms per replay (all activations of
 * that history). Why it matters: in a reusable context every workflow evaluates the bundle's
 * modules afresh (its own module cache), so schemas built at module scope (zod) are built again
 * for every execution. Run it with `--cpu-prof` (`node --cpu-prof -r tsx/cjs bench/replay-cost.ts`)
 * to see where the time goes.
 */
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { bundleWorkflowCode, Runtime, Worker } from '@temporalio/worker';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { seedanceBundlerOptions } from '../workers/bundle-options';

const ROOT = path.resolve(__dirname, '..');
const DIR = path.join(ROOT, 'test/fixtures/histories');
const N = Number(process.env.REPLAYS ?? 200);
const quiet = { log() {}, trace() {}, debug() {}, info() {}, warn() {}, error: (m: string) => console.error(m) };

async function main(): Promise<void> {
  Runtime.install({ logger: quiet });
  // BENCH_NO_PRELOAD=1: bundled without workers/bundle-options.ts, the figures before it.
  const preload = process.env.BENCH_NO_PRELOAD ? {} : seedanceBundlerOptions();
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(ROOT, 'workflows'), logger: quiet, ...preload });
  console.log(`| history | events | CPU ms per replay | wall ms per replay |`);
  console.log(`| --- | ---: | ---: | ---: |`);
  for (const file of readdirSync(DIR).filter((f) => f.endsWith('.json'))) {
    const history = historyFromJSON(JSON.parse(readFileSync(path.join(DIR, file), 'utf8')));
    const histories = Array.from({ length: N }, (_, i) => ({ workflowId: `replay-${i}`, history }));
    const replay = async () => {
      const cpu = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      for await (const r of Worker.runReplayHistories({ workflowBundle: { code } }, histories)) if (r.error) throw r.error;
      const used = process.cpuUsage(cpu);
      return { cpuMs: (used.user + used.system) / 1000 / N, wallMs: Number(process.hrtime.bigint() - t0) / 1e6 / N };
    };
    await replay(); // warm: code compiled, caches filled
    const { cpuMs, wallMs } = await replay();
    console.log(`| ${file} | ${history.events?.length ?? 0} | ${cpuMs.toFixed(1)} | ${wallMs.toFixed(1)} |`);
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
