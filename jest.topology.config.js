/**
 * `npm run test:topology` (scripts/test-topology.sh): tests on the production topology
 * (PostgreSQL + the Temporal server, `scripts/infra.sh up --topology production`) with worker
 * processes split by role. Kept out of jest.config.js so `npm test` never runs them: they need
 * that topology up and take minutes.
 */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': 'ts-jest' },
  moduleFileExtensions: ['ts', 'js', 'json'],
  displayName: 'topology',
  testMatch: ['<rootDir>/test/topology/**/*.test.ts'],
};
