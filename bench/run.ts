/**
 * `npm run bench [-- --quick] [--only overhead,polling,copy,scale] [--keep]
 *                [--scale-shots 1000,10000] [--copy-sizes 64,512,2048] [--topology dev,production]`
 *
 * Starts what it needs (Temporal and MinIO through scripts/infra.sh, reused when running; a
 * simulator in this process; seedance-flow workers and the baseline as child processes), runs
 * the scenarios of issue 5, and writes bench/results/latest.json, latest.md and scaling.svg.
 * Prints the markdown tables on stdout; progress goes to stderr.
 */
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { closeContext, createContext, startSim } from './lib/context';
import { ensureInfra, TOPOLOGIES, type Topology } from './lib/infra';
import { workflowBundle } from './lib/worker-process';
import { MiB, RESULTS_DIR, ROOT, TMP_DIR, log, round, runId } from './lib/util';
import { renderMarkdown, renderPlot, type BenchResults } from './report';
import { COPY_FULL, COPY_QUICK, copyScenario, type CopyConfig } from './scenarios/copy';
import { OVERHEAD_FULL, OVERHEAD_QUICK, overheadScenario, type OverheadConfig } from './scenarios/overhead';
import { POLLING_FULL, POLLING_QUICK, pollingScenario } from './scenarios/polling';
import { SCALE_FULL, SCALE_QUICK, mergeScale, scaleScenario, type ScaleConfig } from './scenarios/scale';
import { ADMISSION_FULL, ADMISSION_QUICK, admissionScenario } from './scenarios/admission';

const SCENARIOS = ['overhead', 'polling', 'copy', 'scale', 'admission'] as const;
type Scenario = (typeof SCENARIOS)[number];
const ALIASES: Record<string, Scenario> = { s1: 'overhead', s2: 'polling', poll: 'polling', s3: 'copy', s4: 'scale', s5: 'admission' };

interface Options {
  quick: boolean;
  diagnose: boolean;
  only: Scenario[];
  keep: boolean;
  scaleShots?: number[];
  copySizesMiB?: number[];
  topologies?: Topology[];
}

const USAGE = `usage: npm run bench -- [--quick] [--only overhead,polling,copy,scale,admission] [--keep] [--diagnose]
                       [--scale-shots 1000,10000] [--copy-sizes 64,512,2048] [--topology dev,production]
  --quick        small sizes, under 3 minutes (default: the full run of issue 5)
  --only         scenarios to run (also s1..s5)
  --keep         keep the objects written to MinIO (default: delete them at the end)
  --diagnose     scenario 1 also runs every diagnostic variant (what in the storyboard costs)
  --scale-shots  storyboard sizes for the scale scenario
  --topology     where the scale scenario runs: dev, production or dev,production (default: dev in
                 quick mode, both in the full run); the other scenarios run on the first
  --copy-sizes   video sizes in MiB for the copy scenario`;

class UsageError extends Error {}

function parseArgs(argv: string[]): Options {
  const o: Options = { quick: false, diagnose: false, only: [...SCENARIOS], keep: false };
  const list = (v: string | undefined, what: string) => {
    if (!v) throw new UsageError(`${what} needs a value\n${USAGE}`);
    return v
      .split(',')
      .map((x) => x.trim())
      .filter(Boolean);
  };
  const numbers = (v: string | undefined, what: string) =>
    list(v, what).map((x) => {
      const num = Number(x);
      if (!Number.isFinite(num) || num <= 0) throw new UsageError(`${what}: ${x} is not a positive number`);
      return num;
    });
  for (let i = 0; i < argv.length; i++) {
    const [flag, inline] = (argv[i] as string).split('=', 2) as [string, string | undefined];
    const value = () => inline ?? argv[++i];
    switch (flag) {
      case '--quick':
        o.quick = true;
        break;
      case '--keep':
        o.keep = true;
        break;
      case '--diagnose':
        o.diagnose = true;
        break;
      case '--only':
        o.only = list(value(), '--only').map((x) => {
          const name = (ALIASES[x] ?? x) as Scenario;
          if (!SCENARIOS.includes(name)) throw new UsageError(`unknown scenario ${x}\n${USAGE}`);
          return name;
        });
        break;
      case '--scale-shots':
        o.scaleShots = numbers(value(), '--scale-shots').map(Math.round);
        break;
      case '--topology':
        o.topologies = list(value(), '--topology').map((x) => {
          if (!(TOPOLOGIES as readonly string[]).includes(x)) throw new UsageError(`unknown topology ${x} (dev or production)\n${USAGE}`);
          return x as Topology;
        });
        break;
      case '--copy-sizes':
        o.copySizesMiB = numbers(value(), '--copy-sizes');
        break;
      case '-h':
      case '--help':
        process.stdout.write(`${USAGE}\n`);
        process.exit(0);
        break;
      default:
        throw new UsageError(`unknown option ${argv[i]}\n${USAGE}`);
    }
  }
  return o;
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
  } catch {
    return '';
  }
}

async function main(): Promise<number> {
  const opts = parseArgs(process.argv.slice(2));
  const id = runId();
  const started = Date.now();
  const results: BenchResults = {
    meta: {
      startedAt: new Date(started).toISOString(),
      mode: opts.quick ? 'quick' : 'full',
      command: `npm run bench --${process.argv.slice(2).length ? ` ${process.argv.slice(2).join(' ')}` : ''}`.replace(/ --$/, ''),
      commit: git(['rev-parse', '--short', 'HEAD']) || 'unknown',
      dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
      machine: {
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
        memoryGiB: round(os.totalmem() / 1024 ** 3, 1),
        node: process.version,
        loadAverageAtStart: os.loadavg(),
      },
      runId: id,
    },
    errors: {},
  };
  log(`run ${id}: ${opts.quick ? 'quick' : 'full'} mode, scenarios ${opts.only.join(', ')}`);

  const topologies: Topology[] = opts.topologies ?? (opts.quick ? ['dev'] : ['dev', 'production']);
  const infra = await ensureInfra(topologies[0]);
  const ctx = await createContext(infra, id, opts.quick);
  const sim = await startSim();
  let interrupted = false;
  const onSignal = () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    log('interrupted: stopping workers and cleaning up (Ctrl-C again to quit at once)');
    void (async () => {
      await closeContext(ctx, opts.keep).catch(() => undefined);
      await sim.close().catch(() => undefined);
      process.exit(130);
    })();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  try {
    await workflowBundle();
    for (const scenario of SCENARIOS.filter((x) => opts.only.includes(x))) {
      const t0 = Date.now();
      try {
        switch (scenario) {
          case 'overhead': {
            const base = opts.quick ? OVERHEAD_QUICK : OVERHEAD_FULL;
            const diagnostics: OverheadConfig['diagnostics'] = ['direct', 'fanout', 'fanoutSignals', 'storyboardNoSearchAttributes'];
            results.overhead = await overheadScenario(ctx, sim, opts.diagnose ? { ...base, diagnostics } : base);
            break;
          }
          case 'admission':
            results.admission = await admissionScenario(ctx, sim, opts.quick ? ADMISSION_QUICK : ADMISSION_FULL);
            break;
          case 'polling':
            results.polling = await pollingScenario(ctx, sim, opts.quick ? POLLING_QUICK : POLLING_FULL);
            break;
          case 'copy': {
            const base: CopyConfig = opts.quick ? COPY_QUICK : COPY_FULL;
            const cfg: CopyConfig = opts.copySizesMiB
              ? { sizes: opts.copySizesMiB.map((m, i) => ({ bytes: Math.round(m * MiB), repeats: base.sizes[i]?.repeats ?? 1 })) }
              : base;
            results.copy = await copyScenario(ctx, sim, cfg);
            break;
          }
          case 'scale': {
            const base: ScaleConfig = opts.quick ? SCALE_QUICK : SCALE_FULL;
            const cfg = opts.scaleShots ? { ...base, shots: opts.scaleShots } : base;
            // Scenario 1's storyboard runs are this very workload when renders and schedule match.
            const o = results.overhead?.config;
            const same =
              o && JSON.stringify(o.render) === JSON.stringify(cfg.render) && JSON.stringify(o.schedule) === JSON.stringify(cfg.schedule);
            for (const topology of topologies) {
              if (topology === ctx.infra.topology) {
                results.scale = mergeScale(results.scale, await scaleScenario(ctx, sim, cfg, same ? (results.overhead?.runs ?? []) : []));
                continue;
              }
              // Another topology: its own Temporal (and client), the same MinIO, simulator and bundle.
              const other = await createContext(await ensureInfra(topology), id, opts.quick);
              try {
                results.scale = mergeScale(results.scale, await scaleScenario(other, sim, cfg));
              } finally {
                await closeContext(other, true);
              }
            }
            break;
          }
        }
      } catch (err) {
        results.errors[scenario] = err instanceof Error ? err.message : String(err);
        log(`${scenario} failed: ${results.errors[scenario]}`);
      }
      log(`${scenario} took ${round((Date.now() - t0) / 1000, 1)} s`);
    }
  } finally {
    await closeContext(ctx, opts.keep);
    await sim.close();
    rmSync(TMP_DIR, { recursive: true, force: true });
  }

  results.meta.finishedAt = new Date().toISOString();
  results.meta.durationSeconds = (Date.now() - started) / 1000;
  mkdirSync(RESULTS_DIR, { recursive: true });
  const md = renderMarkdown(results);
  writeFileSync(path.join(RESULTS_DIR, 'latest.json'), `${JSON.stringify(results, null, 2)}\n`);
  writeFileSync(path.join(RESULTS_DIR, 'latest.md'), md);
  const svg = renderPlot(results);
  if (svg) writeFileSync(path.join(RESULTS_DIR, 'scaling.svg'), svg);
  process.stdout.write(md);
  log(`done in ${round(results.meta.durationSeconds / 60, 1)} min: bench/results/latest.{json,md}${svg ? ', scaling.svg' : ''}`);
  return Object.keys(results.errors).length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    if (err instanceof UsageError) {
      console.error(err.message);
      process.exit(2);
    }
    console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    process.exit(1);
  },
);
