import { MAX_CONTINUITY_REACH, continuedShot, lastFrameKey, returnsLastFrame } from '../../common/continuity';
import { StoryboardCarrySchema, toStagedShots, validateStoryboard, type FileShot, type ManifestEntry } from '../../common/storyboard';
import { shotView } from '../../activities/report/activities';
import { chainPaths, renderReportHtml, type ReportShot } from '../../activities/report/html';

const problemsOf = (doc: unknown) => validateStoryboard(doc).problems.map((p) => `${p.path}: ${p.message}`);
const board = (shots: unknown[]) => ({ id: 'scene', shots });
const V2 = 'dreamina-seedance-2-0-260128';

describe('continue_from: the storyboard is a graph, every rule with its path', () => {
  test.each<[string, unknown[], RegExp]>([
    ['an unknown shot', [{ id: 'a', prompt: 'p', continue_from: 'zz' }], /^shots\[0\]\.continue_from: no shot has id zz$/],
    ['itself', [{ id: 'a', prompt: 'p', continue_from: 'a' }], /^shots\[0\]\.continue_from: a shot cannot continue from itself$/],
    [
      'a later shot',
      [
        { id: 'a', prompt: 'p', continue_from: 'b' },
        { id: 'b', prompt: 'p' },
      ],
      /^shots\[0\]\.continue_from: b comes later \(shots\[1\]\): a shot can only continue from an earlier one/,
    ],
    [
      'a cycle',
      [
        { id: 'a', prompt: 'p', continue_from: 'c' },
        { id: 'b', prompt: 'p', continue_from: 'a' },
        { id: 'c', prompt: 'p', continue_from: 'b' },
      ],
      /^shots\[0\]\.continue_from: continuity cycle: a → c → b → a/,
    ],
    ['not a shot id', [{ id: 'a', prompt: 'p', continue_from: '../x' }], /^shots\[0\]\.continue_from: continue_from \(a shot id\) must be/],
    [
      'its own first frame',
      [
        { id: 'a', prompt: 'p' },
        { id: 'b', prompt: 'p', continue_from: 'a', images: [{ url: 'https://x.test/i.png', role: 'first_frame' }] },
      ],
      /^shots\[1\]\.images\[0\]\.role: this shot starts from the last frame of a: it cannot have its own first_frame$/,
    ],
    [
      'reference images',
      [
        { id: 'a', prompt: 'p' },
        { id: 'b', prompt: 'p', model: V2, continue_from: 'a', images: [{ url: 'https://x.test/i.png', role: 'reference_image' }] },
      ],
      /^shots\[1\]\.images\[0\]\.role: .*reference images cannot be mixed with it$/,
    ],
    [
      'reference videos',
      [
        { id: 'a', prompt: 'p' },
        { id: 'b', prompt: 'p', model: V2, continue_from: 'a', videos: [{ url: 'https://x.test/v.mp4' }] },
      ],
      /^shots\[1\]\.videos: this shot starts from the last frame of a \(a first frame\): reference videos cannot be mixed with it$/,
    ],
    [
      'a source on the predictions family',
      [
        { id: 'a', prompt: 'p', api: 'predictions' },
        { id: 'b', prompt: 'p', continue_from: 'a' },
      ],
      /^shots\[0\]\.api: b continues from this shot, but .* \(predictions family\) does not return its last frame/,
    ],
    [
      'a source whose model returns no last frame',
      [
        { id: 'a', prompt: 'p', model: V2 },
        { id: 'b', prompt: 'p', continue_from: 'a' },
        { id: 'c', prompt: 'p', continue_from: 'a' },
      ],
      /^shots\[0\]\.model: b, c continue from this shot, but dreamina-seedance-2-0-260128 \(tasks family\) does not return its last frame/,
    ],
    [
      'a source that refuses its last frame',
      [
        { id: 'a', prompt: 'p', return_last_frame: false },
        { id: 'b', prompt: 'p', continue_from: 'a' },
      ],
      /^shots\[0\]\.return_last_frame: b continues from this shot: return_last_frame cannot be false$/,
    ],
    ['in defaults', [{ id: 'a', prompt: 'p' }], /^defaults\.continue_from: unknown key/],
  ])('refuses %s', (name, shots, expected) => {
    const doc = name === 'in defaults' ? { ...board(shots), defaults: { continue_from: 'a' } } : board(shots);
    expect(problemsOf(doc)).toEqual(expect.arrayContaining([expect.stringMatching(expected)]));
  });

  test(`refuses a reach of more than ${MAX_CONTINUITY_REACH} shots, accepts exactly that many`, () => {
    const shots = (reach: number) => [
      ...Array.from({ length: reach }, (_, i) => ({ id: `s${i}`, prompt: 'p' })),
      { id: 'last', prompt: 'p', continue_from: 's0' },
    ];
    expect(problemsOf(board(shots(MAX_CONTINUITY_REACH)))).toEqual([]);
    expect(problemsOf(board(shots(MAX_CONTINUITY_REACH + 1)))).toEqual([
      `shots[${MAX_CONTINUITY_REACH + 1}].continue_from: s0 is ${MAX_CONTINUITY_REACH + 1} shots earlier; continue_from reaches at most ${MAX_CONTINUITY_REACH} shots back`,
    ]);
  });

  test('accepts chains, branches and a first + last frame on the continuing shot', () => {
    const doc = board([
      { id: 'a', prompt: 'p' },
      { id: 'b', prompt: 'p', continue_from: 'a', images: [{ url: 'https://x.test/end.png', role: 'last_frame' }] },
      { id: 'c', prompt: 'p', continue_from: 'b' },
      { id: 'd', prompt: 'p', continue_from: 'b', api: 'predictions' },
    ]);
    expect(problemsOf(doc)).toEqual([]);
  });
});

describe('staging the graph', () => {
  const shots = validateStoryboard(
    board([
      { id: 'a', prompt: 'p' },
      { id: 'b', prompt: 'p', continue_from: 'a' },
      { id: 'c', prompt: 'p', continue_from: 'a' },
      { id: 'd', prompt: 'p' },
    ]),
  ).storyboard?.shots as FileShot[];

  test('a source asks for its last frame and counts who waits; a continuing shot names its source; continue_from never reaches the provider', () => {
    const staged = toStagedShots(shots, () => 'unused');
    expect(staged.map((s) => [s.id, s.shot.return_last_frame, s.dependents, s.continueFrom])).toEqual([
      ['a', true, 2, undefined],
      ['b', undefined, undefined, 'a'],
      ['c', undefined, undefined, 'a'],
      ['d', undefined, undefined, undefined],
    ]);
    for (const s of staged) expect(s.shot).not.toHaveProperty('continue_from');
  });

  test('the continuing shot submits the stored frame (as a staged input) as its first frame, before its own images', () => {
    const frame = {
      key: 'scene/a.last-frame.png',
      url: 's3://b/r/scene/a.last-frame.png',
      sha256: 'f'.repeat(64),
      bytes: 9,
      inputUrl: 's3://b/r/inputs/ff.png',
    };
    const shot = continuedShot({ prompt: 'p', images: [{ url: 'https://x.test/end.png', role: 'last_frame' }] }, frame);
    expect(shot.images).toEqual([
      { url: 's3://b/r/inputs/ff.png', role: 'first_frame' },
      { url: 'https://x.test/end.png', role: 'last_frame' },
    ]);
  });

  test('the carry keeps sources through continue-as-new, and a carry from before continuity still parses', () => {
    const base = { cursor: 3, stored: 1, failed: 0, tokensUsed: 0, window: 2, paused: false, runs: 1, startedAt: 0 };
    expect(StoryboardCarrySchema.safeParse(base).success).toBe(true);
    const frame = { key: 'k', url: 'u', sha256: 's', bytes: 1, inputUrl: 'i' };
    const parsed = StoryboardCarrySchema.parse({
      ...base,
      sources: { a: { waiting: 1, frame }, b: { waiting: 2, missing: 'which failed' } },
    });
    expect(parsed.sources).toEqual({ a: { waiting: 1, frame }, b: { waiting: 2, missing: 'which failed' } });
  });
});

describe('provider facts', () => {
  test('only Seedance 1.5 pro on the tasks family returns a last frame', () => {
    expect(returnsLastFrame('tasks', 'doubao-seedance-1-5-pro-251215')).toBe(true);
    expect(returnsLastFrame('predictions', 'doubao-seedance-1-5-pro-251215')).toBe(false);
    expect(returnsLastFrame('tasks', V2)).toBe(false);
  });
  test('a last frame is kept beside its video', () => {
    expect(lastFrameKey('scene/a.mp4', 'png')).toBe('scene/a.last-frame.png');
  });
});

describe('the report shows chains', () => {
  const frame = (id: string) => ({
    key: `scene/${id}.last-frame.png`,
    url: `s3://b/scene/${id}.last-frame.png`,
    sha256: 'a'.repeat(64),
    bytes: 5,
    inputUrl: 'i',
  });
  const entries: ManifestEntry[] = [
    { shotId: 'c1', status: 'stored', key: 'scene/c1.mp4', lastFrame: frame('c1') },
    { shotId: 'c2', status: 'stored', key: 'scene/c2.mp4', continuedFrom: 'c1', lastFrame: frame('c2') },
    { shotId: 'c3', status: 'failed', continuedFrom: 'c2', lastFrame: undefined, failureType: 'TaskFailed' },
    { shotId: 'c4', status: 'not_started', continuedFrom: 'c3', reason: 'continues from c3, which failed (TaskFailed)' },
    { shotId: 'b', status: 'stored', key: 'scene/b.mp4', continuedFrom: 'c1' },
    { shotId: 'alone', status: 'stored', key: 'scene/alone.mp4' },
  ];
  const continuedBy = new Map<string, string[]>();
  for (const e of entries) if (e.continuedFrom) continuedBy.set(e.continuedFrom, [...(continuedBy.get(e.continuedFrom) ?? []), e.shotId]);
  const shots = entries.map((e) => shotView('scene', e, undefined, undefined, continuedBy.get(e.shotId)));
  const html = renderReportHtml({
    storyboardId: 'scene',
    totalShots: shots.length,
    generatedAt: '2026-12-03T10:00:00.000Z',
    manifestHref: 'manifest.json',
    shots,
  });

  test('every chain from its first shot to its last, a branch on its own line', () => {
    expect(chainPaths(shots)).toEqual([
      ['c1', 'c2', 'c3', 'c4'],
      ['c1', 'b'],
    ]);
    expect(html).toContain('<section class="chains" aria-label="Chains">');
    expect(html).toMatch(
      /<li><a href="#shot-c1">c1<\/a>.*→.*<a href="#shot-c2">c2<\/a>.*→.*<a href="#shot-c3">c3<\/a>.*→.*<a href="#shot-c4">c4<\/a>.*<\/li>/,
    );
  });

  test('each row links the last frame it handed on and the shot whose frame it started from; a not-started shot gives its reason', () => {
    const row = (id: string) => new RegExp(`<article [^>]*data-shot-id="${id}"[\\s\\S]*?</article>`).exec(html)?.[0] ?? '';
    expect(row('c2')).toContain('first frame = last frame of <a href="#shot-c1">c1</a>');
    expect(row('c2')).toContain('<img class="frame" src="c2.last-frame.png"');
    expect(row('c1')).toContain('last frame</a> → <a href="#shot-c2">c2</a>, <a href="#shot-b">b</a>');
    expect(row('c4')).toContain('Not started: continues from c3, which failed (TaskFailed)');
    expect(row('alone')).not.toContain('Continuity');
    expect(
      renderReportHtml({
        storyboardId: 'x',
        totalShots: 1,
        generatedAt: '2026-12-03T10:00:00.000Z',
        manifestHref: 'm',
        shots: [shots[5] as ReportShot],
      }),
    ).not.toContain('class="chains"');
  });
});
