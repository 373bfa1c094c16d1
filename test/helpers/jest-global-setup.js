// Jest global setup of the `unit` and `workflows` projects (jest.config.js): a scratch
// directory for this run's workflow bundles, shared by every test file and jest worker
// through SEEDANCE_TEST_BUNDLE_DIR (see test/helpers/workflow-bundle.ts). Jest runs it once
// per run even when both projects name it, before the workers start, so they inherit it.
const { mkdtempSync } = require('node:fs');
const os = require('node:os');
const path = require('node:path');

module.exports = async function globalSetup() {
  if (process.env.SEEDANCE_TEST_BUNDLE_DIR) return;
  process.env.SEEDANCE_TEST_BUNDLE_DIR = mkdtempSync(path.join(os.tmpdir(), 'seedance-flow-bundles-'));
  process.env.SEEDANCE_TEST_BUNDLE_DIR_OWNED = '1';
};
