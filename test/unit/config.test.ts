import { ConfigError, DEMO_DEFAULTS, loadConfig, SIMULATED_DEMO_DEFAULTS, withDefaults } from '../../common/config';

describe('configuration', () => {
  test('defaults', () => {
    const c = loadConfig({});
    expect(c).toMatchObject({
      SEEDANCE_API_BASE_URL: 'https://gptproto.com',
      SEEDANCE_AUTH_SCHEME: 'raw',
      TEMPORAL_ADDRESS: 'localhost:7233',
      TEMPORAL_NAMESPACE: 'default',
      SEEDANCE_TASK_QUEUE: 'seedance-flow',
    });
  });

  test('an error names every bad variable', () => {
    try {
      loadConfig({ SEEDANCE_AUTH_SCHEME: 'token', STORAGE_URL: 'ftp://x', SEEDANCE_POLL_INITIAL_MS: 'soon' });
      throw new Error('expected a ConfigError');
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      const problems = (err as ConfigError).problems.join('\n');
      expect(problems).toMatch(/^SEEDANCE_AUTH_SCHEME:/m);
      expect(problems).toMatch(/^STORAGE_URL:/m);
      expect(problems).toMatch(/^SEEDANCE_POLL_INITIAL_MS:/m);
    }
  });

  test('secrets are never echoed in errors', () => {
    expect(() => loadConfig({ GPTPROTO_API_KEY: '  ' })).toThrow(ConfigError);
    try {
      loadConfig({ GPTPROTO_API_KEY: '  ' });
    } catch (err) {
      expect((err as ConfigError).problems).toEqual([expect.stringMatching(/^GPTPROTO_API_KEY: /)]);
      expect((err as ConfigError).problems[0]).not.toContain('got');
    }
    expect(() => loadConfig({ SEEDANCE_API_BASE_URL: 'not a url' })).toThrow(/SEEDANCE_API_BASE_URL/);
  });
});

describe('variables passed on or used as given', () => {
  test('Temporal envconfig, AWS credentials, bundle, ffmpeg and demo paths are read as given; unset or empty is undefined', () => {
    const c = loadConfig({
      TEMPORAL_API_KEY: 'tk-0123456789',
      TEMPORAL_TLS: 'true',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-0123',
      SEEDANCE_WORKFLOW_BUNDLE: '/opt/bundle.js',
      FFMPEG_PATH: '/opt/ffmpeg',
      TEMPORAL_CLI_PATH: '',
    });
    expect(c).toMatchObject({
      TEMPORAL_API_KEY: 'tk-0123456789',
      TEMPORAL_TLS: 'true',
      AWS_SECRET_ACCESS_KEY: 'aws-secret-0123',
      SEEDANCE_WORKFLOW_BUNDLE: '/opt/bundle.js',
      FFMPEG_PATH: '/opt/ffmpeg',
    });
    expect(c.TEMPORAL_CLI_PATH).toBeUndefined();
    expect(loadConfig({}).AWS_REGION).toBe('us-east-1');
  });
});

describe('the demo fills in only what is not set', () => {
  test('its defaults apply to unset variables; set ones, even empty, are kept', () => {
    const env = withDefaults({ SEEDANCE_LOG_LEVEL: 'DEBUG', SEEDANCE_LOG_FORMAT: '' }, DEMO_DEFAULTS);
    expect(env).toEqual({ SEEDANCE_LOG_LEVEL: 'DEBUG', SEEDANCE_LOG_FORMAT: '', SEEDANCE_TASK_QUEUE: 'seedance-flow-demo' });
    expect(loadConfig(env)).toMatchObject({
      SEEDANCE_TASK_QUEUE: 'seedance-flow-demo',
      SEEDANCE_LOG_LEVEL: 'DEBUG',
      SEEDANCE_LOG_FORMAT: 'json',
    });
    expect(loadConfig(withDefaults({}, { ...DEMO_DEFAULTS, ...SIMULATED_DEMO_DEFAULTS }))).toMatchObject({
      SEEDANCE_LOG_FORMAT: 'text',
      SEEDANCE_LOG_LEVEL: 'ERROR',
      SEEDANCE_POLL_INITIAL_MS: 2000,
      SEEDANCE_POLL_MAX_INTERVAL_MS: 2000,
    });
  });
});
