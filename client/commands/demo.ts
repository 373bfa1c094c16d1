/**
 * `seedance-flow demo [storyboard]`: renders a storyboard end to end with nothing configured:
 * an embedded Temporal dev server (the binary scripts/infra.sh installs; the SDK's download
 * as a fallback where internet exists), in-process workers, filesystem storage under
 * ./renders/, and the built-in simulator unless GPTPROTO_API_KEY is set.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { DEMO_DEFAULTS, loadConfig, pollScheduleFromConfig, SIMULATED_DEMO_DEFAULTS, withDefaults, type Config } from '../../common/config';
import { ShotIdKey, StoryboardIdKey } from '../../common/search-attributes';
import { startSimulator, type RunningSimulator } from '../../simulator';
import { installRuntime } from '../../workers/runtime';
import { createWorkers } from '../../workers/worker';
import { createProgressPrinter } from '../progress-view';
import { followStoryboard, startStoryboard } from '../storyboard';
import { checkStoryboardFile, stageStoryboard } from '../storyboard-file';
import { connectClient } from '../../temporal/connection';
import { boundedJson, terminalBlock, terminalText as t } from '../../common/terminal-text';
import { runBudget, type RunBudget } from '../../common/budget';
import type { ParsedStoryboard } from '../../common/storyboard';
import { estimateLine, estimateStoryboard } from '../estimate';
import { loadPrices } from '../prices';
import { UsageError } from '../usage-error';

// The package's root (examples/, scripts/): two folders up from the sources, three from dist/.
const ROOT = packageRoot(__dirname);
const DEFAULT_STORYBOARD = path.join(ROOT, 'examples', 'lighthouse-keeper.yaml');
const say = (line: string) => console.error(`[demo] ${line}`);

export async function demoCommand(args: string[]): Promise<number> {
  const { values, positionals } = (() => {
    try {
      return parseArgs({
        args,
        allowPositionals: true,
        options: { json: { type: 'boolean' }, window: { type: 'string' }, 'allow-images-outside': { type: 'boolean' } },
      });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  })();
  const file = positionals[0] ?? DEFAULT_STORYBOARD;
  const checked = await checkStoryboardFile(file, { allowImagesOutside: Boolean(values['allow-images-outside']) });
  if (checked.problems.length) {
    for (const p of checked.problems) console.error(`  ${t(p.path)}: ${terminalBlock(p.message)}`);
    throw new UsageError(`${t(file)} is not a valid storyboard`);
  }

  let sim: RunningSimulator | undefined;
  let env = withDefaults({ ...process.env, TEMPORAL_NAMESPACE: 'default' }, DEMO_DEFAULTS);
  const given = loadConfig(env);
  if (!given.GPTPROTO_API_KEY) {
    // Labelled clips: each shot's placeholder names it (its prompt's first words), so the report tells them apart.
    sim = await startSimulator({ config: { renderMs: 4000, queueMs: 500, clips: 'labelled' } });
    say('GPTPROTO_API_KEY is not set: using the built-in SIMULATOR. These are NOT real Seedance renders;');
    say(
      `the simulator (${sim.url}) serves placeholder clips labelled with each shot's first words. Set GPTPROTO_API_KEY to render for real.`,
    );
    env = withDefaults(
      {
        ...env,
        GPTPROTO_API_KEY: 'sk-simulator',
        SEEDANCE_API_BASE_URL: sim.url,
        // The simulator's video links point at it on loopback: allow exactly that host, nothing else private.
        SEEDANCE_FETCH_ALLOW_HOSTS: [env.SEEDANCE_FETCH_ALLOW_HOSTS, new URL(sim.url).host].filter(Boolean).join(','),
      },
      SIMULATED_DEMO_DEFAULTS,
    );
  } else {
    say(`rendering for real through ${given.SEEDANCE_API_BASE_URL} (this costs money)`);
  }
  // What it will spend, before anything is: the simulator's usage follows the same formula.
  const prices = await loadPrices(given);
  const estimate = estimateStoryboard(checked.storyboard as ParsedStoryboard, prices?.table, checked.storyboard?.budget);
  say(estimateLine(estimate));
  let budget: RunBudget | undefined;
  try {
    budget = estimate.budget ? runBudget(estimate.budget, prices?.table, prices?.path) : undefined;
  } catch (err) {
    throw new UsageError(`budget: ${(err as Error).message}`);
  }
  // The runtime (logs, metrics) must exist before the embedded server's client does.
  installRuntime(loadConfig(env));
  const temporal = await startEmbeddedTemporal(given);
  env.TEMPORAL_ADDRESS = temporal.address;
  const config = loadConfig(env);
  const workers = await createWorkers(config, { env });
  const running = workers.run();
  const client = await connectClient(config, env);
  try {
    // The workers' storage: one S3 client in this process, not one for staging and another for copies.
    const { storage } = workers.storage;
    say(`staging ${checked.storyboard?.shots.length} shots of ${checked.storyboard?.id} into ${config.STORAGE_URL}`);
    const staged = await stageStoryboard(storage, checked);
    await startStoryboard(
      client,
      {
        ...staged,
        schedule: pollScheduleFromConfig(config),
        ...(values.window ? { window: Number(values.window) } : {}),
        ...(budget ? { budget } : {}),
      },
      config.SEEDANCE_TASK_QUEUE,
    );
    say(`Temporal UI: ${temporal.uiUrl} (workflow ${staged.storyboardId})`);
    const printer = values.json ? undefined : createProgressPrinter();
    const report = await followStoryboard(client, storage, staged.storyboardId, (p) => printer?.update(p));
    printer?.end();
    if (values.json) console.log(boundedJson(report));
    const dir = storage.urlOf(staged.storyboardId);
    console.error('');
    console.error(
      `storyboard ${staged.storyboardId}: ${report.status}, ${report.counts?.stored ?? 0} stored, ${report.counts?.failed ?? 0} failed${sim ? ' (SIMULATED)' : ''}`,
    );
    console.error(`  videos:   ${dir}/`);
    console.error(`  manifest: ${dir}/manifest.json`);
    if (await storage.stat(`${staged.storyboardId}/report.html`)) console.error(`  report:   ${dir}/report.html`);
    console.error(`  Temporal UI (while this runs): ${temporal.uiUrl}`);
    return report.status === 'completed' && (report.counts?.failed ?? 0) === 0 ? 0 : 1;
  } finally {
    await client.connection.close();
    workers.shutdown();
    await running;
    await temporal.env.teardown();
    await sim?.close();
  }
}

interface EmbeddedTemporal {
  env: TestWorkflowEnvironment;
  address: string;
  uiUrl: string;
}

/**
 * The Temporal dev server binary: TEMPORAL_CLI_PATH, the cache scripts/infra.sh fills, or
 * install it now (Temporal only: the demo stores to the filesystem and needs no MinIO).
 * `env` is what the install script runs with; the two variables are read through the configuration.
 */
export function temporalBinary(
  env: NodeJS.ProcessEnv = process.env,
  config: Pick<Config, 'SEEDANCE_CACHE_DIR' | 'TEMPORAL_CLI_PATH'> = loadConfig(env),
): string | undefined {
  const cacheDir = config.SEEDANCE_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'seedance-flow');
  const candidates = [config.TEMPORAL_CLI_PATH, path.join(cacheDir, 'bin', 'temporal')];
  const found = candidates.find((c): c is string => !!c && existsSync(c));
  if (found) return found;
  const script = path.join(ROOT, 'scripts', 'infra.sh');
  if (!existsSync(script)) return undefined;
  say('the Temporal dev server is not installed yet: building it with `go install` (first run only, several minutes)...');
  try {
    execFileSync('bash', [script, 'install', 'temporal'], { stdio: ['ignore', 'ignore', 'inherit'], env });
  } catch {
    say('could not build the Temporal dev server here (is Go installed?)');
    return undefined;
  }
  return candidates.find((c): c is string => !!c && existsSync(c));
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

async function startEmbeddedTemporal(config: Config): Promise<EmbeddedTemporal> {
  const binary = temporalBinary(process.env, config);
  const uiPort = await freePort();
  const stateDir = path.resolve('.seedance-demo');
  mkdirSync(stateDir, { recursive: true });
  say(
    binary
      ? `starting the embedded Temporal dev server (${binary})`
      : 'starting a Temporal dev server downloaded by the SDK (needs internet)',
  );
  const env = await TestWorkflowEnvironment.createLocal({
    server: {
      ...(binary ? { executable: { type: 'existing-path' as const, path: binary } } : {}),
      ip: '127.0.0.1',
      ui: true,
      uiPort,
      // A file, so the demo's workflows can still be inspected in the UI of a later run.
      dbFilename: path.join(stateDir, 'temporal.db'),
      searchAttributes: [StoryboardIdKey, ShotIdKey],
      // Write-ahead log without an fsync per transaction: 5-10x faster child
      // starts on a shared disk (see the same flags in scripts/infra.sh).
      extraArgs: ['--sqlite-pragma', 'journal_mode=wal', '--sqlite-pragma', 'synchronous=normal'],
      log: { format: 'pretty', level: 'error' },
    },
  });
  return { env, address: env.address, uiUrl: `http://127.0.0.1:${uiPort}` };
}

/** The nearest folder above `dir` that holds a package.json: a clone, the Docker image's /app, or node_modules/seedance-flow. */
function packageRoot(dir: string): string {
  for (let d = dir; ; d = path.dirname(d)) {
    if (existsSync(path.join(d, 'package.json'))) return d;
    if (path.dirname(d) === d) return path.resolve(dir, '../..');
  }
}
