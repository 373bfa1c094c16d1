/**
 * How seedance-flow's workflow code is bundled: modules preloaded once per workflow thread
 * (workflows/preload.ts: zod and the schema cache, common/shared-schema.ts), which takes the
 * zod schemas out of each workflow execution's cost. Every bundle of our workflows should use
 * it: the worker's own, `npm run build`, and a team's bundle that includes our workflows.
 *
 * @example
 *   import { bundleWorkflowCode } from '@temporalio/worker';
 *   import { seedanceBundlerOptions } from 'seedance-flow/worker';
 *   const { code } = await bundleWorkflowCode({ workflowsPath: require.resolve('./workflows'), ...seedanceBundlerOptions() });
 */
export function seedanceBundlerOptions(): { preloadModules: string[] } {
  return { preloadModules: [require.resolve('../workflows/preload')] };
}
