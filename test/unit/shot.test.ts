import { formatIssues, ShotSchema, shotFromInput, type ShotInput } from '../../common/shot';
import { RenderVideoInputSchema } from '../../common/render';

function problems(shot: ShotInput): string[] {
  const r = ShotSchema.safeParse(shot);
  return r.success ? [] : formatIssues(r.error);
}
const img = (role: string, url = 'https://example.com/a.png') => ({ url, role }) as never;

describe('shot validation (seed rules)', () => {
  test('a text-only shot resolves to the tasks family and its default model', () => {
    expect(shotFromInput({ prompt: 'a fox' })).toMatchObject({ api: 'tasks', model: 'doubao-seedance-1-5-pro-251215', images: [] });
    expect(shotFromInput({ prompt: 'a fox', api: 'predictions' }).model).toBe('doubao-seedance-2-0-fast-260128');
  });

  test.each<[string, ShotInput, RegExp]>([
    ['empty prompt', { prompt: '  ' }, /^prompt:/],
    ['tasks duration range', { prompt: 'p', duration: 13 }, /^duration: .*2 and 12/],
    ['tasks duration -1 is allowed', { prompt: 'p', duration: -1, frames: 29 }, /^frames: give duration or frames/],
    ['frames must be 25+4n', { prompt: 'p', frames: 30 }, /^frames: .*25\+4n/],
    ['frames upper bound', { prompt: 'p', frames: 293 }, /^frames:/],
    ['fps is 24', { prompt: 'p', fps: 30 }, /^fps:/],
    ['tasks seed range', { prompt: 'p', seed: 2 ** 32 }, /^seed:/],
    ['predictions seed range', { prompt: 'p', api: 'predictions', seed: 2147483648 }, /^seed:/],
    ['predictions duration range', { prompt: 'p', api: 'predictions', duration: 3 }, /^duration: .*4 and 15/],
    ['predictions has no frames', { prompt: 'p', api: 'predictions', frames: 29 }, /^frames:/],
    ['ratio enum', { prompt: 'p', ratio: '2:1' }, /^ratio:/],
    ['adaptive is tasks-only', { prompt: 'p', api: 'predictions', ratio: 'adaptive' }, /^ratio:/],
    ['resolution enum', { prompt: 'p', resolution: '4k' as never }, /^resolution:/],
    ['1080p not for 2.0 fast', { prompt: 'p', model: 'doubao-seedance-2-0-fast-260128', resolution: '1080p' }, /^resolution: .*2\.0 fast/],
    ['reference images need 2.0', { prompt: 'p', images: [img('reference_image')] }, /^images\[0\]\.role: .*Seedance 2\.0/],
    [
      'scenarios are exclusive',
      { prompt: 'p', model: 'dreamina-seedance-2-0-260128', images: [img('reference_image'), img('first_frame')] },
      /^images\[1\]\.role: .*mixed/,
    ],
    ['last frame needs first frame', { prompt: 'p', images: [img('last_frame')] }, /^images\[0\]\.role: .*first_frame/],
    [
      'one first frame only',
      { prompt: 'p', images: [img('first_frame'), img('first_frame')] },
      /^images\[1\]\.role: at most one first_frame/,
    ],
    [
      'predictions take a single first frame',
      { prompt: 'p', api: 'predictions', images: [img('first_frame'), img('last_frame')] },
      /^images\[1\]\.role:/,
    ],
    ['bad role', { prompt: 'p', images: [img('middle_frame')] }, /^images\[0\]\.role:/],
    [
      'no data URLs in history',
      { prompt: 'p', images: [img('first_frame', 'data:image/png;base64,AAAA')] },
      /^images\[0\]\.url: data: URLs/,
    ],
    ['no other schemes', { prompt: 'p', images: [img('first_frame', 'ftp://x/a.png')] }, /^images\[0\]\.url:/],
    [
      'too many reference images',
      { prompt: 'p', model: 'dreamina-seedance-2-0-260128', images: Array.from({ length: 10 }, () => img('reference_image')) },
      /^images:/,
    ],
  ])('%s', (_name, shot, pattern) => {
    expect(problems(shot)).toEqual(expect.arrayContaining([expect.stringMatching(pattern)]));
  });

  test('valid scenarios pass', () => {
    expect(problems({ prompt: 'p', images: [img('first_frame'), img('last_frame')], frames: 121, seed: -1 })).toEqual([]);
    expect(
      problems({ prompt: 'p', model: 'dreamina-seedance-2-0-260128', images: Array.from({ length: 9 }, () => img('reference_image')) }),
    ).toEqual([]);
    expect(
      problems({ prompt: 'p', api: 'predictions', images: [img('first_frame', 's3://bucket/inputs/a.png')], duration: 15, ratio: '21:9' }),
    ).toEqual([]);
    expect(problems({ prompt: 'p', duration: -1, ratio: 'adaptive', resolution: '1080p', fps: 24 })).toEqual([]);
  });

  test('every problem is reported at once', () => {
    expect(problems({ prompt: 'p', duration: 40, ratio: 'x', fps: 12, seed: -5 })).toHaveLength(4);
  });

  test('storage keys cannot escape their prefix', () => {
    expect(RenderVideoInputSchema.safeParse({ shot: { prompt: 'p' }, storageKey: 'a/../../etc' }).success).toBe(false);
    expect(RenderVideoInputSchema.safeParse({ shot: { prompt: 'p' }, storageKey: '/abs' }).success).toBe(false);
    expect(RenderVideoInputSchema.safeParse({ shot: { prompt: 'p' }, storageKey: 'board-1/shot_01.mp4' }).success).toBe(true);
  });
});
