import { readFileSync } from 'node:fs';
import path from 'node:path';
import {
  PredictionEnvelopeSchema,
  TasksTaskSchema,
  TasksSubmitRequestSchema,
  PredictionsSubmitRequestSchema,
} from '../../activities/seedance/schemas';
import { toTasksSnapshot } from '../../activities/seedance/tasks-client';
import { toPredictionSnapshot } from '../../activities/seedance/predictions-client';
import { normalizeStatus } from '../../activities/seedance/status';

// The project's own copy of the contract (docs/provider/README.md).
const SEEDS = path.resolve(__dirname, '../../docs/provider/seeds');

/** Every JSON object in a seed document that follows `marker`, parsed as written there. */
function jsonAfter(file: string, marker: string): unknown {
  const text = readFileSync(path.join(SEEDS, file), 'utf8');
  const start = text.indexOf('{', text.indexOf(marker));
  let depth = 0;
  for (let i = start; i < text.length; i++) {
    if (text[i] === '{') depth++;
    if (text[i] === '}' && --depth === 0) return JSON.parse(text.slice(start, i + 1));
  }
  throw new Error(`no JSON after ${marker} in ${file}`);
}

function curlBody(file: string): unknown {
  const text = readFileSync(path.join(SEEDS, file), 'utf8');
  const m = /--data '([\s\S]*?)'\n/.exec(text);
  if (!m?.[1]) throw new Error(`no --data in ${file}`);
  return JSON.parse(m[1]);
}

describe('seed example bodies', () => {
  test('tasks family: request and response from the seed parse', () => {
    expect(TasksSubmitRequestSchema.safeParse(curlBody('tasks-family.txt')).success).toBe(true);
    const task = TasksTaskSchema.parse(jsonAfter('tasks-family.txt', '\nResponse'));
    const snap = toTasksSnapshot(task);
    expect(snap).toMatchObject({
      taskId: 'cgt-20251225195352-123',
      status: 'succeeded',
      videoUrl: 'https://example.com/video.mp4',
      seed: 16108,
      duration: 12,
      fps: 24,
      usage: { completionTokens: 260100, totalTokens: 260100 },
    });
  });

  test('predictions family: request and envelope from the seed parse', () => {
    expect(PredictionsSubmitRequestSchema.safeParse(curlBody('predictions-family.txt')).success).toBe(true);
    const env = PredictionEnvelopeSchema.parse(jsonAfter('predictions-family.txt', 'data.urls[0].get'));
    const snap = toPredictionSnapshot(env.data);
    expect(snap).toMatchObject({ taskId: 'abc', status: 'queued', rawStatus: 'created' });
    expect(snap.videoUrl).toBeUndefined();
    expect(snap.error).toBeUndefined();
  });
});

describe('provider notes variants (docs/provider/notes.md)', () => {
  test('numbers as numbers (Ark) and as strings (gateway)', () => {
    const base = { id: 't1', status: 'running' };
    expect(toTasksSnapshot(TasksTaskSchema.parse({ ...base, seed: 42, created_at: 1766663633 })).seed).toBe(42);
    expect(toTasksSnapshot(TasksTaskSchema.parse({ ...base, seed: '42', created_at: '1766663633' })).seed).toBe(42);
    expect(toTasksSnapshot(TasksTaskSchema.parse({ ...base, seed: 'n/a' })).seed).toBeUndefined();
  });

  test('duration or frames, not always both; last_frame_url when requested', () => {
    const snap = toTasksSnapshot(
      TasksTaskSchema.parse({
        id: 't',
        status: 'succeeded',
        frames: 121,
        content: { video_url: 'https://x/v.mp4', last_frame_url: 'https://x/f.png' },
      }),
    );
    expect(snap).toMatchObject({ frames: 121, lastFrameUrl: 'https://x/f.png' });
    expect(snap.duration).toBeUndefined();
  });

  test('error as object, string, empty or null', () => {
    const failed = { id: 't', status: 'failed' };
    expect(
      toTasksSnapshot(TasksTaskSchema.parse({ ...failed, error: { code: 'OutputVideoSensitiveContentDetected', message: 'm' } })).error,
    ).toEqual({ code: 'OutputVideoSensitiveContentDetected', message: 'm' });
    const p = (error: unknown) =>
      toPredictionSnapshot(PredictionEnvelopeSchema.parse({ data: { id: 'p', status: 'failed', error } }).data).error;
    expect(p('boom')).toEqual({ message: 'boom' });
    expect(p('')).toBeUndefined();
    expect(p(null)).toBeUndefined();
  });

  test('predictions outputs carry the video; bare prediction without envelope is accepted', () => {
    const env = PredictionEnvelopeSchema.parse({ id: 'p', status: 'completed', outputs: ['https://x/v.mp4'] });
    expect(toPredictionSnapshot(env.data)).toMatchObject({ status: 'succeeded', videoUrl: 'https://x/v.mp4' });
  });

  test.each([
    ['queued', 'queued'],
    ['created', 'queued'],
    ['running', 'running'],
    ['processing', 'running'],
    ['in_progress', 'running'],
    ['In-Progress', 'running'],
    ['succeeded', 'succeeded'],
    ['completed', 'succeeded'],
    ['failed', 'failed'],
    ['expired', 'expired'],
    ['cancelled', 'cancelled'],
    ['canceled', 'cancelled'],
    ['rendering_hd', 'unknown'],
  ])('status %s normalizes to %s', (raw, want) => {
    expect(normalizeStatus(raw)).toBe(want);
  });

  test('a response without status is rejected, not guessed', () => {
    expect(TasksTaskSchema.safeParse({ id: 't' }).success).toBe(false);
  });
});
