/**
 * Turns the results into bench/results/latest.md (tables) and bench/results/scaling.svg.
 */
import type { CopyResult } from './scenarios/copy';
import type { OverheadResult } from './scenarios/overhead';
import type { ModelRow, PollingResult, ScheduleFigures } from './scenarios/polling';
import type { CallbacksResult } from './scenarios/polling-callbacks';
import { SCALE_WORKER_HEAP_MB, type ScaleResult } from './scenarios/scale';
import type { RunFigures } from './lib/systems';
import { describeSchedule } from './lib/context';
import { renderSvg, type Panel } from './lib/svg';
import { MiB, describeDistribution, round } from './lib/util';
import { admissionMd, type AdmissionResult } from './scenarios/admission';

export interface BenchResults {
  meta: {
    startedAt: string;
    finishedAt?: string;
    durationSeconds?: number;
    mode: 'quick' | 'full';
    command: string;
    commit: string;
    dirty: boolean;
    machine: { cpus: number; cpuModel: string; memoryGiB: number; node: string; loadAverageAtStart: number[] };
    runId: string;
  };
  overhead?: OverheadResult;
  polling?: PollingResult;
  copy?: CopyResult;
  scale?: ScaleResult;
  admission?: AdmissionResult;
  errors: Record<string, string>;
}

const s = (ms: number) => (Number.isFinite(ms) ? `${round(ms / 1000, 1)} s` : '–');
const x = (v: number) => (Number.isFinite(v) ? `${round(v, 2)}×` : '–');
const n = (v: number, d = 1) => (Number.isFinite(v) ? String(round(v, d)) : '–');
const mib = (b: number) => (Number.isFinite(b) ? `${round(b / MiB, 0)} MiB` : '–');
const pct = (v: number) => (Number.isFinite(v) ? `${round(v * 100, 0)}%` : '–');
const cores = (c: Record<string, number>, k: string) => n(c[k] ?? NaN, 2);

function table(head: string[], rows: string[][]): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const SYSTEM_NAMES: Record<string, string> = {
  baseline: 'baseline (promise pool, no Temporal)',
  storyboard: 'seedance-flow storyboard',
  direct: 'diagnostic: renderVideo workflows, client pool',
  fanout: 'diagnostic: renderVideo children of a minimal parent',
  fanoutSignals: 'diagnostic: minimal parent, children send phase signals',
  storyboardNoSearchAttributes: 'diagnostic: storyboard with searchAttributes: false',
};

function overheadMd(o: OverheadResult): string {
  const c = o.config;
  const out: string[] = [];
  out.push(`## 1. Orchestration overhead`);
  out.push(
    `${c.shots} shots, window ${c.window}, renders ${c.renderDescription}, poll schedule ${describeSchedule(c.schedule)} (both sides), ` +
      `${c.repeats} run(s) each, medians. Worker with SEEDANCE_PROVIDER_RPS=${c.providerRps} (the baseline has no provider rate limit).`,
  );
  const by = (sys: string) => o.runs.filter((r) => r.system === sys);
  const rows = (['baseline', 'storyboard', 'direct', 'fanout', 'fanoutSignals', 'storyboardNoSearchAttributes'] as const)
    .filter((sys) => by(sys).length)
    .map((sys) => {
      const rs = by(sys);
      const med = o.summary.medianWallMs[sys] ?? NaN;
      const ratio = sys === 'baseline' ? 1 : med / (o.summary.medianWallMs.baseline ?? NaN);
      const f = rs[0];
      return [
        SYSTEM_NAMES[sys] ?? sys,
        s(med),
        x(ratio),
        n(rs.reduce((a, r) => a + r.shots, 0) / rs.reduce((a, r) => a + r.wallMs / 1000, 0), 2),
        `${rs.reduce((a, r) => a + r.stored, 0)}/${rs.reduce((a, r) => a + r.shots, 0)}`,
        f?.shotLatencyMs ? `${s(f.shotLatencyMs.p50)} / ${s(f.shotLatencyMs.p95)}` : '–',
        f ? cores(f.cores, 'worker') : '–',
        f ? cores(f.cores, 'temporal') : '–',
        f ? `${cpuPerShot(f, 'worker')} + ${cpuPerShot(f, 'temporal')}` : '–',
        f ? mib(Math.max(...rs.map((r) => r.peakRssBytes))) : '–',
      ];
    });
  out.push(
    table(
      [
        'system',
        'wall time (median)',
        'vs baseline',
        'shots/s',
        'stored',
        'one shot, launch to stored: p50 / p95',
        'worker CPU (cores)',
        'Temporal CPU (cores)',
        'CPU per shot: worker + Temporal',
        'peak RSS',
      ],
      rows,
    ),
  );
  const lat = (sys: string) => by(sys)[0]?.shotLatencyMs?.p50 ?? NaN;
  const added = lat('storyboard') - lat('baseline');
  out.push('');
  if (Number.isFinite(added)) {
    out.push(
      `Per shot, seedance-flow adds ${s(added)} (p50, launch to stored, storyboard − baseline): ${pct(added / 150_000)} of a 2.5-minute render. ` +
        `With renders of seconds, as here, throughput is the limit instead: see the storyboard's own figures below.`,
    );
    out.push('');
  }
  out.push(
    `Storyboard wall time is start to the last shot finished (writeManifest scheduled); the report that follows ` +
      `(thumbnails of every video with ffmpeg) took a further ${s(o.summary.reportMsMedian)} (median). ` +
      `Provider calls per shot: ${n(o.summary.providerCallsPerShot, 2)}; with the default SEEDANCE_PROVIDER_RPS=10 a deployment ` +
      `is capped at ${n(o.summary.defaultRpsCapShotsPerSecond, 2)} shots/s whatever the window.`,
  );
  if (o.longer.length) out.push('', longerMd(o));
  const diag = parentMd(o.runs, 'The storyboard workflow itself');
  if (diag) out.push('', diag);
  out.push('');
  out.push(
    `### Throughput by window (${o.config.sweep.shots} shots, renders ${o.config.sweep.render.kind === 'fixed' ? `${o.config.sweep.render.ms / 1000} s` : 'varied'})`,
  );
  const windows = [...new Set(o.sweep.map((r) => r.window))];
  const systems = [...new Set(o.sweep.map((r) => r.system))];
  out.push(
    table(
      ['window', ...systems.map((sys) => `${SYSTEM_NAMES[sys] ?? sys} shots/s`)],
      windows.map((w) => [
        String(w),
        ...systems.map((sys) => {
          const r = o.sweep.find((y) => y.window === w && y.system === sys);
          return r ? `${n(r.shotsPerSecond, 2)}${r.stored < r.shots ? ` (${r.shots - r.stored} failed)` : ''}` : '–';
        }),
      ]),
    ),
  );
  out.push('');
  out.push(
    `Highest throughput: ${Object.entries(o.best)
      .map(([sys, b]) => `${SYSTEM_NAMES[sys] ?? sys} ${n(b.shotsPerSecond, 2)} shots/s at window ${b.window}`)
      .join('; ')}.`,
  );
  return out.join('\n');
}

/** CPU milliseconds one shot cost a process over the run (cores × wall time / shots). */
function cpuPerShot(f: RunFigures, proc: string): string {
  const ms = ((f.cores[proc] ?? NaN) * f.wallMs) / f.shots;
  return Number.isFinite(ms) ? `${Math.round(ms)} ms` : '–';
}

/** Scenario 1 again with longer renders: the per-shot overhead once the window sets the pace. */
function longerMd(o: OverheadResult): string {
  const l = o.config.longer;
  if (!l) return '';
  const base = o.longer.find((r) => r.system === 'baseline');
  const rows = o.longer.map((f) => [
    SYSTEM_NAMES[f.system] ?? f.system,
    s(f.wallMs),
    x(f.wallMs / (base?.wallMs ?? NaN)),
    `${f.stored}/${f.shots}`,
    f.shotLatencyMs ? `${s(f.shotLatencyMs.p50)} / ${s(f.shotLatencyMs.p95)}` : '–',
    `${cpuPerShot(f, 'worker')} + ${cpuPerShot(f, 'temporal')}`,
  ]);
  return [
    `### Longer renders (${l.shots} shots, window ${l.window}, renders ${describeDistribution(l.render)}, poll schedule ${describeSchedule(l.schedule)}, both sides, 1 run each)`,
    table(
      ['system', 'wall time', 'vs baseline', 'stored', 'one shot, launch to stored: p50 / p95', 'CPU per shot: worker + Temporal'],
      rows,
    ),
    '',
    `Longer renders (real ones take 1-10 minutes), so that the renders and the window (${l.window} in flight), not the orchestration, set the pace: the same per-shot work as above, amortized over the render.`,
  ].join('\n');
}

/** The storyboard workflow's own history: where a shot waits on the parent. */
function parentMd(runs: RunFigures[], title: string): string {
  const withParent = runs.filter((r) => r.parent);
  if (!withParent.length) return '';
  const ms = (v: number) => (Number.isFinite(v) ? `${round(v / 1000, 2)} s` : '–');
  return [
    `### ${title}`,
    table(
      [
        'parent workflow',
        'runs',
        'parent events/shot',
        'signals/shot',
        'child start latency p50 / p95 / max',
        'parent workflow task queueing p50 / p95',
        'parent workflow task processing p50 / p95',
        'workflow task timeouts',
      ],
      withParent.map((r) => {
        const p = r.parent as NonNullable<RunFigures['parent']>;
        return [
          `${SYSTEM_NAMES[r.system] ?? r.system}: ${r.shots} shots, window ${r.window}`,
          String(p.runs),
          n(p.eventsPerShot, 1),
          n(p.signalsPerShot, 1),
          `${ms(p.childStartLatencyMs.p50)} / ${ms(p.childStartLatencyMs.p95)} / ${ms(p.childStartLatencyMs.max)}`,
          `${ms(p.wftScheduleToStartMs.p50)} / ${ms(p.wftScheduleToStartMs.p95)}`,
          `${ms(p.wftStartToCompleteMs.p50)} / ${ms(p.wftStartToCompleteMs.p95)}`,
          String(p.wftTimeouts),
        ];
      }),
    ),
    '',
    'Child start latency: from the parent recording StartChildWorkflowExecutionInitiated to ChildWorkflowExecutionStarted. ' +
      'Every child start and completion is an update of the one storyboard execution and a workflow task for it, serialized; ' +
      "phase changes (submitted, rendering, copying) arrive batched, one shotPhases signal per storyboard per second from the shots' activities.",
  ].join('\n');
}

function figs(f: ScheduleFigures): string[] {
  return [n(f.polls.mean, 1), n(f.polls.p95, 0), `${n(f.latency.p50, 1)} s`, `${n(f.latency.p95, 1)} s`];
}

function pollingMd(p: PollingResult): string {
  const out: string[] = [];
  out.push(`## 2. Provider API efficiency (poll schedules)`);
  out.push(
    `Renders ${p.distribution}. Model: the schedule's own arithmetic over 20,000 sampled renders (also shown for ${p.uniformDistribution}).`,
  );
  out.push(
    table(
      ['schedule', 'polls/shot (mean)', 'polls p95', 'latency p50', 'latency p95', 'uniform: polls/shot', 'uniform: latency p95'],
      p.model.map((m) => [m.name, ...figs(m), n(m.uniform.polls.mean, 1), `${n(m.uniform.latency.p95, 1)} s`]),
    ),
  );
  if (p.measured) {
    out.push('');
    out.push(
      `Measured: real renderVideo workflows on the simulator, all durations ÷ ${p.measured.scale}, figures scaled back. ` +
        `Each poll also costs Temporal's round trip (timer → workflow task → activity → workflow task), scaled ×${p.measured.scale} here; ` +
        `the last columns are the model with that overhead added, to check model and measurement agree.`,
    );
    out.push(
      table(
        [
          'schedule',
          'renders',
          'polls/shot (mean)',
          'polls p95',
          'latency p50',
          'latency p95',
          'overhead/poll (scaled back)',
          'model+overhead: polls',
          'model+overhead: p95',
        ],
        p.measured.rows.map((m) => [
          m.name,
          `${m.shots - m.failed}/${m.shots}`,
          ...figs(m),
          `${n(m.overheadPerPollSeconds, 2)} s`,
          n(m.modelWithOverhead.polls.mean, 1),
          `${n(m.modelWithOverhead.latency.p95, 1)} s`,
        ]),
      ),
    );
  }
  const prev = p.previous;
  out.push('');
  out.push(
    `Proposed default (the fewest polls at no worse p50 and p95 than the previous default, on both distributions; ` +
      `first poll at most 15 s after its 30 s cap; ${p.searched} schedules searched): ${p.proposed.name.replace(/^proposed \(|\)$/g, '')} — ` +
      `${n(p.proposed.polls.mean, 1)} polls/shot vs ${n(prev.polls.mean, 1)} (${pct(1 - p.proposed.polls.mean / prev.polls.mean)} fewer), ` +
      `latency p50 ${n(p.proposed.latency.p50, 1)} s vs ${n(prev.latency.p50, 1)} s, p95 ${n(p.proposed.latency.p95, 1)} s vs ${n(prev.latency.p95, 1)} s. ` +
      (p.currentIsProposed ? 'The product default is this schedule.' : 'The product default is not this schedule.'),
  );
  if (p.callbacks) out.push('', callbacksMd(p.callbacks, p.model));
  return out.join('\n');
}

/** Scenario 2 with callbacks: beside polling alone (the current default and fixed 5 s, same renders), with the targets of issue 13. */
function callbacksMd(c: CallbacksResult, polling: ModelRow[]): string {
  const out: string[] = [];
  const current = polling[0];
  const fixed = polling.find((m) => m.name === 'fixed 5 s');
  out.push('### With provider callbacks (polling as the safety net)');
  out.push(
    `The provider calls back every status change; renderVideo wakes on the terminal one and confirms it with one GET; ` +
      `the safety net polls ${c.safetyName} (SEEDANCE_CALLBACK_POLL_INITIAL_MS / _MAX_INTERVAL_MS defaults). ` +
      `Same renders as above. Model: a render is seen at the earlier of its terminal callback plus the round trip ` +
      `(${n(c.modelRoundTripSeconds, 2)} s${c.measured ? ', the measured median' : ', no measurement ran'}) and the first safety poll after its end; ` +
      `"half lost": each callback dropped with probability 0.5 (no retry saves it).`,
  );
  // Latencies with two decimals: a callback's round trip is a fraction of a second.
  const figs2 = (f: ScheduleFigures) => [n(f.polls.mean, 2), n(f.polls.p95, 0), `${n(f.latency.p50, 2)} s`, `${n(f.latency.p95, 2)} s`];
  const row = (name: string, f: ScheduleFigures, byCallback: string) => [name, ...figs2(f), byCallback];
  out.push(
    table(
      ['model', 'polls/shot (mean)', 'polls p95', 'latency p50', 'latency p95', 'seen by callback'],
      [
        ...c.model.map((m) => row(m.name, m, pct(m.byCallback))),
        ...(current ? [row(`polling alone: ${current.name}`, current, '–')] : []),
        ...(fixed ? [row('polling alone: fixed 5 s', fixed, '–')] : []),
      ],
    ),
  );
  if (c.measured) {
    out.push('');
    out.push(
      `Measured: real renderVideo workflows on a worker with the callbacks role, durations ÷ ${c.measured.scale}; ` +
        `polls need no scaling; a render seen by its callback counts its real latency (delivery, signal, workflow task, GET), ` +
        `one seen by a safety poll is scaled back ×${c.measured.scale}.`,
    );
    out.push(
      table(
        ['measured', 'renders', 'polls/shot (mean)', 'polls p95', 'latency p50', 'latency p95', 'seen by callback', 'round trip (median)'],
        c.measured.rows.map((m) => [
          m.name,
          `${m.shots - m.failed}/${m.shots}`,
          ...figs2(m),
          pct(m.byCallback),
          `${n(m.roundTripSeconds, 2)} s`,
        ]),
      ),
    );
  }
  out.push('');
  out.push(
    `The safety net's trade-off (model, same renders): a lost terminal callback waits for the next safety poll, ` +
      `so the interval that keeps GETs near one a shot is also the latency of every lost one.`,
  );
  out.push(
    table(
      [
        'safety net',
        'none lost: polls/shot',
        'none lost: latency p95',
        'half lost: polls/shot',
        'half lost: latency p50',
        'half lost: latency p95',
      ],
      c.tradeoff.map((t) => [
        t.safetyName,
        n(t.none.polls.mean, 2),
        `${n(t.none.latency.p95, 1)} s`,
        n(t.half.polls.mean, 2),
        `${n(t.half.latency.p50, 1)} s`,
        `${n(t.half.latency.p95, 1)} s`,
      ]),
    ),
  );
  const none = c.measured?.rows.find((m) => m.lossRate === 0) ?? c.model.find((m) => m.lossRate === 0);
  const half = c.measured?.rows.find((m) => m.lossRate === 0.5) ?? c.model.find((m) => m.lossRate === 0.5);
  if (none && half && current) {
    const ok = (b: boolean) => (b ? 'met' : '**not met**');
    out.push('');
    out.push(
      `Targets (${c.measured ? 'measured' : 'model'}): with callbacks ${n(none.polls.mean, 2)} GETs/shot (≤ 1.2: ${ok(none.polls.mean <= 1.2)}), ` +
        `p95 detection ${n(none.latency.p95, 2)} s (< 2 s: ${ok(none.latency.p95 < 2)}); half lost: ${n(half.polls.mean, 2)} GETs/shot vs ${n(current.polls.mean, 1)} polling alone ` +
        `(${ok(half.polls.mean <= current.polls.mean)}), p95 ${n(half.latency.p95, 1)} s vs ${n(current.latency.p95, 1)} s (${ok(half.latency.p95 <= current.latency.p95)}).`,
    );
  }
  return out.join('\n');
}

function copyMd(c: CopyResult): string {
  const out: string[] = [];
  out.push(`## 3. Copy (simulator output link → MinIO)`);
  out.push(
    'aws' in c && 'error' in c.aws
      ? `aws s3 cp: not available (${c.aws.error}).`
      : `aws s3 cp: ${(c.aws as { version: string }).version} (${(c.aws as { source: string }).source}), streamed with \`curl URL | aws s3 cp - s3://…\`.`,
  );
  out.push(
    table(
      ['video', 'tool', 'runs', 'MiB/s (median)', 'peak RSS', 'RSS growth during copy', 'CPU s per GiB', 'seedance-flow vs this'],
      c.rows.map((r) => {
        const flow = c.rows.find((y) => y.tool === 'seedance-flow' && y.bytes === r.bytes);
        return [
          `${round(r.bytes / MiB)} MiB`,
          r.tool,
          String(r.runs),
          n(r.mibPerSecond, 1),
          `${n(r.peakRssMiB, 0)} MiB`,
          Number.isFinite(r.growthMiB) ? `${n(r.growthMiB, 0)} MiB` : '–',
          n(r.cpuSecondsPerGiB, 1),
          r.tool === 'seedance-flow' || !flow ? '' : x(flow.mibPerSecond / r.mibPerSecond),
        ];
      }),
    ),
  );
  out.push('');
  out.push(
    `Peak RSS change from the smallest to the largest video: ${Object.entries(c.memoryGrowthMiB)
      .map(([t, g]) => `${t} ${g >= 0 ? '+' : ''}${n(g, 0)} MiB`)
      .join(', ')}. seedance-flow's copy runs inside the worker (peak = worker VmHWM, reset before each copy; ` +
      `throughput from the activity's started and completed events); the baseline in its own Node process; ` +
      `aws = largest process of the pipeline (getrusage; its CPU includes curl); "activity without worker" is the ` +
      `copyToStorage activity itself under MockActivityEnvironment in a plain Node process (a diagnostic).`,
  );
  return out.join('\n');
}

function scaleMd(sc: ScaleResult): string {
  const c = sc.config;
  const out: string[] = [];
  out.push(`## 4. Scale (storyboards)`);
  out.push(
    `Window ${c.window}, renders ${c.renderDescription}, poll schedule ${describeSchedule(c.schedule)}. ` +
      `The worker runs as in a small container: \`NODE_OPTIONS=--max-old-space-size=<heap cap>\` (README "Sizing a worker"; \`BENCH_SCALE_HEAP_MB\`, default ${SCALE_WORKER_HEAP_MB}).`,
  );
  out.push(
    table(
      [
        'topology',
        'shots',
        'to all stored',
        'with report',
        'shots/s',
        'runs (continue-as-new)',
        'largest history: events',
        'largest history: bytes',
        'worker heap cap',
        'worker peak RSS',
        'Temporal CPU (cores / machine share)',
        'PostgreSQL CPU',
        'worker CPU',
        'MinIO CPU',
        'CPU per shot: worker + Temporal (+ PostgreSQL)',
      ],
      sc.rows.map((r) => [
        r.topology === 'production' ? 'production (PostgreSQL)' : 'dev server (SQLite)',
        `${r.shots}${r.reused ? ' (reused)' : ''}`,
        s(r.wallMs),
        s(r.completeMs ?? NaN),
        n(r.shotsPerSecond, 2),
        String(r.runs ?? '–'),
        `${r.history?.maxEvents ?? '–'} (${r.history?.maxEventsWorkflow === undefined ? '' : r.history.maxEventsWorkflow.includes('/') ? 'a shot' : 'storyboard run'})`,
        `${n((r.history?.maxBytes ?? NaN) / 1024, 0)} KiB`,
        r.heapMb ? `${r.heapMb} MiB` : 'none',
        mib(r.peakRssBytes),
        `${cores(r.cores, 'temporal')} (${pct(r.temporalShare)} of ${r.cpus} cores)`,
        r.cores.postgres === undefined ? '–' : cores(r.cores, 'postgres'),
        cores(r.cores, 'worker'),
        cores(r.cores, 'minio'),
        `${cpuPerShot(r, 'worker')} + ${cpuPerShot(r, 'temporal')}${r.cores.postgres === undefined ? '' : ` + ${cpuPerShot(r, 'postgres')}`}`,
      ]),
    ),
  );
  if (sc.rows.some((r) => r.reused)) out.push('', `Rows marked as reused are scenario 1's storyboard run of the same workload.`);
  if (sc.rows.some((r) => r.topology === 'production'))
    out.push(
      '',
      'Production topology: `scripts/infra.sh up --topology production`, the Temporal server v1.29.1 with its persistence and SQL visibility ' +
        'on PostgreSQL (its CPU: the postmaster and every backend), the same MinIO and worker. Dev server: `temporal server start-dev`, SQLite.',
    );
  const diag = parentMd(sc.rows, 'The storyboard workflow itself');
  if (diag) out.push('', diag);
  return out.join('\n');
}

export function renderMarkdown(r: BenchResults): string {
  const m = r.meta;
  const out: string[] = [];
  out.push(`# seedance-flow benchmark (${m.mode})`);
  out.push(
    `\`${m.command}\` — ${m.startedAt}, ${m.durationSeconds ? `${round(m.durationSeconds / 60, 1)} min, ` : ''}commit ${m.commit}${m.dirty ? ' (with local changes)' : ''}; ` +
      `${m.machine.cpus} × ${m.machine.cpuModel}, ${m.machine.memoryGiB} GiB, Node ${m.machine.node}; load average at start ${m.machine.loadAverageAtStart.map((v) => round(v, 2)).join(' ')}. ` +
      `Temporal dev server (SQLite) and MinIO from scripts/infra.sh, simulator in the benchmark process, worker and baseline in child processes. ` +
      `The servers and the machine are shared: CPU figures include whatever else ran.`,
  );
  if (r.overhead) out.push('', overheadMd(r.overhead));
  if (r.polling) out.push('', pollingMd(r.polling));
  if (r.copy) out.push('', copyMd(r.copy));
  if (r.scale) out.push('', scaleMd(r.scale));
  if (r.admission) out.push('', admissionMd(r.admission));
  for (const [k, v] of Object.entries(r.errors)) out.push('', `**${k} failed:** ${v}`);
  if (r.overhead || r.scale) out.push('', '![throughput by window and storyboard scale](scaling.svg)');
  return `${out.join('\n')}\n`;
}

export function renderPlot(r: BenchResults): string | undefined {
  const panels: Panel[] = [];
  if (r.overhead?.sweep.length) {
    const systems = [...new Set(r.overhead.sweep.map((y) => y.system))];
    const windows = [...new Set(r.overhead.sweep.map((y) => y.window))].sort((a, b) => a - b);
    panels.push({
      title: 'Throughput by window',
      xLabel: 'window (shots in flight)',
      yLabel: 'shots per second',
      xTicks: windows,
      categorical: true,
      series: systems.map((sys) => ({
        name: SYSTEM_NAMES[sys] ?? sys,
        points: r.overhead?.sweep.filter((y) => y.system === sys).map((y): [number, number] => [y.window, y.shotsPerSecond]) ?? [],
      })),
    });
  }
  const scaleRows: RunFigures[] = r.scale?.rows ?? [];
  if (scaleRows.length) {
    const first = scaleRows[0] as RunFigures;
    panels.push({
      title: 'Storyboard wall time by size',
      xLabel: 'shots in the storyboard',
      yLabel: 'minutes to all stored',
      xTicks: [0, ...scaleRows.map((y) => y.shots)],
      series: [
        { name: 'measured', points: scaleRows.map((y): [number, number] => [y.shots, y.wallMs / 60_000]) },
        {
          name: `linear from ${first.shots} shots`,
          dashed: true,
          points: scaleRows.map((y): [number, number] => [y.shots, ((first.wallMs / 60_000) * y.shots) / first.shots]),
        },
      ],
    });
  }
  if (!panels.length) return undefined;
  return renderSvg(panels, `seedance-flow bench (${r.meta.mode}), ${r.meta.startedAt}, commit ${r.meta.commit}`);
}
