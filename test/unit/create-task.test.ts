/**
 * createTask: prepare, confirm, then POST. These pin the order that makes a dead worker's
 * attempt judgeable (no `submitSending` in history ⇒ no request left), and the failure types
 * by cause.
 */
import { ActivityCancellationDetails, ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { verifyCallbackToken } from '../../activities/seedance/callback-token';
import { MockActivityEnvironment } from '@temporalio/testing';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createSeedanceActivities, ensureTimeToSend, type SeedanceDeps } from '../../activities/seedance/activities';
import { stagedImageMatcher, type S3ObjectReader } from '../../activities/seedance/images';
import type { PreparedSubmit, SeedanceFamilyClient, SubmitResult } from '../../activities/seedance/types';
import type { SubmitSending } from '../../common/submit-attempt';

const PNG = readFileSync(path.resolve(__dirname, '../../examples/images/dawn-start.png'));

class NamedError extends Error {
  constructor(override readonly name: string) {
    super(name);
  }
}

/** A family client that records what it was asked to do, in order, into `log`. */
function fakeClient(log: string[], sent: PreparedSubmit[] = []): SeedanceFamilyClient {
  const send = async (p: PreparedSubmit): Promise<SubmitResult> => {
    log.push('send');
    sent.push(p);
    return { taskId: 'cgt-1', api: p.api, model: p.model };
  };
  return {
    api: 'tasks',
    prepare: (shot, images) => ({ api: shot.api, model: shot.model, path: '/x', body: { images } }),
    send,
    submit: () => Promise.reject(new Error('not used')),
    get: () => Promise.reject(new Error('not used')),
  };
}

const STAGED = `s3://bucket/inputs/${'a'.repeat(64)}.png`;

function setup(over: Partial<Omit<SeedanceDeps, 'images'>> & { readS3?: S3ObjectReader } = {}) {
  const { readS3, ...rest } = over;
  const log: string[] = [];
  const announced: SubmitSending[] = [];
  const sent: PreparedSubmit[] = [];
  const client = fakeClient(log, sent);
  const deps: SeedanceDeps = {
    clients: { tasks: client, predictions: client },
    images: {
      isStaged: stagedImageMatcher((key) => `s3://bucket/${key}`),
      readS3:
        readS3 ??
        (async () => {
          log.push('read');
          return PNG;
        }),
    },
    heartbeat: async () => {
      log.push('alive?');
    },
    announceSending: async (_run, sending) => {
      announced.push(sending);
      log.push('announce');
    },
    requestTimeoutMs: 5000,
    ...rest,
  };
  return { log, announced, sent, activities: createSeedanceActivities(deps) };
}

const now = Date.now();
const liveAttempt = {
  currentAttemptScheduledTimestampMs: now,
  scheduledTimestampMs: now,
  startToCloseTimeoutMs: 120_000,
  scheduleToCloseTimeoutMs: 0,
  heartbeatTimeoutMs: 10_000,
};
const imageShot = { prompt: 'p', images: [{ url: STAGED, role: 'first_frame' as const }] };

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

describe('createTask', () => {
  test('reads the images, confirms the attempt, announces the request, and only then sends', async () => {
    const { log, announced, activities } = setup();
    const env = new MockActivityEnvironment({ ...liveAttempt, activityId: 'create-task-3' });
    const beats: unknown[] = [];
    env.on('heartbeat', (d: unknown) => beats.push(d));
    await expect(env.run(activities.createTask, imageShot)).resolves.toMatchObject({ taskId: 'cgt-1' });
    expect(log).toEqual(['read', 'alive?', 'announce', 'send']);
    expect(announced).toEqual([{ activityId: 'create-task-3', at: expect.any(Number) }]);
    expect(beats[0]).toEqual({ phase: 'preparing' }); // liveness for the heartbeat timeout
  });

  test('an unreachable store is StorageUnavailable (retryable) and nothing is sent', async () => {
    const { log, activities } = setup({
      readS3: async () => {
        throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9000'), { code: 'ECONNREFUSED' });
      },
    });
    const failure = await failureOf(new MockActivityEnvironment(liveAttempt).run(activities.createTask, imageShot));
    expect(failure.type).toBe('StorageUnavailable');
    expect(failure.nonRetryable).toBe(false);
    expect(log).not.toContain('send');
  });

  test('a missing staged image is InvalidRequest, not retried', async () => {
    const { log, activities } = setup({
      readS3: async () => {
        throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
      },
    });
    const failure = await failureOf(new MockActivityEnvironment(liveAttempt).run(activities.createTask, imageShot));
    expect(failure.type).toBe('InvalidRequest');
    expect(failure.nonRetryable).toBe(true);
    expect(log).not.toContain('send');
  });

  test.each([
    ['another bucket', `s3://other/inputs/${'a'.repeat(64)}.png`],
    ['outside the inputs area', 's3://bucket/renders/board/manifest.json'],
    ['a key of the wrong shape', 's3://bucket/inputs/../secrets.png'],
    ['any local file', 'file:///etc/passwd'],
    ['an unknown scheme', 'gs://bucket/inputs/x.png'],
  ])('a reference to %s is refused before anything is read', async (_what, url) => {
    const { log, activities } = setup();
    const failure = await failureOf(
      new MockActivityEnvironment(liveAttempt).run(activities.createTask, { prompt: 'p', images: [{ url, role: 'first_frame' as const }] }),
    );
    expect(failure.type).toBe('InvalidRequest');
    expect(failure.message).toMatch(/not an image staged|must be http/);
    expect(log).toEqual([]);
  });

  test('an image that is not an image is InvalidRequest', async () => {
    const { activities } = setup({ readS3: async () => Buffer.from('BMhello, not a bitmap at all').subarray(2) });
    const failure = await failureOf(new MockActivityEnvironment(liveAttempt).run(activities.createTask, imageShot));
    expect(failure.type).toBe('InvalidRequest');
  });

  test('an attempt Temporal no longer knows does not send (nor announce)', async () => {
    const { log, activities } = setup({
      heartbeat: async () => {
        throw new NamedError('ActivityNotFoundError');
      },
    });
    const failure = await failureOf(new MockActivityEnvironment(liveAttempt).run(activities.createTask, imageShot));
    expect(failure.type).toBe('SubmitNotSent');
    expect(log).toEqual(['read']);
  });

  test('a request the workflow could not be told about is not sent', async () => {
    const { log, activities } = setup({
      announceSending: async () => {
        throw new Error('14 UNAVAILABLE: connection refused');
      },
    });
    const failure = await failureOf(new MockActivityEnvironment(liveAttempt).run(activities.createTask, imageShot));
    expect(failure.type).toBe('SubmitNotSent');
    expect(failure.nonRetryable).toBe(false);
    expect(log).not.toContain('send');
  });

  test('an attempt stopped while preparing does not send', async () => {
    const { log, activities } = setup({
      readS3: (_b, _k, _m, signal) =>
        new Promise<Buffer>((_resolve, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')))),
    });
    const env = new MockActivityEnvironment(liveAttempt);
    const running = env.run(activities.createTask, imageShot);
    setTimeout(() => env.cancel('TIMED_OUT', new ActivityCancellationDetails({ timedOut: true, notFound: true })), 50);
    const failure = await failureOf(running);
    expect(failure.type).toBe('SubmitNotSent');
    expect(log).not.toContain('send');
  });

  test('a cancelled attempt ends cancelled before sending', async () => {
    const { log, activities } = setup({
      heartbeat: async () => {
        throw new NamedError('ActivityCancelledError');
      },
    });
    await expect(new MockActivityEnvironment(liveAttempt).run(activities.createTask, imageShot)).rejects.toBeInstanceOf(CancelledFailure);
    expect(log).not.toContain('send');
  });

  test('too little time left in the attempt: not sent', async () => {
    const { log, activities } = setup();
    const late = { ...liveAttempt, currentAttemptScheduledTimestampMs: Date.now() - 110_000 };
    const failure = await failureOf(new MockActivityEnvironment(late).run(activities.createTask, imageShot));
    expect(failure.type).toBe('SubmitNotSent');
    expect(failure.message).toMatch(/left in this attempt/);
    expect(log).not.toContain('send');
  });

  test('a shot the family cannot express is InvalidRequest, not a retried crash', async () => {
    const { activities } = setup();
    const failure = await failureOf(new MockActivityEnvironment(liveAttempt).run(activities.createTask, { prompt: 'p', duration: 99 }));
    expect(failure.type).toBe('InvalidRequest');
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('createTask with callbacks on', () => {
  const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
  const plan = { safetyInitialDelayMs: 300_000, safetyMaxIntervalMs: 300_000, adoptWaitMs: 60_000 };
  const callbacks = { baseUrl: 'https://cb.example.com/seedance', secrets: [SECRET], plan };

  test("the request carries this attempt's own callback URL; the workflow learns the plan, not the URL", async () => {
    const { sent, announced, activities } = setup({ callbacks });
    const env = new MockActivityEnvironment({ ...liveAttempt, activityId: 'create-task-2' });
    const result = await env.run(activities.createTask, { prompt: 'p', seed: 99 }, { parentWorkflowId: 'board' });
    const url = (sent[0]?.body as { callback_url?: string }).callback_url ?? '';
    expect(url.startsWith('https://cb.example.com/seedance/')).toBe(true);
    expect(verifyCallbackToken([SECRET], url.slice(url.lastIndexOf('/') + 1))).toMatchObject({ attempt: 2, parentWorkflowId: 'board' });
    expect(result).toEqual({ taskId: 'cgt-1', api: 'tasks', model: expect.any(String), callbacks: plan });
    expect(announced).toEqual([{ activityId: 'create-task-2', at: expect.any(Number), callbacks: plan, seed: 99 }]);
    expect(JSON.stringify([result, announced])).not.toContain(url.slice(url.lastIndexOf('/') + 1));
  });

  test('the predictions family, and attempts of older histories, carry none', async () => {
    const { sent, activities } = setup({ callbacks });
    const predictions: SubmitResult = await new MockActivityEnvironment({ ...liveAttempt, activityId: 'create-task-1' }).run(
      activities.createTask,
      {
        prompt: 'p',
        api: 'predictions' as const,
      },
    );
    expect(predictions.callbacks).toBeUndefined();
    const old: SubmitResult = await new MockActivityEnvironment({ ...liveAttempt, activityId: '7' }).run(activities.createTask, {
      prompt: 'p',
    });
    expect(old.callbacks).toBeUndefined();
    expect(sent.map((p) => (p.body as { callback_url?: string }).callback_url)).toEqual([undefined, undefined]);
  });
});

describe('ensureTimeToSend', () => {
  const info = {
    currentAttemptScheduledTimestampMs: 0,
    scheduledTimestampMs: 0,
    startToCloseTimeoutMs: 60_000,
    scheduleToCloseTimeoutMs: 0,
  };
  test('sends with room for one request and the margin', () => {
    expect(() => ensureTimeToSend(info, 30_000, 19_000)).not.toThrow();
  });
  test('refuses when the attempt could end before the answer', () => {
    expect(() => ensureTimeToSend(info, 30_000, 21_000)).toThrow(/SubmitNotSent/);
  });
  test('the schedule-to-close deadline counts too', () => {
    expect(() => ensureTimeToSend({ ...info, scheduleToCloseTimeoutMs: 30_000 }, 10_000, 15_000)).toThrow(/SubmitNotSent/);
  });
});
