// Removes what test/helpers/jest-global-setup.js made (not a directory someone passed in).
const { rmSync } = require('node:fs');

module.exports = async function globalTeardown() {
  const dir = process.env.SEEDANCE_TEST_BUNDLE_DIR;
  if (dir && process.env.SEEDANCE_TEST_BUNDLE_DIR_OWNED === '1') rmSync(dir, { recursive: true, force: true });
};
