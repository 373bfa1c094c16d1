#!/usr/bin/env node
// `prepare`: builds dist/ when npm installs this package from git (or packs a directory), the
// one case where nothing else would: npm runs only `prepare` on a git dependency's clone, after
// installing its dev dependencies there. npm names the package being prepared in
// npm_package_resolved; it leaves it empty for a clone's own `npm ci`/`npm install` (sources
// run through tsx there; `npm run build` makes dist/ when wanted, and the Docker image does).
// A dist/ that `prepack` has just built (`npm pack`, `npm publish`) is not built twice.
'use strict';
const { execFileSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const asDependency = Boolean(process.env.npm_package_resolved);
const sources = existsSync(path.join(root, 'tsconfig.build.json'));
const built = existsSync(path.join(root, 'dist', 'workflow-bundle.js'));

if (asDependency && sources && !built) {
  execFileSync(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', 'build'], { cwd: root, stdio: 'inherit' });
}
