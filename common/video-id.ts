/**
 * The business key of one video render: the same shot with the same storage key always gets
 * the same workflow id, so every way in (the CLI, the client helpers, the Nexus operation)
 * attaches to the render already running instead of paying again.
 *
 * Node code only (it hashes with node:crypto): the CLI and the Nexus handlers use it;
 * workflows never compute it, they receive their id.
 */
import { createHash } from 'node:crypto';
import type { RenderVideoInput } from './render';

/**
 * `video-` and the first 20 hex digits of the sha256 of the shot and its storage key.
 *
 * @example
 * ```ts
 * videoWorkflowId({ shot: { prompt: 'a fox in the snow' } }); // 'video-…', the same on every call
 * ```
 */
export function videoWorkflowId(input: Pick<RenderVideoInput, 'shot' | 'storageKey'>): string {
  const digest = createHash('sha256')
    .update(JSON.stringify({ shot: input.shot, key: input.storageKey }))
    .digest('hex');
  return `video-${digest.slice(0, 20)}`;
}
