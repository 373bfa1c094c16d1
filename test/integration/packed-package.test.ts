/**
 * The package as another team gets it: `npm pack` (whose prepack builds dist/), the tarball
 * installed into a fresh project with its own package.json and tsconfig, that project's team
 * workflow and the README's "From your own workflows" snippets type-checked against the
 * installed declarations (two module resolutions), its CLI run from dist/, and then, from the
 * fresh project with its own node_modules (fixtures/packed-team/src/run.ts): a storyboard
 * rendered as a child by name from the team's own Worker, and one rendered by the team's own
 * Workers embedding seedance-flow through the plugin. Both manifests are read back from MinIO.
 *
 * Slow by nature (pack and build ~20 s, a fresh npm install from the local cache ~10-20 s,
 * tsc twice ~15 s, two workflow bundles and two storyboards ~20 s on 2 cores): the timeout is
 * generous; the test logs its timings.
 */
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { harnessWorkerEnv, s3Object, s3Text, startHarness, type Harness } from '../helpers/harness';

jest.setTimeout(600_000);

const ROOT = path.resolve(__dirname, '../..');
const FIXTURE = path.resolve(__dirname, '../fixtures/packed-team');
const SHOTS = 3;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command without blocking this process (the simulator answers from it meanwhile); bounded. */
function run(cmd: string, args: string[], opts: { cwd: string; env?: NodeJS.ProcessEnv; timeoutMs: number }): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs);
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

function ok(what: string, r: Run): Run {
  if (r.code !== 0)
    throw new Error(`${what} exited with ${r.code}\n--- stdout\n${r.stdout.slice(-4000)}\n--- stderr\n${r.stderr.slice(-4000)}`);
  return r;
}

const installedVersion = (name: string): string =>
  (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', name, 'package.json'), 'utf8')) as { version: string }).version;

let h: Harness;
let tmp: string;
const timings: Record<string, number> = {};
async function timed<T>(step: string, fn: () => Promise<T>): Promise<T> {
  const started = Date.now();
  try {
    return await fn();
  } finally {
    timings[step] = Date.now() - started;
  }
}

/**
 * A copy of the working tree, committed as a git repository of its own (what a git URL
 * install clones), and then given this checkout's node_modules for `npm pack` to build with.
 * Packing from a copy keeps prepack's build away from this checkout's dist/, which other test
 * files may be using.
 */
async function copySource(): Promise<string> {
  const source = path.join(tmp, 'source');
  const listed = ok('git ls-files', await run('git', ['ls-files', '-co', '--exclude-standard', '-z'], { cwd: ROOT, timeoutMs: 30_000 }));
  for (const file of listed.stdout.split('\0').filter((f) => f && existsSync(path.join(ROOT, f)))) {
    mkdirSync(path.dirname(path.join(source, file)), { recursive: true });
    cpSync(path.join(ROOT, file), path.join(source, file));
  }
  const git = (...args: string[]) =>
    run('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', ...args], { cwd: source, timeoutMs: 60_000 });
  ok('git init', await git('init', '--quiet'));
  ok('git add', await git('add', '-A'));
  ok('git commit', await git('commit', '--quiet', '-m', 'the working tree under test'));
  // After the commit: the clone must not get a link into this checkout's node_modules.
  symlinkSync(path.join(ROOT, 'node_modules'), path.join(source, 'node_modules'), 'dir');
  return source;
}

/** A fresh project: its own package.json (these dependencies, at the versions this repository uses) and tsconfig. */
function freshProject(name: string, seedanceFlow: string): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir);
  cpSync(path.join(FIXTURE, 'src'), path.join(dir, 'src'), { recursive: true });
  for (const f of ['tsconfig.json', 'tsconfig.node16.json']) cpSync(path.join(FIXTURE, f), path.join(dir, f));
  const deps = ['@temporalio/client', '@temporalio/worker', '@temporalio/workflow', 'typescript', '@types/node'];
  writeFileSync(
    path.join(dir, 'package.json'),
    JSON.stringify({
      name,
      private: true,
      dependencies: { 'seedance-flow': seedanceFlow, ...Object.fromEntries(deps.map((d) => [d, installedVersion(d)])) },
    }),
  );
  return dir;
}

const npmInstall = async (cwd: string) =>
  ok('npm install', await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund'], { cwd, timeoutMs: 300_000 }));

let source: string;
beforeAll(async () => {
  h = await startHarness({ inProcessWorker: false });
  tmp = mkdtempSync(path.join(os.tmpdir(), 'sf-packed-'));
  source = await timed('copy', copySource);
});
afterAll(async () => {
  await h?.stop();
  if (tmp) rmSync(tmp, { recursive: true, force: true });
  console.log(`packed-package timings (ms): ${JSON.stringify(timings)}`);
});

test('the packed tarball installs into a fresh project, type-checks, and renders by name and embedded', async () => {
  await timed('pack', async () =>
    ok('npm pack', await run('npm', ['pack', '--pack-destination', tmp], { cwd: source, timeoutMs: 240_000 })),
  );
  const tarball = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
  expect(tarball).toMatch(/^seedance-flow-\d+\.\d+\.\d+\.tgz$/);

  // What the tarball holds: the compiled entry points with declarations, the prebuilt
  // workflow bundle, the CLI and the assets it reads at run time; no sources, tests or maps.
  const files = ok('tar', await run('tar', ['-tzf', path.join(tmp, tarball as string)], { cwd: tmp, timeoutMs: 30_000 }))
    .stdout.split('\n')
    .filter(Boolean)
    .map((f) => f.replace(/^package\//, ''));
  expect(files).toEqual(
    expect.arrayContaining([
      'package.json',
      'README.md',
      'bin/seedance-flow.js',
      'dist/client/index.js',
      'dist/client/index.d.ts',
      'dist/workflows/index.js',
      'dist/workflows/index.d.ts',
      'dist/workers/index.js',
      'dist/workers/index.d.ts',
      'dist/workflow-bundle.js',
      'simulator/assets/sample.mp4',
      'examples/lighthouse-keeper.yaml',
    ]),
  );
  expect(files.filter((f) => /(^|\/)test\/|\.test\.|\.map$|(?<!\.d)\.ts$/.test(f))).toEqual([]);

  // A fresh project with the tarball as its dependency.
  const team = freshProject('team', `file:../${tarball}`);
  await timed('install', () => npmInstall(team));

  // The README's "From your own workflows" snippets, compiled as the fresh project's own code.
  const readme = readFileSync(path.join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## From your own workflows\n'));
  const snippets = [...section.slice(0, section.indexOf('\n## ', 1)).matchAll(/^```ts\n([\s\S]*?)^```$/gm)].map((m) => m[1] as string);
  expect(snippets.length).toBeGreaterThanOrEqual(3);
  mkdirSync(path.join(team, 'src/readme'));
  snippets.forEach((code, i) => writeFileSync(path.join(team, `src/readme/snippet-${i}.ts`), code));

  // Type-checked and compiled against the installed declarations: node10 resolution (through
  // typesVersions) and node16 (through the exports map).
  const tsc = path.join(team, 'node_modules/typescript/bin/tsc');
  await timed('tsc', async () => {
    ok('tsc (node10)', await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: team, timeoutMs: 120_000 }));
    ok('tsc (node16)', await run(process.execPath, [tsc, '-p', 'tsconfig.node16.json'], { cwd: team, timeoutMs: 120_000 }));
  });

  // The installed CLI runs the compiled dist/ (no sources, no tsx there) and finds its example.
  const cli = ok(
    'seedance-flow validate',
    await run(
      process.execPath,
      [
        path.join(team, 'node_modules/seedance-flow/bin/seedance-flow.js'),
        'validate',
        'node_modules/seedance-flow/examples/lighthouse-keeper.yaml',
        '--json',
      ],
      { cwd: team, timeoutMs: 60_000 },
    ),
  );
  expect(JSON.parse(cli.stdout)).toMatchObject({ valid: true });

  const q = h.config.SEEDANCE_TASK_QUEUE;
  const ids = { byName: `packed-by-name-${q}`, embedded: `packed-embedded-${q}` };
  const runner = await timed('run', async () =>
    ok(
      'the team runner',
      await run(process.execPath, [path.join(team, 'lib/run.js')], {
        cwd: team,
        timeoutMs: 240_000,
        env: harnessWorkerEnv(h, {
          SEEDANCE_ALLOW_PRIVATE_NETWORK: 'true', // the simulator's video links are on 127.0.0.1
          SEEDANCE_SHUTDOWN_GRACE_MS: '2000',
          TEAM_TASK_QUEUE: `team-${q}`,
          EMBED_TASK_QUEUE: `embed-${q}`,
          BY_NAME_ID: ids.byName,
          EMBED_ID: ids.embedded,
          SHOTS: String(SHOTS),
        }),
      }),
    ),
  );
  const line = runner.stdout.split('\n').find((l) => l.startsWith('RESULT '));
  if (!line) throw new Error(`the team runner printed no result\n${runner.stdout}\n${runner.stderr.slice(-4000)}`);
  const result = JSON.parse(line.slice('RESULT '.length));

  const shotIds = Array.from({ length: SHOTS }, (_, i) => `s${i}`);
  for (const [mode, id] of [
    ['byName', ids.byName],
    ['embedded', ids.embedded],
  ] as const) {
    expect(result[mode]).toEqual({ manifestKey: `${id}/manifest.json`, stored: SHOTS, shotIds });
    // The manifest the client API read, and the object really in the bucket, agree.
    const stored = JSON.parse(await s3Text(h, `${h.prefix}/${id}/manifest.json`));
    expect(result[`${mode}Manifest`]).toEqual(stored);
    expect(stored).toMatchObject({ storyboardId: id, totalShots: SHOTS });
    expect(stored.shots.map((s: { shotId: string; status: string; key: string }) => [s.shotId, s.status, s.key])).toEqual(
      shotIds.map((s) => [s, 'stored', `${id}/${s}.mp4`]),
    );
    for (const s of stored.shots as { key: string; sha256: string; bytes: number }[]) {
      const video = await s3Object(h, `${h.prefix}/${s.key}`);
      expect({ sha256: video.sha256, bytes: video.bytes }).toEqual({ sha256: s.sha256, bytes: s.bytes });
    }
  }
  // The client API: a video started and awaited, a finished storyboard's status.
  expect(result.video).toMatchObject({ status: 'stored', bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
  const video = await s3Object(h, `${h.prefix}/${result.video.key}`);
  expect({ sha256: video.sha256, bytes: video.bytes }).toEqual({ sha256: result.video.sha256, bytes: result.video.bytes });
  expect(result.byNameStatus).toMatchObject({ storyboardId: ids.byName, status: 'completed', counts: { stored: SHOTS, failed: 0 } });

  // The plugin's queues, one Worker each in the runner.
  expect(result.taskQueues).toEqual({ workflows: `embed-${q}`, provider: `embed-${q}-provider`, copy: `embed-${q}-copy` });
  // A type-only import leaves seedance-flow out of the caller's bundle; re-exporting puts it in (the control).
  expect(result.teamBundleMarkers).toEqual([]);
  expect(result.embedBundleMarkers).toEqual(['seedance-flow/dist/workflows', 'storyboardProgress']);
});

test('installing from a git URL builds dist/ (prepare) and gives the same entry points', async () => {
  const project = freshProject('from-git', `git+file://${source}`);
  await timed('git install', () => npmInstall(project));
  const installed = path.join(project, 'node_modules/seedance-flow');
  for (const f of ['dist/client/index.d.ts', 'dist/workflows/index.d.ts', 'dist/workers/index.d.ts', 'dist/workflow-bundle.js']) {
    expect({ f, exists: existsSync(path.join(installed, f)) }).toEqual({ f, exists: true });
  }
  expect(existsSync(path.join(installed, 'test'))).toBe(false);
  // The team's workflow type-checks against it, and each entry point loads with its API.
  const tsc = path.join(project, 'node_modules/typescript/bin/tsc');
  ok('tsc (node16)', await run(process.execPath, [tsc, '-p', 'tsconfig.node16.json'], { cwd: project, timeoutMs: 120_000 }));
  const loaded = ok(
    'require',
    await run(
      process.execPath,
      [
        '-e',
        "const m = (n) => require(n); console.log(JSON.stringify([typeof m('seedance-flow').connect, typeof m('seedance-flow/workflows').renderStoryboard, typeof m('seedance-flow/worker').SeedanceFlowPlugin]))",
      ],
      { cwd: project, timeoutMs: 60_000 },
    ),
  );
  expect(JSON.parse(loaded.stdout)).toEqual(['function', 'function', 'function']);
});
