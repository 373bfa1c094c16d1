/**
 * `seedance-flow`: the client API for services and scripts, the same functions the CLI uses.
 * Connect, render one video and wait for its outcome, stage a storyboard file and start,
 * follow, pause, resume, resize or cancel it, with typed results.
 *
 * @example
 * ```ts
 * import { checkStoryboardFile, connect, stageStoryboard, startStoryboard, followStoryboard } from 'seedance-flow';
 *
 * const sf = await connect(); // TEMPORAL_ADDRESS, STORAGE_URL, ... from the environment
 * const checked = await checkStoryboardFile('board.yaml');
 * if (checked.problems.length) throw new Error(JSON.stringify(checked.problems));
 * const staged = await stageStoryboard(sf.storage, checked);
 * await startStoryboard(sf.client, { ...staged, window: 10 }, sf.taskQueue);
 * const status = await followStoryboard(sf.client, sf.storage, staged.storyboardId, (p) => console.log(p.counts));
 * await sf.close();
 * ```
 */
export { connect, type SeedanceFlowConnection } from './connect';
export { readManifest, type StoryboardManifest } from './manifest';
export { describeFailure, startRenderVideo, videoWorkflowId, waitForVideo, type VideoOutcome } from './video';
export {
  cancelStoryboard,
  followStoryboard,
  pauseStoryboard,
  resumeStoryboard,
  setStoryboardWindow,
  startStoryboard,
  statusFromProgress,
  statusFromResult,
  storyboardStatus,
  type StoryboardHandle,
  type StoryboardStatus,
} from './storyboard';
export {
  checkStoryboardFile,
  parseStoryboardText,
  readStagedRecord,
  stageStoryboard,
  type CheckOptions,
  type CheckedStoryboard,
  type StagedStoryboard,
} from './storyboard-file';
export { approveShots, finishReview, rejectShot, ReviewRefusedError } from './review';
export type { ApproveRequest, RejectRequest, ReviewAnswer, ReviewView, StoryboardMode } from '../common/review';
export { ImageError } from './stage';
export { ConfigError, loadConfig, type Config } from '../common/config';
export { connectClient, TemporalUnreachableError } from '../temporal/connection';
export {
  AesGcmPayloadCodec,
  CodecDecryptError,
  CodecKeyMissingError,
  createPayloadCodec,
  dataConverterFromConfig,
  ENCRYPTED_ENCODING,
  KEY_ID_METADATA,
  parseCodecKeys,
  type CodecKey,
} from '../temporal/codec';
export { createStorage, type StorageWiring } from '../storage/from-config';
export type { StorageBackend } from '../storage/backend';
export { storyboardKeys, validateStoryboard, type StoryboardProblem } from '../common/storyboard';
export { FailureType, type FailureDetails, type FailureTypeName } from '../common/errors';
export {
  pauseSignal,
  renderStoryboard,
  renderVideo,
  renderVideoProgressQuery,
  resumeSignal,
  setWindowUpdate,
  storyboardProgressQuery,
} from '../workflows';
export type {
  ManifestEntry,
  RenderStoryboardInput,
  RenderVideoInput,
  RenderVideoProgress,
  RenderVideoResult,
  StoryboardCounts,
  StoryboardProgress,
  StoryboardResult,
} from '../workflows';
