/**
 * Payload encryption end to end (temporal/codec.ts): with SEEDANCE_CODEC_KEYS set, a storyboard
 * rendered through the CLI and the worker leaves no prompt anywhere in any history (the
 * storyboard, its shots, the account's limiter) while the CLI, the report and the codec server
 * still read them; a worker holding a different key (or no codec at all) fails its workflow task
 * with a message that says so, visible in the history, and renders nothing.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WorkflowNotFoundError, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { loadConfig } from '../../common/config';
import { createPayloadCodec } from '../../temporal/codec';
import { startCodecServer } from '../../temporal/codec-server';
import { limiterWorkflowId } from '../../common/admission';
import { createWorkers } from '../../workers/worker';
import { runCli } from '../helpers/cli';
import { harnessWorkerEnv, s3Text, startHarness, waitFor, type Harness } from '../helpers/harness';
import { historyText } from '../helpers/history';

jest.setTimeout(180_000);

const keyText = (id: string) => `${id}:${randomBytes(32).toString('base64')}`;
const KEYS = keyText('it-k1');
const OTHER_KEYS = keyText('it-other');
const tag = randomUUID().slice(0, 8);
const PROMPTS = [`unreleased-prompt-alpha-${tag} a lighthouse keeper`, `unreleased-prompt-beta-${tag} the storm rolls in`];
const BOARD = `codec-board-${tag}`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ sim: { renderMs: 800 }, env: { SEEDANCE_CODEC_KEYS: KEYS } });
});
afterAll(async () => {
  await h?.stop();
});

/** Every history this storyboard left: the storyboard, each shot, and the account's limiter. */
async function histories(storyboardId: string, expected: number): Promise<Map<string, string>> {
  const ids = await waitFor(
    `${expected} workflows with StoryboardId=${storyboardId}`,
    async () => {
      const found: string[] = [];
      for await (const w of h.client.workflow.list({ query: `StoryboardId="${storyboardId}"` })) found.push(w.workflowId);
      return found;
    },
    (found) => found.length >= expected,
  );
  const out = new Map<string, string>();
  for (const id of [...new Set([...ids, storyboardId, limiterWorkflowId(h.config.SEEDANCE_ACCOUNT)])]) {
    const handle: WorkflowHandle = h.client.workflow.getHandle(id);
    try {
      out.set(id, await historyText(handle));
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
    }
  }
  return out;
}

test('render through the CLI with the codec on: no prompt in any history; the CLI, the report and the codec server still read them', async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-codec-'));
  const file = path.join(dir, 'board.json');
  writeFileSync(file, JSON.stringify({ id: BOARD, shots: PROMPTS.map((prompt, i) => ({ id: `s${i}`, prompt })) }));
  const cli = (args: string[], env: Record<string, string> = {}) => runCli(h, args, { SEEDANCE_CODEC_KEYS: KEYS, ...env });

  const res = await cli(['render', file, '--wait', '--json']);
  expect({ code: res.code, stderr: res.code ? res.stderr : '' }).toEqual({ code: 0, stderr: '' });
  expect(JSON.parse(res.stdout)).toMatchObject({ storyboardId: BOARD, status: 'completed', counts: { stored: 2 } });

  const all = await histories(BOARD, 3);
  expect([...all.keys()]).toEqual(
    expect.arrayContaining([BOARD, `${BOARD}/s0`, `${BOARD}/s1`, limiterWorkflowId(h.config.SEEDANCE_ACCOUNT)]),
  );
  for (const [id, text] of all) {
    expect(text.length).toBeGreaterThan(100);
    for (const prompt of PROMPTS) {
      // historyText also decodes every byte field as UTF-8, so nothing hides in a payload's data.
      if (text.includes(prompt) || text.includes(prompt.slice(0, 30))) throw new Error(`prompt found in the history of ${id}`);
    }
    expect(text).toContain('binary/encrypted');
  }
  // The control: the shot's input is there, encrypted; decoded with the key it holds its prompt.
  const { events } = await h.client.workflow.getHandle(`${BOARD}/s0`).fetchHistory();
  const input = events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads ?? [];
  expect(input).toHaveLength(1);
  const decoded = await createPayloadCodec(h.config)!.decode(input as Payload[]);
  expect(defaultPayloadConverter.fromPayload<{ shot: { prompt: string } }>(decoded[0]!).shot.prompt).toBe(PROMPTS[0]);
  // The codec server (what the UI calls) decodes the same history payload for a caller with the token.
  const token = randomBytes(24).toString('hex');
  const server = await startCodecServer({ codec: createPayloadCodec(h.config)!, host: '127.0.0.1', port: 0, token, origins: [] });
  try {
    const b64 = (u: Uint8Array | null | undefined) => Buffer.from(u ?? new Uint8Array()).toString('base64');
    const asJson = (p: Payload) => ({
      metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([k, v]) => [k, b64(v)])),
      data: b64(p.data),
    });
    const res = await fetch(`${server.endpoint}/decode`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'x-namespace': h.client.options.namespace },
      body: JSON.stringify({ payloads: (input as Payload[]).map(asJson) }),
    });
    expect(res.status).toBe(200);
    const { payloads } = (await res.json()) as { payloads: { data: string }[] };
    expect(Buffer.from(payloads[0]!.data, 'base64').toString('utf8')).toContain(PROMPTS[0]);
  } finally {
    await server.close();
  }
  const child = await h.client.workflow.getHandle(`${BOARD}/s0`).describe();
  expect(child.status.name).toBe('COMPLETED');
  expect(child.searchAttributes).toMatchObject({ StoryboardId: [BOARD] });

  // The CLI with the key reads the storyboard's state (a query answer, encrypted on the wire).
  const status = await cli(['status', BOARD, '--json']);
  expect(status.code).toBe(0);
  expect(JSON.parse(status.stdout)).toMatchObject({ storyboardId: BOARD, status: 'completed', counts: { stored: 2 } });
  // The manifest and report in storage (written by activities that decrypted their input) show the prompts.
  const report = await s3Text(h, `${h.prefix}/${BOARD}/report.html`);
  for (const prompt of PROMPTS) expect(report).toContain(prompt);

  // A CLI without the key cannot read it, and says so rather than printing nothing.
  const blind = await runCli(h, ['status', BOARD, '--json']);
  expect(blind.code).not.toBe(0);
  expect(blind.stderr).toMatch(/binary\/encrypted|encrypt/i);
});

test.each([
  {
    worker: 'a different key',
    keys: OTHER_KEYS,
    message:
      'payload encrypted with key id it-k1, which this process does not have; configure SEEDANCE_CODEC_KEYS (or SEEDANCE_CODEC_KEYS_FILE) with that key',
  },
  { worker: 'no codec at all', keys: '', message: 'Unknown encoding: binary/encrypted' },
])('a worker with $worker fails its workflow task with a clear message in the history, and renders nothing', async ({ keys, message }) => {
  const queue = `${h.config.SEEDANCE_TASK_QUEUE}-${keys ? 'otherkey' : 'nokey'}`;
  const env = harnessWorkerEnv(h, { SEEDANCE_TASK_QUEUE: queue, SEEDANCE_CODEC_KEYS: keys, SEEDANCE_WORKER_ROLES: 'workflows' });
  const workers = await createWorkers(loadConfig(env), { env });
  const running = workers.run();
  try {
    const submissionsBefore = h.sim.stats().submissions;
    // Started by a client holding it-k1: the input is encrypted with a key this worker lacks.
    const handle = await h.client.workflow.start('renderVideo', {
      taskQueue: queue,
      workflowId: `codec-${keys ? 'other-key' : 'no-key'}-${tag}`,
      args: [{ shot: { prompt: PROMPTS[0] }, storageKey: `codec-${tag}.mp4` }],
    });
    try {
      const failure = await waitFor(
        'a WorkflowTaskFailed event',
        async () => {
          const { events } = await handle.fetchHistory();
          return events?.find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.message ?? '';
        },
        (message) => message !== '',
        30_000,
        200,
      );
      expect(failure).toBe(message);
      expect((await handle.describe()).status.name).toBe('RUNNING');
      expect(h.sim.stats().submissions).toBe(submissionsBefore);
    } finally {
      await handle.terminate('test over');
    }
  } finally {
    workers.shutdown();
    await running;
  }
});
