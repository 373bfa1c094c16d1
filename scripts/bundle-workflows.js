#!/usr/bin/env node
// `npm run build`, second step: bundle the compiled workflows ahead of time, so production
// workers start without webpack (dist/workers/worker.js picks up dist/workflow-bundle.js).
'use strict';
const { bundleWorkflowCode } = require('@temporalio/worker');
const { writeFileSync } = require('node:fs');
const path = require('node:path');

async function main() {
  const dist = path.join(__dirname, '..', 'dist');
  // The compiled workers/bundle-options.js (tsc ran first): zod and the schema cache, once per workflow thread.
  const { seedanceBundlerOptions } = require(path.join(dist, 'workers', 'bundle-options.js'));
  const { code } = await bundleWorkflowCode({ workflowsPath: path.join(dist, 'workflows', 'index.js'), ...seedanceBundlerOptions() });
  const out = path.join(dist, 'workflow-bundle.js');
  writeFileSync(out, code);
  console.log(`workflow bundle: ${out} (${(code.length / 1024).toFixed(0)} KiB)`);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
