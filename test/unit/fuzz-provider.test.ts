/**
 * Property-based tests over everything that reads a provider's answers: whatever a gateway
 * sends — any JSON, any text, HTML, huge strings — the parsers never throw, never hang, and
 * every answer ends as a snapshot or a typed failure.
 */
import fc from 'fast-check';
import { timed } from '../helpers/bounded';
import { parseErrorBody, classifyStatus } from '../../activities/seedance/provider-error';
import { PredictionEnvelopeSchema, TasksSubmitResponseSchema, TasksTaskSchema } from '../../activities/seedance/schemas';
import { normalizeStatus } from '../../activities/seedance/status';
import { toTasksSnapshot } from '../../activities/seedance/tasks-client';
import { toPredictionSnapshot } from '../../activities/seedance/predictions-client';
import { FAILURE_TYPES } from '../../common/errors';
import { TASK_STATUSES } from '../../activities/seedance/types';
import { MAX_OUTPUT_URL_CHARS } from '../../activities/seedance/output-urls';

const RUNS = 3000;

/** JSON shaped like a task (right keys, any values), so the fuzzer reaches deep into the schemas. */
const taskLike = fc.record(
  {
    id: fc.oneof(fc.string(), fc.integer(), fc.constant(null)),
    status: fc.oneof(
      fc.constantFrom('queued', 'running', 'succeeded', 'failed', 'expired', 'cancelled', 'created', 'processing', 'completed'),
      fc.string(),
    ),
    model: fc.anything(),
    seed: fc.oneof(fc.integer(), fc.string(), fc.double()),
    content: fc.oneof(
      fc.record({ video_url: fc.oneof(fc.webUrl(), fc.string()), last_frame_url: fc.string() }, { requiredKeys: [] }),
      fc.anything(),
    ),
    usage: fc.oneof(fc.record({ completion_tokens: fc.anything(), total_tokens: fc.anything() }, { requiredKeys: [] }), fc.anything()),
    error: fc.oneof(fc.record({ code: fc.anything(), message: fc.anything() }, { requiredKeys: [] }), fc.string(), fc.constant(null)),
    duration: fc.anything(),
    frames: fc.anything(),
    created_at: fc.oneof(fc.integer(), fc.string()),
  },
  { requiredKeys: [] },
);

const predictionLike = fc.record(
  {
    code: fc.anything(),
    data: fc.oneof(
      fc.record(
        {
          id: fc.oneof(fc.string(), fc.integer()),
          status: fc.string(),
          outputs: fc.oneof(fc.array(fc.string()), fc.anything()),
          error: fc.anything(),
          seed: fc.anything(),
        },
        { requiredKeys: [] },
      ),
      fc.anything(),
    ),
  },
  { requiredKeys: [] },
);

const knownTypes = new Set(Object.keys(FAILURE_TYPES));

/** A snapshot goes into workflow history: a known status, and no field that could blow a payload. */
function expectBoundedSnapshot(snapshot: { status: string; videoUrl?: string; lastFrameUrl?: string }): void {
  expect(TASK_STATUSES).toContain(snapshot.status);
  expect(snapshot.videoUrl?.length ?? 0).toBeLessThanOrEqual(MAX_OUTPUT_URL_CHARS);
  expect(snapshot.lastFrameUrl?.length ?? 0).toBeLessThanOrEqual(MAX_OUTPUT_URL_CHARS);
}

describe('provider answers, fuzzed', () => {
  test('task and prediction parsers: any JSON parses or is refused, never throws; snapshots have a known status', () => {
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), taskLike, predictionLike), (value) => {
        timed(() => {
          const task = TasksTaskSchema.safeParse(value);
          if (task.success) expectBoundedSnapshot(toTasksSnapshot(task.data));
          const prediction = PredictionEnvelopeSchema.safeParse(value);
          if (prediction.success) expectBoundedSnapshot(toPredictionSnapshot(prediction.data.data));
          TasksSubmitResponseSchema.safeParse(value);
        });
      }),
      { numRuns: RUNS },
    );
  });

  test('error bodies: any text or JSON gives bounded fields and one known failure type for every status', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ maxLength: 2000 }),
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.jsonValue(),
        ),
        fc.integer({ min: 100, max: 599 }),
        fc.constantFrom('submit' as const, 'get' as const, 'cancel' as const, 'download' as const),
        (body, status, call) => {
          timed(() => {
            const parsed = parseErrorBody(body);
            for (const text of [parsed.code, parsed.message, parsed.rawBody]) {
              if (text !== undefined) expect(text.length).toBeLessThanOrEqual(1001);
            }
            expect(knownTypes.has(classifyStatus(status, parsed, call))).toBe(true);
          });
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('status words: any string normalizes to a known status', () => {
    fc.assert(
      fc.property(fc.string(), (raw) => {
        expect(TASK_STATUSES).toContain(timed(() => normalizeStatus(raw)));
      }),
      { numRuns: RUNS },
    );
  });

  test('an absurdly long output URL is dropped with its reason, not carried into history', () => {
    const long = `https://cdn.example.com/${'v'.repeat(MAX_OUTPUT_URL_CHARS)}.mp4`;
    const task = TasksTaskSchema.parse({
      id: 'cgt-1',
      status: 'succeeded',
      content: { video_url: long, last_frame_url: 'https://cdn.example.com/f.png' },
    });
    const snapshot = toTasksSnapshot(task);
    expect(snapshot.videoUrl).toBeUndefined();
    expect(snapshot.lastFrameUrl).toBe('https://cdn.example.com/f.png');
    expect(snapshot.outputUrlRefused).toMatch(/videoUrl is \d+ characters, over the 8192-character limit/);
    const prediction = PredictionEnvelopeSchema.parse({ data: { id: 'p-1', status: 'succeeded', outputs: [long] } });
    expect(toPredictionSnapshot(prediction.data).videoUrl).toBeUndefined();
  });

  test('huge and pathological error texts stay fast (no quadratic regex) and bounded', () => {
    const huge = [
      'quota '.repeat(60_000),
      `${'balance'.repeat(40_000)}x`,
      'a'.repeat(300_000),
      `<html>${'<div>'.repeat(50_000)}</html>`,
      JSON.stringify({ error: { code: 'x'.repeat(200_000), message: 'insufficient '.repeat(25_000) } }),
      // The balance check's `quota.*exhaust` rescans the rest of the text at every "quota".
      JSON.stringify({ error: { code: 'Forbidden', message: 'quota '.repeat(50_000) } }),
    ];
    const parsedAll = huge.map((body) => {
      const parsed = timed(() => parseErrorBody(body));
      timed(() => classifyStatus(403, parsed, 'submit'));
      return parsed;
    });
    for (const parsed of parsedAll) expect(JSON.stringify(parsed).length).toBeLessThan(4000);
  });
});
