#!/usr/bin/env node
// Runs the TypeScript sources through tsx when it is installed (a clone after `npm ci`),
// otherwise the compiled dist/ (`npm run build`, the Docker image).
'use strict';
const path = require('node:path');

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
