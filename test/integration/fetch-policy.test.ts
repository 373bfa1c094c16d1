/**
 * The fetch policy end to end, through configuration, the worker's wiring and a real
 * render: the simulator's video links are on 127.0.0.1, which production defaults refuse.
 * With the switch off the render fails as UnsafeOutputUrl (paid once, nothing stored, the
 * internal address never fetched); an allow-list entry for the host lets it through.
 */
import { randomUUID } from 'node:crypto';
import { startRenderVideo, waitForVideo } from '../../client/video';
import type { RenderVideoInput } from '../../common/render';
import { FAST_SCHEDULE, startHarness, type Harness } from '../helpers/harness';

jest.setTimeout(90_000);

async function renderOn(h: Harness, prompt: string) {
  const input: RenderVideoInput = { shot: { prompt }, schedule: FAST_SCHEDULE };
  const handle = await startRenderVideo(h.client, input, { taskQueue: h.config.SEEDANCE_TASK_QUEUE, workflowId: `fp-${randomUUID()}` });
  return waitForVideo(handle);
}

describe('production defaults: the copy refuses the loopback simulator', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { SEEDANCE_ALLOW_PRIVATE_NETWORK: 'false', SEEDANCE_FETCH_ALLOW_HOSTS: '' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  test('the render fails as UnsafeOutputUrl naming the host; one submit, no download', async () => {
    const outcome = await renderOn(h, 'a lighthouse, refused');
    expect(outcome.status).toBe('failed');
    expect(outcome.failureType).toBe('UnsafeOutputUrl');
    expect(outcome.message).toMatch(/127\.0\.0\.1.*loopback/);
    expect(outcome.taskId).toBeDefined();
    expect(h.sim.stats().submissions).toBe(1);
    expect(h.sim.stats().downloads).toBe(0);
  });
});

describe('an allow-listed host is fetched with the switch off', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ env: { SEEDANCE_ALLOW_PRIVATE_NETWORK: 'false', SEEDANCE_FETCH_ALLOW_HOSTS: '127.0.0.1' } });
  });
  afterAll(async () => {
    await h?.stop();
  });

  test('the video is stored', async () => {
    const outcome = await renderOn(h, 'a lighthouse, allowed');
    expect(outcome).toMatchObject({ status: 'stored' });
    expect(h.sim.stats().downloads).toBe(1);
  });
});
