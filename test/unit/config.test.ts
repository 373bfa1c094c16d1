import { ConfigError, loadConfig } from '../../common/config';

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
