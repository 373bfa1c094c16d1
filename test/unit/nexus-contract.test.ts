/**
 * The Nexus service's names are a contract other teams' workflows compile against and the
 * endpoint routes by: a rename breaks every caller. And SEEDANCE_NEXUS is off unless asked
 * for, and refused where no workflows worker could serve it.
 */
import { ConfigError, loadConfig } from '../../common/config';
import { SEEDANCE_NEXUS_SERVICE, seedanceService } from '../../nexus/service';
import { createWorkers } from '../../workers/worker';

test('the service and its operations keep their names', () => {
  expect(SEEDANCE_NEXUS_SERVICE).toBe('seedance-flow');
  expect(seedanceService.name).toBe('seedance-flow');
  expect(Object.fromEntries(Object.entries(seedanceService.operations).map(([key, op]) => [key, op.name]))).toEqual({
    renderVideo: 'renderVideo',
    renderStoryboard: 'renderStoryboard',
  });
});

test('SEEDANCE_NEXUS is off by default, on when asked, and a bad value names the variable', () => {
  expect(loadConfig({}).SEEDANCE_NEXUS).toBe(false);
  expect(loadConfig({ SEEDANCE_NEXUS: 'true' }).SEEDANCE_NEXUS).toBe(true);
  expect(() => loadConfig({ SEEDANCE_NEXUS: 'sometimes' })).toThrow(/SEEDANCE_NEXUS/);
});

test('a worker without the workflows role refuses SEEDANCE_NEXUS before it connects anywhere', async () => {
  // An address nothing listens on: the refusal must come first, from the configuration.
  const config = loadConfig({ SEEDANCE_NEXUS: 'true', SEEDANCE_WORKER_ROLES: 'provider,copy', TEMPORAL_ADDRESS: '127.0.0.1:1' });
  const err = await createWorkers(config).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ConfigError);
  expect((err as ConfigError).message).toMatch(/SEEDANCE_NEXUS.*workflows/);
});
