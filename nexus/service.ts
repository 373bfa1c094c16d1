/**
 * The seedance-flow Nexus service: the contract a workflow in another namespace calls through
 * a Nexus endpoint (README, "Across namespaces: Nexus"). Operation names and their input and
 * output types, nothing else: a caller's workflow bundle imports this file, so it stays
 * workflow-safe (nexus-rpc and types only; eslint.config.js keeps it so). The handlers that
 * back it, on the seedance-flow worker, are in ./handlers.ts.
 */
import * as nexus from 'nexus-rpc';
import type { RenderVideoInput, RenderVideoResult } from '../common/render';
import type { RenderStoryboardInput, StoryboardResult } from '../common/storyboard';

/** The service's name on the wire; endpoints route to it, callers never spell it. */
export const SEEDANCE_NEXUS_SERVICE = 'seedance-flow';

/** `Omit` over each member of a union (the plain `Omit` would merge the members). */
type Without<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

/**
 * One video, as `seedance-flow video` renders it. Its business key is the shot and its
 * storage key (the same id the CLI uses): calling again with the same shot attaches to the
 * render already running, or returns the one already stored, instead of paying again.
 * `notifyParent` is storyboard-internal and refused.
 */
export type RenderVideoOperationInput = Without<RenderVideoInput, 'notifyParent'>;

/**
 * A storyboard whose shots are staged in seedance-flow's storage. Its business key is the
 * storyboard id: a second call while it runs attaches to the same run (both callers get its
 * result); a call after it finished runs it again, rendering only the shots missing or failed.
 * `carry` and `shotTaskQueue` are internal and refused.
 */
export type RenderStoryboardOperationInput = Without<RenderStoryboardInput, 'carry' | 'shotTaskQueue'>;

/**
 * The service definition, for `createNexusServiceClient` in the caller's workflow.
 *
 * @example
 * ```ts
 * import { createNexusServiceClient } from '@temporalio/workflow';
 * import { seedanceService } from 'seedance-flow/nexus';
 *
 * const seedance = createNexusServiceClient({ service: seedanceService, endpoint: 'seedance-flow' });
 * const board = await seedance.executeOperation('renderStoryboard', staged);
 * ```
 */
export const seedanceService = nexus.service(SEEDANCE_NEXUS_SERVICE, {
  /** Backed by the renderVideo workflow; lasts as long as the render (polling, copy). */
  renderVideo: nexus.operation<RenderVideoOperationInput, RenderVideoResult>(),
  /** Backed by the renderStoryboard workflow; lasts as long as the storyboard, hours if need be. */
  renderStoryboard: nexus.operation<RenderStoryboardOperationInput, StoryboardResult>(),
});

export type SeedanceService = typeof seedanceService;
