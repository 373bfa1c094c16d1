/**
 * Every workflow the seedance-flow worker runs, with the signals, queries and updates callers
 * use. Other teams import the workflow functions as types for `executeChild` (see README).
 */
export { renderVideo, renderVideoProgressQuery, defaultStorageKey, providerCallbackSignal } from './render-video';
export { renderStoryboard } from './render-storyboard';
export { pauseSignal, resumeSignal, setWindowUpdate, shotPhasesSignal, storyboardProgressQuery, type ShotPhaseEvent } from './signals';
export type { RenderVideoInput, RenderVideoResult, RenderVideoProgress } from '../common/render';
export type { ManifestEntry, RenderStoryboardInput, StoryboardProgress, StoryboardResult } from '../common/storyboard';
export type { FinishedCounts, StoryboardCounts } from '../common/storyboard';
export type { ManifestStatus, RenderPhase, ShotState, StoryboardRunStatus } from '../common/states';
export type { FailureType, FailureTypeName } from '../common/errors';
