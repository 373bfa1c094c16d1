/**
 * `scripts/infra.sh install NAME` builds only what is named, and the demo asks only for
 * Temporal (it stores to the filesystem: building MinIO cost it ~2 minutes on a fresh
 * machine). A stub `go` on PATH records what it is asked to build; nothing is downloaded.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { temporalBinary } from '../../client/commands/demo';

const run = promisify(execFile);
const INFRA = path.resolve(__dirname, '../../scripts/infra.sh');

let tmp: string;
let stubDir: string;
let goLog: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sf-infra-'));
  stubDir = path.join(tmp, 'stub-bin');
  goLog = path.join(tmp, 'go.log');
  await run('mkdir', ['-p', stubDir]);
  // `go install -v PKG@VERSION` "builds" an empty executable named after the package into
  // $GOBIN; `go version -m` knows nothing (so every binary counts as not installed).
  writeFileSync(
    path.join(stubDir, 'go'),
    `#!/usr/bin/env bash
echo "$*" >> ${JSON.stringify(goLog)}
if [[ "$1" == install ]]; then
  pkg=\${3%@*}
  printf '#!/bin/sh\\n' > "$GOBIN/\${pkg##*/}"
  chmod +x "$GOBIN/\${pkg##*/}"
  exit 0
fi
exit 1
`,
  );
  chmodSync(path.join(stubDir, 'go'), 0o755);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

function envFor(cacheDir: string): NodeJS.ProcessEnv {
  const { TEMPORAL_CLI_PATH: _ignored, ...rest } = process.env;
  return { ...rest, PATH: `${stubDir}:${process.env.PATH ?? ''}`, SEEDANCE_CACHE_DIR: cacheDir };
}

const builds = () =>
  existsSync(goLog)
    ? readFileSync(goLog, 'utf8')
        .split('\n')
        .filter((l) => l.startsWith('install'))
    : [];

beforeEach(() => writeFileSync(goLog, ''));

describe('infra.sh install', () => {
  test('install temporal builds Temporal only; MinIO is not touched', async () => {
    const cache = path.join(tmp, 'cache-temporal');
    await run('bash', [INFRA, 'install', 'temporal'], { env: envFor(cache) });
    expect(builds()).toEqual([expect.stringContaining('github.com/temporalio/cli/cmd/temporal@')]);
    expect(existsSync(path.join(cache, 'bin', 'temporal'))).toBe(true);
    expect(existsSync(path.join(cache, 'bin', 'minio'))).toBe(false);
  }, 60_000);

  test('install with no name builds both, as before', async () => {
    const cache = path.join(tmp, 'cache-both');
    await run('bash', [INFRA, 'install'], { env: envFor(cache) });
    expect(builds()).toEqual([expect.stringContaining('temporalio/cli/cmd/temporal@'), expect.stringContaining('github.com/minio/minio@')]);
    expect(existsSync(path.join(cache, 'bin', 'minio'))).toBe(true);
  }, 60_000);

  test('an unknown name is an error and builds nothing', async () => {
    const cache = path.join(tmp, 'cache-bogus');
    await expect(run('bash', [INFRA, 'install', 'postgres'], { env: envFor(cache) })).rejects.toMatchObject({
      stderr: expect.stringContaining("unknown binary 'postgres'"),
    });
    expect(builds()).toEqual([]);
  }, 60_000);
});

describe('demo', () => {
  test('installs only the Temporal dev server when it is missing', () => {
    jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const cache = path.join(tmp, 'cache-demo');
    const found = temporalBinary(envFor(cache));
    expect(found).toBe(path.join(cache, 'bin', 'temporal'));
    expect(builds()).toEqual([expect.stringContaining('temporalio/cli/cmd/temporal@')]);
    expect(existsSync(path.join(cache, 'bin', 'minio'))).toBe(false);
  }, 60_000);
});
