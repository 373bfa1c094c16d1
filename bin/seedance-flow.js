#!/usr/bin/env node
// Runs the TypeScript sources through tsx when it is installed (a clone after `npm ci`),
// otherwise the compiled dist/ (`npm run build`, the Docker image).
'use strict';
const path = require('node:path');

// The AWS SDK warns on Node 20 about releases *after* January 2027; the locked SDK supports
// Node 20, which this package declares in engines. Users can still opt back in.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

function hasTsx() {
  try {
    require.resolve('tsx/cjs');
    return true;
  } catch {
    return false;
  }
}

if (hasTsx() && !process.env.SEEDANCE_USE_DIST) {
  require('tsx/cjs');
  require(path.join(__dirname, '..', 'client', 'cli.ts')).main();
} else {
  require(path.join(__dirname, '..', 'dist', 'client', 'cli.js')).main();
}
