#!/usr/bin/env node
// Run after any `npm install` that rewrites package-lock.json.
//
// @swc/core (via @temporalio/worker) lists native builds for every platform as optional
// dependencies. The npm registry mirror of the machines we build on lacks the darwin, win32
// and some linux ones, so npm leaves them out of the lock file, and `npm ci` then refuses
// the lock as out of sync. This adds lock entries for them without download fields: on a
// matching platform npm resolves them from the registry by version; elsewhere it skips them.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

const lockPath = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const PLATFORM = {
  'darwin-arm64': ['darwin', 'arm64'],
  'darwin-x64': ['darwin', 'x64'],
  'linux-arm-gnueabihf': ['linux', 'arm'],
  'linux-arm64-gnu': ['linux', 'arm64'],
  'linux-arm64-musl': ['linux', 'arm64'],
  'linux-ppc64-gnu': ['linux', 'ppc64'],
  'linux-s390x-gnu': ['linux', 's390x'],
  'linux-x64-gnu': ['linux', 'x64'],
  'linux-x64-musl': ['linux', 'x64'],
  'win32-arm64-msvc': ['win32', 'arm64'],
  'win32-ia32-msvc': ['win32', 'ia32'],
  'win32-x64-msvc': ['win32', 'x64'],
};

let added = 0;
for (const [pkgPath, meta] of Object.entries(lock.packages)) {
  if (!pkgPath.endsWith('node_modules/@swc/core') || !meta.optionalDependencies) continue;
  const base = pkgPath.slice(0, -'@swc/core'.length);
  for (const [dep, range] of Object.entries(meta.optionalDependencies)) {
    const key = `${base}${dep}`;
    if (lock.packages[key]) continue;
    const platform = PLATFORM[dep.replace('@swc/core-', '')];
    if (!platform) throw new Error(`unknown @swc/core platform package ${dep}: add it to PLATFORM`);
    lock.packages[key] = { version: range.replace(/^[\^~=]/, ''), optional: true, os: [platform[0]], cpu: [platform[1]] };
    added++;
  }
}
fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`package-lock.json: added ${added} optional platform entr${added === 1 ? 'y' : 'ies'}`);
