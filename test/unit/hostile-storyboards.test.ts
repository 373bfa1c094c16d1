/**
 * The hostile storyboard corpus (test/fixtures/hostile-storyboards/, issue 10): every file is
 * rejected with a clear problem and a path, in bounded time and memory. FIFOs, devices,
 * symbolic links and the very large files are made here at run time, never committed.
 */
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  cpSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkStoryboardFile, type CheckOptions } from '../../client/storyboard-file';
import { png } from './craft-images';

const CORPUS = path.resolve(__dirname, '../fixtures/hostile-storyboards');
const work = mkdtempSync(path.join(os.tmpdir(), 'sf-hostile-'));
cpSync(CORPUS, work, { recursive: true });
const at = (name: string) => path.join(work, name);
const fifos: string[] = [];

// ----- made at run time -----
const shot = (extra = '') => `  - { id: s1, prompt: p${extra} }\n`;
const imageBoard = (p: string) => `id: b\nshots:\n  - { id: s1, prompt: p, images: [{ path: ${JSON.stringify(p)} }] }\n`;
for (const name of ['fifo.png', 'fifo-storyboard.yaml']) {
  execFileSync('mkfifo', [at(name)]);
  fifos.push(at(name));
}
writeFileSync(at('fifo-image.yaml'), imageBoard('fifo.png'));
symlinkSync('/dev/zero', at('zero.png'));
writeFileSync(at('dev-zero-link.yaml'), imageBoard('zero.png'));
symlinkSync(path.resolve(__dirname, '../../examples/images/dawn-start.png'), at('out.png'));
writeFileSync(at('symlink-out.yaml'), imageBoard('out.png'));
symlinkSync('loop.png', at('loop.png'));
writeFileSync(at('symlink-loop.yaml'), imageBoard('loop.png'));
writeFileSync(at('big.png'), png(1280, 720));
truncateSync(at('big.png'), 31 * 1024 * 1024); // sparse
writeFileSync(at('big-image.yaml'), imageBoard('big.png'));
// A valid storyboard made 11 MiB by comments: the old reader took it whole.
writeFileSync(at('eleven-mib.yaml'), `id: b\nshots:\n${shot()}${`# ${'x'.repeat(1022)}\n`.repeat(11 * 1024)}`);
const twoMb = 'x'.repeat(2 * 1024 * 1024);
writeFileSync(at('two-mb-id.yaml'), `id: ${twoMb}\nshots:\n${shot()}`);
writeFileSync(
  at('two-mb-id-aliased.yaml'),
  `id: &big ${twoMb}\nshots: [${Array.from({ length: 100 }, () => '{ id: *big, prompt: *big }').join(', ')}]\n`,
);
writeFileSync(at('deep-flow.yaml'), '['.repeat(1_000_000));
writeFileSync(at('deep-block.yaml'), `${'- '.repeat(1_000_000)}x\n`);
writeFileSync(at('deep.json'), `${'{"a":'.repeat(1_000_000)}1${'}'.repeat(1_000_000)}`);
writeFileSync(
  at('too-many-shots.json'),
  JSON.stringify({ id: 'b', shots: Array.from({ length: 100_001 }, (_, i) => ({ id: `s${i}`, prompt: 'p' })) }),
);
writeFileSync(at('every-shot-wrong.json'), JSON.stringify({ id: 'b', shots: Array.from({ length: 100_000 }, () => ({})) }));
writeFileSync(
  at('many-unknown-keys.json'),
  JSON.stringify({
    id: 'b',
    shots: [{ id: 's1', prompt: 'p', ...Object.fromEntries(Array.from({ length: 50_000 }, (_, i) => [`k${i}`, i])) }],
  }),
);
writeFileSync(
  at('alias-overuse.yaml'),
  `id: b\nx: &p a prompt\nshots:\n${Array.from({ length: 1001 }, (_, i) => `  - { id: s${i}, prompt: *p }\n`).join('')}`,
);
writeFileSync(at('unknown-extension.txt'), '{"id":"b","shots":[{"id":"s1","prompt":"p"}],"shots":[]}');
writeFileSync(at('huge-prompt.yaml'), `id: b\nshots:\n  - { id: s1, prompt: ${'y'.repeat(5000)} }\n`);

afterAll(() => {
  // Anything still waiting on a FIFO (the old reader did, forever) is released by a writer that comes and goes.
  for (const f of fifos) {
    try {
      closeSync(openSync(f, constants.O_WRONLY | constants.O_NONBLOCK));
    } catch {
      // nobody waits
    }
  }
  rmSync(work, { recursive: true, force: true });
});

type Expected = [path: string | RegExp, message: RegExp];
interface Case {
  file: string;
  expect: Expected[];
  options?: CheckOptions;
  /** Made by this test (not in the committed corpus). */
  runtime?: true;
  maxMs?: number;
}

const OUTSIDE = /resolves to .*, outside the storyboard's folder .*; move it there, or pass --allow-images-outside to allow it/;
const IMG = 'shots[0].images[0].path';

const CASES: Case[] = [
  // committed
  {
    file: 'not-a-mapping.yaml',
    expect: [['', /^a storyboard is a mapping with id, shots and optionally defaults; this file holds a list$/]],
  },
  { file: 'empty.yaml', expect: [['', /this file holds null/]] },
  { file: 'scalar.json', expect: [['', /this file holds a string/]] },
  {
    file: 'missing-id-and-shots.yaml',
    expect: [
      ['id', /^id is required/],
      ['shots', /^shots is required/],
    ],
  },
  {
    file: 'unknown-top-level-key.yaml',
    expect: [
      ['shotz', /^unknown key "shotz"/],
      ['shots', /^shots is required/],
    ],
  },
  {
    file: 'duplicate-keys.json',
    expect: [
      ['shots[0].prompt', /^duplicate key "prompt"/],
      ['id', /^duplicate key "id"/],
    ],
  },
  { file: 'duplicate-keys.yaml', expect: [['shots[0].duration', /^duplicate key "duration" \(line 6, column 5\)/]] },
  { file: 'billion-laughs.yaml', expect: [['', /YAML anchor is used through aliases .* more than 1000 times/]] },
  {
    file: 'self-referencing-alias.yaml',
    expect: [[/^shots\[0\]\.images\[0\]/, /nested deeper than 64 levels \(or a YAML alias that contains itself\)/]],
  },
  { file: 'yaml-tags.yaml', expect: [['shots[0].prompt', /not a Buffer/]] },
  { file: 'multiple-documents.yaml', expect: [['', /more than one YAML document .*line 3, column 1/]] },
  { file: 'syntax-error.yaml', expect: [['', /^not valid YAML: .*\(line \d+, column \d+\)$/]] },
  {
    file: 'wrong-types.yaml',
    expect: [
      ['id', /expected string, received number/],
      ['defaults.ratio', /expected string, received number/],
      ['shots[0].id', /expected string, received array/],
      ['shots[0].prompt', /expected string, received number/],
      ['shots[0].duration', /expected number, received string/],
      ['shots[0].seed', /expected int/],
      ['shots[0].camera_fixed', /expected boolean, received string/],
      ['shots[0].images', /expected array, received string/],
      ['shots[1]', /a shot is a mapping with id and prompt, got a string/],
      ['shots[2]', /got null/],
      ['shots[3]', /got a list/],
    ],
  },
  {
    file: 'wrong-types-images.yaml',
    expect: [
      ['shots[0].images[0].path', /expected string, received number/],
      ['shots[0].images[1]', /expected object, received string/],
      ['shots[0].images[2].path', /give exactly one of path or url/],
      ['shots[0].images[3].url', /expected string, received number/],
      ['shots[0].images[3].role', /expected one of "first_frame"\|"last_frame"\|"reference_image"/],
      ['shots[0].images[4].path', /give exactly one of path or url/],
      ['shots[0].images[5].path', /at least|>=1/],
    ],
  },
  { file: 'too-many-images.yaml', expect: [['shots[0].images', /^at most 9 images, got 10$/]] },
  { file: 'both-duration-and-frames.yaml', expect: [['shots[1].frames', /^give duration or frames, not both$/]] },
  {
    file: 'proto-pollution.json',
    expect: [
      ['__proto__', /^unknown key "__proto__"/],
      ['shots[0].__proto__', /^unknown key/],
      ['shots[0].constructor', /^unknown key/],
    ],
  },
  { file: 'escapes-folder.yaml', expect: [[IMG, OUTSIDE]] },
  { file: 'absolute-device.yaml', expect: [[IMG, OUTSIDE]] },
  {
    file: 'absolute-device.yaml',
    options: { allowImagesOutside: true },
    expect: [[IMG, /^\/dev\/zero: not a regular file but a character device/]],
  },
  {
    file: 'url-schemes.yaml',
    expect: [
      ['shots[0].images[0].url', /^url must be http\(s\)/],
      ['shots[1].images[0].url', /^url must be http\(s\)/],
      ['shots[2].images[0].url', /^url must be http\(s\)/],
      ['shots[3].images[0].url', /^url must be http\(s\)/],
      ['shots[4].images[0].url', /has no host/],
      ['shots[5].images[0].url', /control characters/],
      ['shots[6].images[0].path', /put URLs in url/],
      ['shots[7].images[0].path', /NUL/],
    ],
  },
  { file: 'fake-bmp.yaml', expect: [[IMG, /^fake\.bmp: not a valid bmp image/]] },
  { file: 'tiny-image.yaml', expect: [[IMG, /^tiny\.png: 100×100 px: each side must be 300-6000 px$/]] },
  { file: 'wide-image.yaml', expect: [[IMG, /^wide\.png: 3000×1000 px: aspect ratio .* outside 0\.4-2\.5$/]] },
  { file: 'truncated-image.yaml', expect: [[IMG, /^truncated\.png: not a valid png image: truncated/]] },
  { file: 'directory-as-image.yaml', expect: [[IMG, /not a regular file but a directory/]] },
  {
    file: 'special-numbers.yaml',
    expect: [
      ['shots[0].duration', /Infinity/],
      ['shots[1].seed', /NaN/],
      ['shots[2].frames', /Infinity/],
      ['shots[3].seed', /Too big/],
      ['shots[4].duration', /expected int/],
    ],
  },
  {
    file: 'control-characters.json',
    expect: [
      ['shots[0]["\\u001b[31mred\\u001b[0m"]', /^unknown key "\\u001b\[31mred/],
      ['shots[0]["\\u0007bell"]', /^unknown key/],
    ],
  },
  { file: 'deep-nesting.yaml', expect: [['', /nested deeper than 64 levels/]] },
  {
    file: 'binary-garbage.yaml',
    expect: [
      ['id', /storyboard id must be/],
      ['shots', /must be a list/],
    ],
  },
  // made at run time
  { file: 'fifo-image.yaml', runtime: true, expect: [[IMG, /^fifo\.png: not a regular file but a FIFO \(named pipe\)/]] },
  { file: 'fifo-storyboard.yaml', runtime: true, expect: [['', /^not a regular file but a FIFO/]] },
  { file: 'dev-zero-link.yaml', runtime: true, expect: [[IMG, OUTSIDE]] },
  {
    file: 'dev-zero-link.yaml',
    runtime: true,
    options: { allowImagesOutside: true },
    expect: [[IMG, /^zero\.png: not a regular file but a character device/]],
  },
  { file: 'symlink-out.yaml', runtime: true, expect: [[IMG, OUTSIDE]] },
  { file: 'symlink-loop.yaml', runtime: true, expect: [[IMG, /^loop\.png: cannot read \(ELOOP/]] },
  {
    file: 'big-image.yaml',
    runtime: true,
    expect: [[IMG, /^big\.png: 32505856 bytes, over the provider's 31457280-byte limit \(30 MiB\)$/]],
  },
  { file: 'eleven-mib.yaml', runtime: true, expect: [['', /^11\d{6} bytes, over the storyboard's 10485760-byte limit \(10 MiB\)$/]] },
  { file: 'two-mb-id.yaml', runtime: true, expect: [['id', /^storyboard id must be 1-64/]] },
  { file: 'two-mb-id-aliased.yaml', runtime: true, expect: [['', /^over 64 MiB once YAML aliases are expanded/]] },
  { file: 'deep-flow.yaml', runtime: true, expect: [['', /nested deeper than 64 levels/]] },
  { file: 'deep-block.yaml', runtime: true, expect: [['', /nested deeper than 64 levels/]] },
  { file: 'deep.json', runtime: true, expect: [[/^a(\.a){63}$/, /^nested deeper than 64 levels$/]] },
  { file: 'too-many-shots.json', runtime: true, expect: [['shots', /^at most 100000 shots, got 100001$/]] },
  {
    file: 'every-shot-wrong.json',
    runtime: true,
    maxMs: 15_000,
    expect: [
      ['shots[0].id', /^id is required$/],
      ['shots[1000].id', /^99000 more problems from here on are not listed \(at most 1000 are\)$/],
    ],
  },
  {
    file: 'many-unknown-keys.json',
    runtime: true,
    expect: [
      ['shots[0].k0', /^unknown key "k0"/],
      ['shots[0].k1000', /^49000 more problems/],
    ],
  },
  { file: 'alias-overuse.yaml', runtime: true, expect: [['', /more than 1000 times/]] },
  { file: 'unknown-extension.txt', runtime: true, expect: [['shots', /^duplicate key "shots"/]] },
  { file: 'huge-prompt.yaml', runtime: true, expect: [['shots[0].prompt', /Too big: expected string to have <=4000 characters/]] },
];

/** Fails instead of hanging. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

test('every storyboard in the committed corpus has a case here', () => {
  const committed = readdirSync(CORPUS)
    .filter((f) => /\.(ya?ml|json)$/.test(f))
    .sort();
  const covered = [...new Set(CASES.filter((c) => !c.runtime).map((c) => c.file))].sort();
  expect(committed).toEqual(covered);
});

test.each(CASES.map((c) => [`${c.file}${c.options?.allowImagesOutside ? ' (--allow-images-outside)' : ''}`, c] as const))(
  '%s: rejected with clear problems and paths, in bounded time and memory',
  async (_name, c) => {
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 5);
    const started = Date.now();
    let result;
    try {
      result = await within(c.maxMs ?? 10_000, checkStoryboardFile(at(c.file), c.options));
    } finally {
      clearInterval(sampler);
    }
    const ms = Date.now() - started;
    peak = Math.max(peak, process.memoryUsage().rss);

    expect(result.storyboard).toBeUndefined();
    expect(result.problems.length).toBeGreaterThan(0);
    expect(result.problems.length).toBeLessThanOrEqual(1001);
    for (const p of result.problems) {
      expect(typeof p.path).toBe('string');
      expect(p.message.length).toBeGreaterThan(10);
      expect(p.message.length + p.path.length).toBeLessThan(1500);
      // eslint-disable-next-line no-control-regex
      expect(`${p.path} ${p.message}`).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    }
    for (const [wantPath, wantMessage] of c.expect) {
      expect(result.problems).toContainEqual({
        path: typeof wantPath === 'string' ? wantPath : expect.stringMatching(wantPath),
        message: expect.stringMatching(wantMessage),
      });
    }
    expect(ms).toBeLessThan(c.maxMs ?? 10_000);
    expect((peak - before) / 2 ** 20).toBeLessThan(400);
  },
  30_000,
);

test('nothing in the corpus reached Object.prototype', () => {
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
});
