/**
 * Every workflow the seedance-flow worker runs, and the queries/signals other teams use.
 * Another team's worker can bundle this module (or call these by name with executeChild).
 */
export { renderVideo, renderVideoProgressQuery, defaultStorageKey } from './render-video';
export type { RenderVideoInput, RenderVideoResult, RenderVideoProgress } from '../common/render';
