/**
 * Output moderation. The provider blocks a finished render for its video or for its generated
 * audio with different codes (notes.md, "Errors" and "Failures seen in the field": e.g.
 * `OutputVideoSensitiveContentDetected`, and an "output audio sensitive" code); rendering again
 * with `generate_audio: false` may pass. So an audio block only happens to a render that has sound.
 */
import type { TaskOutcome } from './task';
import type { VideoRequest } from './validation';

/**
 * Seedance 1.0 renders no sound (the seeds document `generate_audio` for 1.5 pro and the 2.0
 * gateway only); every later model does unless `generate_audio: false`, the seeds' default being on.
 */
const SILENT_MODELS = /seedance-1-0/i;

/** Whether the render of this request has a sound track (what audio moderation can block). */
export function hasAudio(request: Pick<VideoRequest, 'model' | 'generateAudio'>): boolean {
  return request.generateAudio !== false && !SILENT_MODELS.test(request.model);
}

/** The task ends failed because of its output video. */
export function outputVideoPolicyFailure(): TaskOutcome {
  return {
    status: 'failed',
    code: 'OutputVideoSensitiveContentDetected',
    message: 'The request failed because the output video may contain sensitive information.',
  };
}

/**
 * The task ends failed because of its generated audio. The code follows Ark's naming of its
 * other moderation codes (`Output<Medium>SensitiveContentDetected`); the notes name it only as
 * "an output audio sensitive code".
 */
export function outputAudioPolicyFailure(): TaskOutcome {
  return {
    status: 'failed',
    code: 'OutputAudioSensitiveContentDetected',
    message: 'The request failed because the output audio may contain sensitive information.',
  };
}
