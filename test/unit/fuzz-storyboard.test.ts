/**
 * Property-based tests over the storyboard validator, the first thing that touches a file a
 * person (or an attacker) wrote: thousands of generated documents, from arbitrary JSON to
 * near-valid storyboards with one thing wrong. It never throws, never takes unbounded time,
 * accepts only what the shot rules accept, and names a path for every problem.
 */
import fc from 'fast-check';
import { timed } from '../helpers/bounded';
import { validateStoryboard } from '../../common/storyboard';
import { ShotSchema } from '../../common/shot';
import { parseStoryboardText } from '../../client/storyboard-file';

// 1000 generated documents per property (10x fast-check's default) keeps `npm run test:unit` under a minute on 2 cores.
const RUNS = 1000;

const id = fc.oneof(fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9_-]{0,10}$/), fc.string({ maxLength: 80 }));
const anyValue = fc.oneof(fc.jsonValue(), fc.constant(undefined));
/** Shot fields with plausible keys and any values: reaches every rule of the shot schema. */
const shotLike = fc.record(
  {
    id,
    prompt: fc.oneof(fc.string({ maxLength: 50 }), anyValue),
    model: fc.oneof(
      fc.constantFrom('doubao-seedance-1-5-pro-251215', 'doubao-seedance-2-0-fast-260128', 'doubao-seedance-2-0-260128'),
      anyValue,
    ),
    api: fc.oneof(fc.constantFrom('tasks', 'predictions'), anyValue),
    duration: fc.oneof(fc.integer({ min: -3, max: 20 }), anyValue),
    frames: fc.oneof(fc.integer({ min: 0, max: 300 }), anyValue),
    ratio: fc.oneof(fc.constantFrom('16:9', '4:3', '1:1', '9:16', '21:9', 'adaptive'), anyValue),
    resolution: fc.oneof(fc.constantFrom('480p', '720p', '1080p'), anyValue),
    seed: fc.oneof(fc.integer(), fc.double(), anyValue),
    images: fc.oneof(
      fc.array(
        fc.record(
          {
            url: fc.oneof(fc.webUrl(), fc.string({ maxLength: 40 })),
            path: fc.string({ maxLength: 40 }),
            role: fc.oneof(fc.constantFrom('first_frame', 'last_frame', 'reference_image'), fc.string({ maxLength: 12 })),
          },
          { requiredKeys: [] },
        ),
        { maxLength: 11 },
      ),
      anyValue,
    ),
    camera_fixed: fc.oneof(fc.boolean(), anyValue),
    generate_audio: fc.oneof(fc.boolean(), anyValue),
    watermark: fc.oneof(fc.boolean(), anyValue),
  },
  { requiredKeys: [] },
);
const storyboardLike = fc.record(
  {
    id,
    defaults: fc.oneof(
      shotLike.map(({ id: _id, ...rest }) => rest),
      anyValue,
    ),
    shots: fc.oneof(fc.array(shotLike, { maxLength: 8 }), anyValue),
  },
  { requiredKeys: [] },
);

function checkOutcome(doc: unknown): void {
  const { storyboard, problems } = timed(() => validateStoryboard(doc));
  if (storyboard) {
    expect(problems).toEqual([]);
    // What the validator accepts, the workflow's own shot rules accept too.
    for (const shot of storyboard.shots) {
      const { id: _id, images, ...fields } = shot;
      const asInput = {
        ...fields,
        ...(images ? { images: images.map((img) => ({ url: img.url ?? 'https://example.com/x.png', role: img.role })) } : {}),
      };
      expect(ShotSchema.safeParse(asInput).success).toBe(true);
    }
    return;
  }
  expect(problems.length).toBeGreaterThan(0);
  const isObject = typeof doc === 'object' && doc !== null && !Array.isArray(doc);
  for (const p of problems) {
    expect(typeof p.path).toBe('string');
    expect(typeof p.message).toBe('string');
    expect(p.message.length).toBeGreaterThan(0);
    // Only a document that is not a mapping at all has a problem with no path.
    if (isObject) expect(p.path).not.toBe('');
  }
}

describe('storyboard validator, fuzzed', () => {
  test('any JSON value: a storyboard or problems, never a throw', () => {
    fc.assert(fc.property(fc.jsonValue(), checkOutcome), { numRuns: RUNS });
  });

  test('near-valid storyboards: accepted ones obey the shot rules; every rejection names its path', () => {
    fc.assert(fc.property(storyboardLike, checkOutcome), { numRuns: RUNS });
  });

  test('any text as a storyboard file (JSON or YAML): parsed or refused, never hangs', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 400 }),
          storyboardLike.map((d) => JSON.stringify(d)),
        ),
        fc.constantFrom('board.json', 'board.yaml', 'board.txt'),
        (text, file) => {
          let doc: unknown;
          try {
            doc = timed(() => parseStoryboardText(text, file));
          } catch (err) {
            if (err instanceof Error && /^took /.test(err.message)) throw err;
            return; // refused as unparsable: the CLI reports it as a problem of the file
          }
          checkOutcome(doc);
        },
      ),
      { numRuns: RUNS },
    );
  });
});
