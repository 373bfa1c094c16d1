#!/usr/bin/env node
// Runs the TypeScript sources through tsx in a clone (after `npm ci`: the sources are there
// and tsx, a dev dependency, is installed), otherwise the compiled dist/: an installed
// package ships no sources, and the Docker image sets SEEDANCE_USE_DIST.
'use strict';
const { existsSync } = require('node:fs');
const path = require('node:path');

// The AWS SDK warns on Node 20 about releases *after* January 2027; the locked SDK supports
// Node 20, which this package declares in engines. Users can still opt back in.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const root = path.join(__dirname, '..');
const source = path.join(root, 'client', 'cli.ts');

function hasTsx() {
  try {
    require.resolve('tsx/cjs');
    return true;
  } catch {
    return false;
  }
}

if (!process.env.SEEDANCE_USE_DIST && existsSync(source) && hasTsx()) {
  require('tsx/cjs');
  require(source).main();
} else {
  require(path.join(root, 'dist', 'client', 'cli.js')).main();
}
