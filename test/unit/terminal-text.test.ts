/**
 * Text the CLI did not write itself (provider messages, ids, file-derived problems) reaches a
 * terminal cleaned and bounded; `--json` stays valid, complete JSON with bounded strings.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { progressLine } from '../../client/progress-view';
import { JSON_STRING_MAX, TERMINAL_TEXT_MAX, boundedJson, terminalBlock, terminalText } from '../../common/terminal-text';
import type { StoryboardProgress } from '../../common/storyboard';

const run = promisify(execFile);
const BIN = path.resolve(__dirname, '../../bin/seedance-flow.js');
// Anything a terminal acts on: ESC, CSI/OSC introducers, C1 controls, \r, backspace, BEL, bidi overrides.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

describe('terminalText', () => {
  test('removes ANSI escape sequences, not just the ESC byte', () => {
    expect(terminalText('\x1b[31mred\x1b[0m text')).toBe('red text');
    expect(terminalText('a\x1b]0;owned title\x07b')).toBe('ab');
    expect(terminalText('a\x1b]8;;http://evil.example/\x1b\\link\x1b]8;;\x1b\\b')).toBe('alinkb');
    expect(terminalText('x\x9b2Jy')).toBe('xy');
    expect(terminalText('\x1b[2K\x1b[1A\x1b[999D')).toBe('');
  });

  test('replaces every other control character with a space: \\r, \\n, C0, DEL, C1, bidi overrides', () => {
    const out = terminalText('ok\rFAKE\nline\b\x07\x7f\x85\u202egnp.exe\u2066');
    expect(out).not.toMatch(UNSAFE);
    expect(out).toBe('ok FAKE line     gnp.exe ');
  });

  test('truncates to a bounded length and says so; short text is unchanged', () => {
    expect(terminalText('task-123')).toBe('task-123');
    const out = terminalText('A'.repeat(2_000_000));
    expect(out.length).toBeLessThan(TERMINAL_TEXT_MAX + 40);
    expect(out).toMatch(/…\[cut: 2000000 chars\]$/);
    expect(terminalText('x'.repeat(20), 5)).toBe('xxxxx…[cut: 20 chars]');
  });

  test('never splits a surrogate pair', () => {
    const out = terminalText('😀'.repeat(10), 3);
    expect(out.startsWith('😀😀😀…')).toBe(true);
  });

  test('undefined and numbers print plainly', () => {
    expect(terminalText(undefined)).toBe('');
    expect(terminalText(42)).toBe('42');
  });

  test('a huge hostile string is cleaned in bounded time', () => {
    const started = Date.now();
    terminalText('\x1b['.repeat(1_000_000));
    terminalText('\x1b]'.repeat(1_000_000));
    terminalBlock('\x1b[31m\n'.repeat(500_000));
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('terminalBlock', () => {
  test('keeps line breaks, cleans each line, bounds the whole', () => {
    expect(terminalBlock('invalid shot:\n  \x1b[31mprompt\x1b[0m: too long\r\n  x')).toBe('invalid shot:\n  prompt: too long\n  x');
    const out = terminalBlock(`${'B'.repeat(100_000)}\n`.repeat(100));
    expect(out.length).toBeLessThan(4100);
    expect(out).toMatch(/…\[cut: \d+ chars\]$/);
  });
});

describe('boundedJson', () => {
  test('valid JSON, every field present, long strings cut with a marker', () => {
    const value = { id: 'x'.repeat(2_000_000), n: 1, nested: [{ message: 'short' }] };
    const json = boundedJson(value);
    const back = JSON.parse(json) as typeof value;
    expect(back.n).toBe(1);
    expect(back.nested[0]?.message).toBe('short');
    expect(back.id.length).toBeLessThan(JSON_STRING_MAX + 40);
    expect(back.id).toMatch(/…\[cut: 2000000 chars\]$/);
  });

  test('no raw C1, DEL or bidi control reaches the terminal; the values survive exactly', () => {
    const value = { message: 'a\x1b[31mb\x9b2J\x7f\u202e\u2028c' };
    const json = boundedJson(value);
    expect(json).not.toMatch(UNSAFE);
    expect(json).not.toMatch(/[\u2028\u2029]/);
    expect((JSON.parse(json) as typeof value).message).toBe(value.message);
  });
});

describe('progress line', () => {
  test('a pause reason from a signal cannot move the cursor or rewrite the line', () => {
    const p: StoryboardProgress = {
      storyboardId: 'sb',
      totalShots: 2,
      counts: { pending: 2, submitted: 0, rendering: 0, copying: 0, stored: 0, failed: 0 },
      shots: {},
      tokensUsed: 0,
      window: 10,
      paused: true,
      pauseReason: `\r\x1b[2K\x1b[32mall 2 shots stored\x1b[0m${'!'.repeat(10_000)}`,
      toleranceExceeded: false,
      runs: 1,
      startedAt: 0,
      done: false,
    };
    const line = progressLine(p, 1000);
    expect(line).not.toMatch(UNSAFE);
    expect(line.length).toBeLessThan(800);
  });
});

describe('the CLI prints file-derived text cleaned and bounded', () => {
  let dir: string;
  let file: string;
  const ID_CHARS = 200_000;
  const ALIASES = 40;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'sf-terminal-'));
    file = path.join(dir, 'aliases.yaml');
    // One long id with escape sequences, repeated by YAML aliases: each duplicate is a problem.
    const id = `\\e[2J\\e]0;pwned\\a${'A'.repeat(ID_CHARS)}`;
    const lines = ['id: hostile', 'shots:', `  - id: &big "${id}"`, '    prompt: x'];
    for (let i = 0; i < ALIASES; i++) lines.push('  - id: *big', '    prompt: x');
    await writeFile(file, `${lines.join('\n')}\n`);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function validate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(process.execPath, [BIN, 'validate', file, ...args], { maxBuffer: 64 * 1024 * 1024 });
      return { code: 0, stdout, stderr };
    } catch (err) {
      const e = err as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  test('validate: no control characters, output bounded whatever the aliases expand to', async () => {
    const { code, stdout, stderr } = await validate([]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/problems?, nothing was started/);
    expect(stderr + stdout).not.toMatch(UNSAFE);
    // Unbounded, this is ALIASES × ID_CHARS (8 MB); bounded, a few hundred characters a problem.
    expect(stderr.length).toBeLessThan(ALIASES * 2 * 1200);
  }, 60_000);

  test('validate --json: valid JSON, one entry per problem, every string bounded', async () => {
    const { code, stdout } = await validate(['--json']);
    expect(code).toBe(2);
    expect(stdout.length).toBeLessThan(ALIASES * 2 * (JSON_STRING_MAX + 200));
    const out = JSON.parse(stdout) as { valid: boolean; problems: { path: string; message: string }[] };
    expect(out.valid).toBe(false);
    expect(out.problems.length).toBeGreaterThanOrEqual(ALIASES);
    for (const p of out.problems) expect(p.message.length).toBeLessThan(JSON_STRING_MAX + 40);
  }, 60_000);
});
