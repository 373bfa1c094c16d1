import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkStoryboardFile } from '../../client/storyboard-file';
import { statusFromResult } from '../../client/storyboard';
import {
  MANIFEST_STATUS_MEANING,
  MANIFEST_STATUSES,
  RENDER_PHASE_MEANING,
  RENDER_PHASES,
  SHOT_PHASES,
  SHOT_STATE_MEANING,
  SHOT_STATES,
  STORYBOARD_RUN_STATUS_MEANING,
  STORYBOARD_RUN_STATUSES,
} from '../../common/states';
import {
  RenderStoryboardInputSchema,
  StoryboardCarrySchema,
  applyDefaults,
  readFinishedCounts,
  validateStoryboard,
  type StoryboardResult,
} from '../../common/storyboard';
import { exceeds } from '../../common/tolerance';

const problemsOf = (doc: unknown) => validateStoryboard(doc).problems.map((p) => `${p.path}: ${p.message}`);
const board = (shots: unknown[], extra: object = {}) => ({ id: 'board-1', shots, ...extra });
const V2 = 'dreamina-seedance-2-0-260128';
const FAST = 'doubao-seedance-2-0-fast-260128';

describe('storyboard validation: every rule, with its path', () => {
  test.each<[string, unknown, RegExp]>([
    ['missing id', { shots: [{ id: 'a', prompt: 'p' }] }, /^id: /],
    ['unsafe storyboard id', board([{ id: 'a', prompt: 'p' }], { id: '../etc' }), /^id: storyboard id must be/],
    ['no shots', board([]), /^shots: a storyboard needs at least one shot/],
    ['unknown top-level key', board([{ id: 'a', prompt: 'p' }], { shotz: [] }), /shotz/],
    ['unsafe shot id', board([{ id: 'a/b', prompt: 'p' }]), /^shots\[0\]\.id: shot id must be/],
    [
      'duplicate shot ids',
      board([
        { id: 'a', prompt: 'p' },
        { id: 'a', prompt: 'q' },
      ]),
      /^shots\[1\]\.id: duplicate shot id a \(also shots\[0\]\)/,
    ],
    ['missing prompt', board([{ id: 'a' }]), /^shots\[0\]\.prompt: prompt is required/],
    ['unknown shot key', board([{ id: 'a', prompt: 'p', camera: true }]), /^shots\[0\]\.camera: unknown key/],
    [
      'bad role',
      board([{ id: 'a', prompt: 'p', images: [{ url: 'https://x/a.png', role: 'middle' }] }]),
      /^shots\[0\]\.images\[0\]\.role: /,
    ],
    [
      'path and url both',
      board([{ id: 'a', prompt: 'p', images: [{ url: 'https://x/a.png', path: 'a.png' }] }]),
      /^shots\[0\]\.images\[0\]\.path: give exactly one/,
    ],
    [
      'non-http url',
      board([{ id: 'a', prompt: 'p', images: [{ url: 'ftp://x/a.png' }] }]),
      /^shots\[0\]\.images\[0\]\.url: url must be http/,
    ],
    [
      'scenarios exclusive',
      board([
        {
          id: 'a',
          prompt: 'p',
          model: V2,
          images: [
            { url: 'https://x/a.png', role: 'reference_image' },
            { url: 'https://x/b.png', role: 'last_frame' },
          ],
        },
      ]),
      /^shots\[0\]\.images\[1\]\.role: reference images cannot be mixed/,
    ],
    [
      'reference images only for 2.0',
      board([{ id: 'a', prompt: 'p', images: [{ url: 'https://x/a.png', role: 'reference_image' }] }]),
      /^shots\[0\]\.images\[0\]\.role: reference images need a Seedance 2\.0/,
    ],
    [
      '1080p not for 2.0 fast',
      board([{ id: 'a', prompt: 'p', model: FAST, resolution: '1080p' }]),
      /^shots\[0\]\.resolution: 1080p is not supported by Seedance 2\.0 fast/,
    ],
    ['tasks duration range', board([{ id: 'a', prompt: 'p', duration: 1 }]), /^shots\[0\]\.duration: /],
    ['predictions duration range', board([{ id: 'a', prompt: 'p', model: FAST, duration: 20 }]), /^shots\[0\]\.duration: .*4 and 15/],
    ['frames = 25+4n', board([{ id: 'a', prompt: 'p', frames: 100 }]), /^shots\[0\]\.frames: frames must be 25\+4n/],
    ['frames lower bound', board([{ id: 'a', prompt: 'p', frames: 25 }]), /^shots\[0\]\.frames: /],
    ['seed range', board([{ id: 'a', prompt: 'p', seed: -2 }]), /^shots\[0\]\.seed: /],
    ['ratio enum', board([{ id: 'a', prompt: 'p', ratio: '5:4' }]), /^shots\[0\]\.ratio: /],
    ['resolution enum', board([{ id: 'a', prompt: 'p', resolution: '2k' }]), /^shots\[0\]\.resolution: /],
    ['fps', board([{ id: 'a', prompt: 'p', fps: 60 }]), /^shots\[0\]\.fps: /],
    ['bad default', board([{ id: 'a', prompt: 'p' }], { defaults: { ratio: 'wide' } }), /^shots\[0\]\.ratio: /],
    ['unknown default key', board([{ id: 'a', prompt: 'p' }], { defaults: { colour: 'red' } }), /^defaults\.colour: unknown key/],
  ])('%s', (_name, doc, pattern) => {
    expect(problemsOf(doc)).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
  });

  test('every problem in the file is reported at once, in order', () => {
    const problems = problemsOf(
      board([
        { id: 'a', prompt: 'p', duration: 99 },
        { id: 'b', prompt: 'p' },
        { id: 'c', prompt: 'p', frames: 30, images: [{ url: 'https://x/a.png', role: 'reference_image' }] },
        { id: 'b', prompt: 'p' },
      ]),
    );
    expect(problems).toEqual([
      expect.stringMatching(/^shots\[0\]\.duration/),
      expect.stringMatching(/^shots\[2\]\.frames/),
      expect.stringMatching(/^shots\[2\]\.images\[0\]\.role/),
      expect.stringMatching(/^shots\[3\]\.id: duplicate/),
    ]);
  });

  test('defaults apply; a shot overrides them; null removes one; api is inferred from the model', () => {
    const { storyboard, problems } = validateStoryboard(
      board(
        [
          { id: 'a', prompt: 'p' },
          { id: 'b', prompt: 'p', frames: 121, duration: null },
          { id: 'c', prompt: 'p', model: FAST },
        ],
        { defaults: { duration: 5, ratio: '16:9', watermark: false } },
      ),
    );
    expect(problems).toEqual([]);
    expect(storyboard?.shots[0]).toMatchObject({ duration: 5, ratio: '16:9' });
    expect(storyboard?.shots[1]).toMatchObject({ frames: 121 });
    expect(storyboard?.shots[1]?.duration).toBeUndefined();
    // tasks-only defaults (watermark) do not reach a predictions shot
    expect(storyboard?.shots[2]?.watermark).toBeUndefined();
    expect(applyDefaults({ watermark: true }, { model: FAST, watermark: true })).toMatchObject({ watermark: true });
  });
});

describe('storyboard files', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-board-'));
  copyFileSync(path.resolve(__dirname, '../fixtures/first-frame.png'), path.join(dir, 'ok.png'));
  writeFileSync(path.join(dir, 'not-an-image.png'), 'hello');

  test('YAML and JSON both parse; local images are checked relative to the file', async () => {
    writeFileSync(path.join(dir, 'b.yaml'), 'id: b\nshots:\n  - id: s1\n    prompt: p\n    images:\n      - { path: ok.png }\n');
    writeFileSync(path.join(dir, 'b.json'), JSON.stringify(board([{ id: 's1', prompt: 'p', images: [{ path: 'ok.png' }] }])));
    expect((await checkStoryboardFile(path.join(dir, 'b.yaml'))).problems).toEqual([]);
    expect((await checkStoryboardFile(path.join(dir, 'b.json'))).problems).toEqual([]);
  });

  test('unreadable and non-image files are reported at their paths', async () => {
    writeFileSync(
      path.join(dir, 'bad.yaml'),
      'id: bad\nshots:\n  - id: s1\n    prompt: p\n    images:\n      - { path: missing.png }\n  - id: s2\n    prompt: p\n    images:\n      - { path: not-an-image.png }\n',
    );
    const { problems } = await checkStoryboardFile(path.join(dir, 'bad.yaml'));
    expect(problems).toEqual([
      { path: 'shots[0].images[0].path', message: expect.stringMatching(/missing\.png: cannot read/) },
      { path: 'shots[1].images[0].path', message: expect.stringMatching(/not a jpeg, png/) },
    ]);
  });

  test('a syntax error is one problem, not a crash', async () => {
    writeFileSync(path.join(dir, 'broken.yaml'), 'id: [unclosed\n');
    const { problems } = await checkStoryboardFile(path.join(dir, 'broken.yaml'));
    expect(problems).toHaveLength(1);
  });

  test('the example storyboard is valid and mixes every scenario', async () => {
    const { storyboard, problems } = await checkStoryboardFile(path.resolve(__dirname, '../../examples/lighthouse-keeper.yaml'));
    expect(problems).toEqual([]);
    const shots = storyboard?.shots ?? [];
    expect(shots.length).toBeGreaterThanOrEqual(8);
    expect(shots.length).toBeLessThanOrEqual(12);
    const roles = shots.map((s) =>
      (s.images ?? [])
        .map((i) => i.role)
        .sort()
        .join('+'),
    );
    expect(roles).toEqual(
      expect.arrayContaining(['', 'first_frame', 'first_frame+last_frame', 'reference_image+reference_image+reference_image']),
    );
  });
});

describe('failure tolerance', () => {
  test('count and percentage', () => {
    expect(exceeds({}, 100, 100)).toBe(false);
    expect(exceeds({ maxFailures: 2 }, 2, 10)).toBe(false);
    expect(exceeds({ maxFailures: 2 }, 3, 10)).toBe(true);
    expect(exceeds({ maxFailurePercent: 10 }, 2, 5)).toBe(false); // too early to judge
    expect(exceeds({ maxFailurePercent: 10 }, 2, 20)).toBe(false);
    expect(exceeds({ maxFailurePercent: 10 }, 3, 20)).toBe(true);
  });
});

/** The workflow inputs recorded in test/fixtures/histories: a start and the continue-as-new it ended with. */
function recordedStoryboardInputs(): Record<string, unknown>[] {
  const dir = path.resolve(__dirname, '../fixtures/histories');
  const inputs: Record<string, unknown>[] = [];
  for (const file of ['render-storyboard-first-run.json', 'render-storyboard-last-run.json']) {
    const history = JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as {
      events: Record<string, { input?: { payloads: { data: string }[] } } | string>[];
    };
    for (const event of history.events) {
      const attrs = (event.workflowExecutionStartedEventAttributes ?? event.workflowExecutionContinuedAsNewEventAttributes) as
        { input?: { payloads: { data: string }[] } } | undefined;
      for (const p of attrs?.input?.payloads ?? []) inputs.push(JSON.parse(Buffer.from(p.data, 'base64').toString('utf8')));
    }
  }
  return inputs;
}

describe('the carry through continue-as-new', () => {
  test('every carry in the recorded histories parses, and parses to itself', () => {
    const carries = recordedStoryboardInputs()
      .map((i) => i.carry)
      .filter(Boolean);
    expect(carries.length).toBeGreaterThanOrEqual(2);
    for (const carry of carries) expect(StoryboardCarrySchema.parse(carry)).toEqual(carry);
    for (const input of recordedStoryboardInputs()) expect(RenderStoryboardInputSchema.safeParse(input).success).toBe(true);
  });

  test('a carry this code cannot read fails the input instead of being trusted', () => {
    const [withCarry] = recordedStoryboardInputs().filter((i) => i.carry);
    const carry = withCarry?.carry as Record<string, unknown>;
    for (const bad of [
      { ...carry, cursor: -1 },
      { ...carry, window: 0 },
      { ...carry, paused: 'no' },
      { ...carry, partial: { page: 0, entries: [{ shotId: 's', status: 'done' }] } },
      { ...carry, partial: { page: 0, entries: Array(101).fill(null) } },
    ]) {
      const parsed = RenderStoryboardInputSchema.safeParse({ ...withCarry, carry: bad });
      expect(parsed.success).toBe(false);
      expect(parsed.error?.issues[0]?.path[0]).toBe('carry');
    }
  });
});

describe('counts by state', () => {
  const counts = { pending: 0, submitted: 0, rendering: 0, copying: 0, stored: 3, failed: 1 };

  test('a result from before the glossary (notStarted) is read as not_started; a current one as it is', () => {
    expect(readFinishedCounts({ ...counts, notStarted: 2 })).toEqual({ ...counts, not_started: 2 });
    expect(readFinishedCounts({ ...counts, not_started: 2 })).toEqual({ ...counts, not_started: 2 });
  });

  test('status of a storyboard that finished before the glossary still reads its counts', async () => {
    // As an older worker returned it, with the shots inline (so storage is not read).
    const old = {
      storyboardId: 'old-board',
      manifestKey: 'old-board/manifest.json',
      manifestUrl: 's3://b/old-board/manifest.json',
      counts: { ...counts, notStarted: 2 },
      tokensUsed: 10,
      shots: [{ shotId: 'a', status: 'stored' }],
    } as unknown as StoryboardResult;
    const storage = {
      readText: () => Promise.reject(new Error('not read')),
    } as unknown as Parameters<typeof statusFromResult>[1];
    const report = await statusFromResult(old, storage);
    expect(report.counts).toEqual({ ...counts, not_started: 2 });
    expect(report).toMatchObject({ status: 'completed', tokensUsed: 10 });
  });
});

describe('the glossary of states', () => {
  test('one spelling each: snake_case words, a meaning for every state', () => {
    const tables: [readonly string[], Record<string, string>][] = [
      [SHOT_STATES, SHOT_STATE_MEANING],
      [MANIFEST_STATUSES, MANIFEST_STATUS_MEANING],
      [RENDER_PHASES, RENDER_PHASE_MEANING],
      [STORYBOARD_RUN_STATUSES, STORYBOARD_RUN_STATUS_MEANING],
    ];
    for (const [states, meaning] of tables) {
      expect(Object.keys(meaning)).toEqual([...states]);
      for (const s of states) {
        expect(s).toMatch(/^[a-z]+(_[a-z]+)*$/);
        expect(meaning[s]?.length).toBeGreaterThan(10);
      }
    }
  });

  test('manifest statuses and shot phases are shot states; phases in the order a shot moves', () => {
    for (const s of [...MANIFEST_STATUSES, ...SHOT_PHASES]) expect(SHOT_STATES).toContain(s);
    const ranks = SHOT_PHASES.map((p) => SHOT_STATES.indexOf(p));
    expect(ranks).toEqual([...ranks].sort((a, b) => a - b));
    expect(SHOT_STATES.indexOf('pending')).toBeLessThan(Math.min(...ranks));
  });
});
