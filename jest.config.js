/**
 * Three projects:
 * - `unit` needs nothing running;
 * - `workflows` runs the real workflows with fake activities on the Java time-skipping test
 *   server (`scripts/infra.sh install test-server`, installed on first use), no other server;
 * - `integration` talks to the real Temporal dev server, MinIO and the simulator that
 *   scripts/test.sh starts (see README).
 * `npm run test:unit` runs the first two. Workflow bundles are built once per run and shared
 * by all files (test/helpers/workflow-bundle.ts).
 */
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'json'],
};
const bundles = {
  globalSetup: '<rootDir>/test/helpers/jest-global-setup.js',
  globalTeardown: '<rootDir>/test/helpers/jest-global-teardown.js',
};
module.exports = {
  testSequencer: '<rootDir>/test/helpers/jest-sequencer.js',
  projects: [
    { ...common, ...bundles, displayName: 'unit', testMatch: ['<rootDir>/test/unit/**/*.test.ts'] },
    { ...common, ...bundles, displayName: 'workflows', testMatch: ['<rootDir>/test/workflows/**/*.test.ts'] },
    {
      ...common,
      displayName: 'integration',
      testMatch: ['<rootDir>/test/integration/**/*.test.ts'],
    },
  ],
};
