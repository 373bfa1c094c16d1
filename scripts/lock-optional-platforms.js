#!/usr/bin/env node
// Run after any `npm install` that rewrites package-lock.json.
//
// Some dependencies ship a native binary per platform as optional dependencies:
//   @swc/core (via @temporalio/worker)  ->  @swc/core-<os>-<cpu>[-<abi>]
//   @ffmpeg-installer/ffmpeg            ->  @ffmpeg-installer/<os>-<cpu>
// The npm registry mirror of the machines we build on may lack some of them (darwin, win32,
// some linux builds), so npm leaves them out of the lock file, and `npm ci` then refuses the
// lock as out of sync. This adds lock entries for the missing ones without download fields:
// on a matching platform npm resolves them from the registry by version; elsewhere it skips
// them. Entries npm already wrote are left alone.
'use strict';
const fs = require('node:fs');
const path = require('node:path');

/** Packages whose optional dependencies are per-platform builds, and how those are named. */
const PLATFORM_PARENTS = [
  { parent: '@swc/core', depPrefix: '@swc/core-' },
  { parent: '@ffmpeg-installer/ffmpeg', depPrefix: '@ffmpeg-installer/' },
];

const OSES = new Set(['darwin', 'linux', 'win32', 'freebsd', 'android', 'sunos', 'aix', 'openbsd']);
const CPUS = new Set(['x64', 'arm64', 'arm', 'ia32', 'ppc64', 's390x', 'riscv64', 'loong64', 'mips64el']);

/** `linux-arm64-gnu` -> ['linux', 'arm64']; `win32-ia32-msvc` -> ['win32', 'ia32']. */
function platformOf(suffix) {
  const [os, cpu] = suffix.split('-');
  if (!OSES.has(os) || !CPUS.has(cpu)) return null;
  return [os, cpu];
}

function lockPlatforms(lock) {
  let added = 0;
  for (const [pkgPath, meta] of Object.entries(lock.packages)) {
    for (const { parent, depPrefix } of PLATFORM_PARENTS) {
      if (!pkgPath.endsWith(`node_modules/${parent}`) || !meta.optionalDependencies) continue;
      const base = pkgPath.slice(0, -parent.length);
      for (const [dep, range] of Object.entries(meta.optionalDependencies)) {
        if (!dep.startsWith(depPrefix)) continue;
        const key = `${base}${dep}`;
        if (lock.packages[key]) continue;
        const platform = platformOf(dep.slice(depPrefix.length));
        if (!platform) throw new Error(`cannot tell the platform of ${parent}'s optional dependency ${dep}: teach platformOf`);
        lock.packages[key] = { version: range.replace(/^[\^~=]/, ''), optional: true, os: [platform[0]], cpu: [platform[1]] };
        added++;
      }
    }
  }
  return added;
}

if (require.main === module) {
  const lockPath = process.argv[2] ?? path.join(__dirname, '..', 'package-lock.json');
  const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
  const added = lockPlatforms(lock);
  fs.writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
  console.log(`package-lock.json: added ${added} optional platform entr${added === 1 ? 'y' : 'ies'}`);
}

module.exports = { lockPlatforms, platformOf };
