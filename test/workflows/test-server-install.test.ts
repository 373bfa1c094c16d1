/**
 * `scripts/infra.sh install test-server`: fetched once, then a stamp check; the wrapper
 * `exec`s java with the server's main class and the class-data archive the install wrote;
 * a missing or failing mvn is a clear error that leaves nothing looking installed. Stubs
 * stand in for mvn and java, so nothing is downloaded and no JVM starts.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const INFRA = path.resolve(__dirname, '../../scripts/infra.sh');
const VERSION = '1.38.0';

let tmp: string;
let log: string;
let mvn: string;
let javaHome: string;
beforeAll(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sf-test-server-'));
  log = path.join(tmp, 'calls.log');
  // mvn: "copies" two jars into -DoutputDirectory; fails when told to.
  mvn = path.join(tmp, 'mvn');
  writeFileSync(
    mvn,
    `#!/usr/bin/env bash
echo "mvn $*" >> ${JSON.stringify(log)}
[[ -n "\${STUB_MVN_FAIL:-}" ]] && { echo "[ERROR] Could not resolve dependencies" >&2; exit 1; }
for a; do case $a in -DoutputDirectory=*) out=\${a#*=} ;; esac; done
mkdir -p "$out" && touch "$out/temporal-test-server-${VERSION}.jar" "$out/slf4j-nop-1.7.36.jar"
`,
  );
  // java: listens on the port it is given (the last argument) until SIGTERM, and then
  // writes the archive -XX:ArchiveClassesAtExit names, as the JVM does on its way out.
  javaHome = path.join(tmp, 'jdk');
  mkdirSync(path.join(javaHome, 'bin'), { recursive: true });
  writeFileSync(
    path.join(javaHome, 'bin', 'java'),
    `#!/usr/bin/env bash
echo "java $*" >> ${JSON.stringify(log)}
archive=''
for a; do case $a in -XX:ArchiveClassesAtExit=*) archive=\${a#*=} ;; esac; done
exec node -e '
  const [port, archive] = process.argv.slice(1);
  const s = require("net").createServer().listen(Number(port), "127.0.0.1");
  process.on("SIGTERM", () => { if (archive) require("fs").writeFileSync(archive, "cds"); s.close(); process.exit(0); });
' "\${@: -1}" "$archive"
`,
  );
  chmodSync(mvn, 0o755);
  chmodSync(path.join(javaHome, 'bin', 'java'), 0o755);
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});
beforeEach(() => writeFileSync(log, ''));

const calls = (tool: 'mvn' | 'java') =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith(`${tool} `));

function install(cache: string, env: Record<string, string> = {}) {
  return run('bash', [INFRA, 'install', 'test-server'], {
    env: { ...process.env, SEEDANCE_CACHE_DIR: cache, SEEDANCE_MVN: mvn, JAVA_HOME: javaHome, ...env },
    timeout: 60_000,
  });
}

test('installs once: fetch, wrapper, smoke start that writes the archive, stamp; then a stamp check', async () => {
  const cache = path.join(tmp, 'cache-ok');
  await install(cache);
  expect(calls('mvn')).toEqual([expect.stringContaining('dependency:copy-dependencies')]);
  expect(calls('mvn')[0]).toContain(`-Dmaven.repo.local=${cache}/m2`);
  const dir = path.join(cache, 'test-server', VERSION);
  expect(existsSync(path.join(dir, 'lib', `temporal-test-server-${VERSION}.jar`))).toBe(true);
  expect(existsSync(path.join(dir, 'server.jsa'))).toBe(true);
  expect(readFileSync(path.join(cache, 'bin', '.test-server.version'), 'utf8')).toContain(`temporal-test-server:${VERSION}`);
  const smoke = calls('java');
  expect(smoke).toHaveLength(1);
  expect(smoke[0]).toMatch(
    /-XX:ArchiveClassesAtExit=\S+server\.jsa .*-cp \S+temporal-test-server-1\.38\.0\.jar\S* io\.temporal\.testserver\.TestServer \d+$/,
  );

  writeFileSync(log, '');
  await install(cache);
  expect(calls('mvn')).toEqual([]);
  expect(calls('java')).toEqual([]);
});

test('the wrapper execs java with the archive, so the pid the SDK starts is the server', async () => {
  const cache = path.join(tmp, 'cache-ok');
  if (!existsSync(path.join(cache, 'bin', 'temporal-test-server'))) await install(cache);
  writeFileSync(log, '');
  const wrapper = path.join(cache, 'bin', 'temporal-test-server');
  const text = readFileSync(wrapper, 'utf8');
  expect(text).toMatch(/^exec "\$java" /m);
  // Not started here (it would listen): ask bash what the wrapper would run.
  const { stdout } = await run('bash', ['-c', `exec() { printf '%s\\n' "$@"; }; source ${JSON.stringify(wrapper)} 7233`], {
    env: { ...process.env, JAVA_HOME: javaHome },
  });
  const argv = stdout.trim().split('\n');
  expect(argv[0]).toBe(path.join(javaHome, 'bin', 'java'));
  expect(argv).toContain(`-XX:SharedArchiveFile=${path.join(cache, 'test-server', VERSION, 'server.jsa')}`);
  expect(argv.slice(-2)).toEqual(['io.temporal.testserver.TestServer', '7233']);
});

test('a failing mvn is an error naming its log, and nothing looks installed', async () => {
  const cache = path.join(tmp, 'cache-fail');
  await expect(install(cache, { STUB_MVN_FAIL: '1' })).rejects.toMatchObject({
    stderr: expect.stringMatching(/fetching the Temporal test server failed; full log: \S+test-server-install\.log/),
  });
  expect(existsSync(path.join(cache, 'bin', '.test-server.version'))).toBe(false);
  expect(existsSync(path.join(cache, 'test-server', VERSION, 'lib'))).toBe(false);
  // The next install tries again.
  await install(cache);
  expect(calls('mvn')).toHaveLength(2);
});

test('without mvn or java it says what to install', async () => {
  const cache = path.join(tmp, 'cache-missing');
  await expect(install(cache, { SEEDANCE_MVN: path.join(tmp, 'no-mvn') })).rejects.toMatchObject({
    stderr: expect.stringContaining('Install Maven'),
  });
  await expect(install(cache, { JAVA_HOME: path.join(tmp, 'no-jdk') })).rejects.toMatchObject({
    stderr: expect.stringContaining('Install a Java runtime'),
  });
  expect(calls('mvn')).toEqual([]);
});
