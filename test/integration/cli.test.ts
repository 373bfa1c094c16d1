/**
 * `seedance-flow video` as a user runs it: a child process, configuration from the
 * environment, one JSON object on stdout with --json, exit codes that scripts can trust.
 */
import path from 'node:path';
import { runCli } from '../helpers/cli';
import { s3Object, startHarness, type Harness } from '../helpers/harness';

jest.setTimeout(120_000);

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.stop();
});
beforeEach(() => h.sim.reset());

const cli = (args: string[], env: Record<string, string> = {}) => runCli(h, args, env);

test('video --json renders with a local first frame and prints one object', async () => {
  const image = path.resolve(__dirname, '../fixtures/first-frame.png');
  const { code, stdout, stderr } = await cli([
    'video',
    '--prompt',
    'harbour at night',
    '--image',
    image,
    '--role',
    'first_frame',
    '--seed',
    '11',
    '--json',
  ]);
  expect({ code, stderr }).toMatchObject({ code: 0 });
  const out = JSON.parse(stdout);
  expect(out).toMatchObject({
    workflowId: expect.stringMatching(/^video-/),
    taskId: expect.any(String),
    status: 'stored',
    storageUrl: expect.stringMatching(/^s3:\/\//),
    sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    bytes: expect.any(Number),
    usage: { totalTokens: expect.any(Number) },
  });
  expect((await s3Object(h, `${h.prefix}/${out.key}`)).sha256).toBe(out.sha256);
  expect(h.sim.stats().submissions).toBe(1);
});

test('the same command twice attaches to the finished render instead of paying again', async () => {
  const args = ['video', '--prompt', `once only ${Date.now()}`, '--json'];
  const first = JSON.parse((await cli(args)).stdout);
  const second = JSON.parse((await cli(args)).stdout);
  expect(second).toMatchObject({ workflowId: first.workflowId, taskId: first.taskId, sha256: first.sha256 });
  expect(h.sim.stats().submissions).toBe(1);
});

test('a failed render exits non-zero with the failure type in the JSON', async () => {
  const { code, stdout } = await cli(['video', '--prompt', `doomed ${Date.now()} [sim:fail=InternalServiceError]`, '--json']);
  expect(code).toBe(1);
  expect(JSON.parse(stdout)).toMatchObject({ status: 'failed', failureType: 'TaskFailed', taskId: expect.any(String) });
});

test('bad input and bad configuration exit 2 naming the problem, with nothing submitted', async () => {
  const badShot = await cli(['video', '--prompt', 'p', '--duration', '40']);
  expect(badShot.code).toBe(2);
  expect(badShot.stderr).toMatch(/duration: .*2 and 12/);

  const badEnv = await cli(['video', '--prompt', 'p'], { SEEDANCE_AUTH_SCHEME: 'token' });
  expect(badEnv.code).toBe(2);
  expect(badEnv.stderr).toMatch(/SEEDANCE_AUTH_SCHEME/);

  const missingImage = await cli(['video', '--prompt', 'p', '--image', '/nonexistent/x.png']);
  expect(missingImage.code).toBe(2);
  expect(missingImage.stderr).toMatch(/nonexistent\/x\.png: cannot read/);
  expect(h.sim.stats().submitAttempts).toBe(0);
});
