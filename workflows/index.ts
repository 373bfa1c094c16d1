/**
 * `seedance-flow/workflows`: every workflow the seedance-flow worker runs, with the signals,
 * queries and updates callers use and the types of their inputs and results.
 *
 * Other teams import the workflow functions *as types* for `executeChild` (`import type`:
 * no seedance-flow code enters their workflow bundle), or re-export them from their own
 * workflow code to run them in their own Worker (see README "From your own workflows").
 */
export { renderVideo, renderVideoProgressQuery, defaultStorageKey, providerCallbackSignal } from './render-video';
export { renderStoryboard } from './render-storyboard';
export { admissionLimiter, limitsQuery, requestLeaseSignal, leaseEventSignal, leaseGrantedSignal } from './admission-limiter';
export {
  approveUpdate,
  finishReviewUpdate,
  rejectUpdate,
  pauseSignal,
  resumeSignal,
  setBudgetUpdate,
  setWindowUpdate,
  shotPhasesSignal,
  storyboardProgressQuery,
  type ShotPhaseEvent,
} from './signals';
export type { RenderVideoInput, RenderVideoResult, RenderVideoProgress, StoredObject, Usage } from '../common/render';
export type {
  ManifestEntry,
  RenderStoryboardInput,
  StagedShot,
  StoryboardProgress,
  StoryboardResult,
  Tolerance,
} from '../common/storyboard';
export type { FinishedCounts, StoryboardCounts } from '../common/storyboard';
export type {
  ApproveRequest,
  RejectRequest,
  ReviewAnswer,
  ReviewView,
  ReviewShotView,
  ReviewState,
  DraftRecord,
  StoryboardMode,
} from '../common/review';
export type { ApiFamily, ImageRef, ImageRole, MediaRef, ShotInput } from '../common/shot';
export type { PollScheduleInput } from '../common/poll-schedule';
export type { ManifestStatus, RenderPhase, ShotState, StoryboardRunStatus } from '../common/states';
export type { FailureDetails, FailureType, FailureTypeName } from '../common/errors';
