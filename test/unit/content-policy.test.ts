/**
 * The stage of a content-policy failure, read from the provider's code: at submit (HTTP 400,
 * and the gateway's documented 503) and on a task that ends failed. Codes are Ark's documented
 * moderation codes (docs/provider/notes.md, "Failures seen in the field") and what the
 * simulator emits.
 */
import { AxiosError, AxiosHeaders, type AxiosResponse } from 'axios';
import type { ApplicationFailure } from '@temporalio/common';
import { CONTENT_POLICY_STAGES, contentPolicyStage, failureLabel, type ContentPolicyStage } from '../../common/content-policy';
import { FailureType, type FailureDetails } from '../../common/errors';
import { fromAxiosError } from '../../activities/seedance/provider-error';
import type { TaskSnapshot } from '../../activities/seedance/types';
import type { RenderVideoProgress } from '../../common/render';

// checkSucceeded is workflow code: its log, metric and workflow info are stubbed so it runs as a plain function.
jest.mock('@temporalio/workflow', () => ({
  ...jest.requireActual('@temporalio/workflow'),
  log: { warn: () => undefined, info: () => undefined },
  metricMeter: { createCounter: () => ({ add: () => undefined }) },
  workflowInfo: () => ({ workflowId: 'board/s01' }),
}));
// jest hoists the mock above every import.
import { checkSucceeded } from '../../workflows/video-failures';

/** Every documented code and the stage it names. */
const CODES: Array<[string, ContentPolicyStage]> = [
  ['InputTextSensitiveContentDetected', 'input_text'],
  ['InputTextSensitiveContentDetected.PolicyViolation', 'input_text'],
  ['SensitiveContentDetected', 'input_text'],
  ['SensitiveContentDetected.SevereViolation', 'input_text'],
  ['SensitiveContentDetected.Violence', 'input_text'],
  ['InputTextRiskDetection', 'input_text'],
  ['InputImageSensitiveContentDetected', 'input_image'],
  ['InputImageSensitiveContentDetected.PrivacyInformation', 'input_image'],
  ['InputImageSensitiveContentDetected.PolicyViolation', 'input_image'],
  ['InputImageRiskDetection', 'input_image'],
  ['InputVideoSensitiveContentDetected', 'input_video'],
  ['InputVideoSensitiveContentDetected.PrivacyInformation', 'input_video'],
  ['InputAudioSensitiveContentDetected', 'input_audio'],
  ['InputAudioSensitiveContentDetected.PolicyViolation', 'input_audio'],
  ['OutputVideoSensitiveContentDetected', 'output_video'],
  ['OutputVideoSensitiveContentDetected.PolicyViolation', 'output_video'],
  ['OutputAudioSensitiveContentDetected', 'output_audio'],
  ['OutputAudioSensitiveContentDetected.PolicyViolation', 'output_audio'],
  ['outputaudiosensitivecontentdetected', 'output_audio'],
  // Nothing a video render can act on, or no word on what was blocked.
  ['OutputImageSensitiveContentDetected', 'unknown'],
  ['OutputTextSensitiveContentDetected', 'unknown'],
  ['ContentPolicyViolation', 'unknown'],
  ['content_policy', 'unknown'],
  ['OutputAudioSensitiveContentDetectedAndMore', 'unknown'],
  ['XOutputAudioSensitiveContentDetected', 'unknown'],
];

describe('contentPolicyStage', () => {
  test.each(CODES)('%s → %s', (code, stage) => {
    expect(contentPolicyStage(code, 'The request failed because the output audio may contain sensitive information.')).toBe(stage);
  });

  test('no code: a code name in the message decides (a gateway error string), free wording never does', () => {
    expect(contentPolicyStage(undefined, 'OutputAudioSensitiveContentDetected.PolicyViolation: copyright')).toBe('output_audio');
    expect(contentPolicyStage('', 'task failed: InputImageSensitiveContentDetected')).toBe('input_image');
    expect(contentPolicyStage(undefined, 'The request failed because the output audio may contain sensitive information.')).toBe('unknown');
    expect(contentPolicyStage(null, null)).toBe('unknown');
  });

  test('a code that says nothing is not overruled by its message', () => {
    expect(contentPolicyStage('ContentPolicyViolation', 'OutputAudioSensitiveContentDetected')).toBe('unknown');
  });

  test('every stage is one of the documented names', () => {
    for (const [, stage] of CODES) expect(CONTENT_POLICY_STAGES).toContain(stage);
    expect(failureLabel('ContentPolicyViolation', 'output_audio')).toBe('ContentPolicyViolation (output_audio)');
    expect(failureLabel('TaskFailed')).toBe('TaskFailed');
  });
});

function httpError(status: number, body: unknown): AxiosError {
  const response = {
    status,
    statusText: '',
    data: JSON.stringify(body),
    headers: new AxiosHeaders({}),
    config: {},
  } as unknown as AxiosResponse;
  return new AxiosError(`Request failed with status code ${status}`, 'ERR_BAD_RESPONSE', undefined, {}, response);
}

describe('at submit: the stage travels in the failure details', () => {
  test.each<[number, string, string, ContentPolicyStage]>([
    [
      400,
      'InputTextSensitiveContentDetected',
      'The request failed because the input text may contain sensitive information.',
      'input_text',
    ],
    [
      400,
      'InputImageSensitiveContentDetected',
      'The request failed because the input image may contain sensitive information.',
      'input_image',
    ],
    [400, 'InputImageSensitiveContentDetected.PrivacyInformation', 'The input image may contain real person.', 'input_image'],
    [400, 'SensitiveContentDetected', 'The request failed because the input text may contain sensitive information.', 'input_text'],
    [
      400,
      'InputAudioSensitiveContentDetected',
      'The request failed because the input audio may contain sensitive information.',
      'input_audio',
    ],
    [503, 'ContentPolicyViolation', 'Content blocked due to safety concerns', 'unknown'],
    [503, 'InputTextSensitiveContentDetected', 'sensitive', 'input_text'],
  ])('HTTP %d %s (%s) → %s', (status, code, message, stage) => {
    const err = fromAxiosError(httpError(status, { error: { code, message, type: 'BadRequest' } }), 'submit');
    expect(err.type).toBe(FailureType.ContentPolicyViolation);
    expect(err.details.stage).toBe(stage);
    const details = (err.toApplicationFailure().details?.[0] ?? {}) as FailureDetails;
    expect(details).toMatchObject({ type: FailureType.ContentPolicyViolation, stage, providerCode: code });
  });

  test('a failure that is not content policy has no stage', () => {
    const err = fromAxiosError(httpError(400, { error: { code: 'InvalidParameter', message: 'ratio' } }), 'submit');
    expect(err.type).toBe(FailureType.InvalidRequest);
    expect('stage' in err.details).toBe(false);
  });
});

describe('on a task that ended failed: the render fails with the stage in its details', () => {
  const failedWith = (error: TaskSnapshot['error']): ApplicationFailure => {
    const progress = { phase: 'rendering' } as unknown as RenderVideoProgress;
    try {
      checkSucceeded({ taskId: 'cgt-1', api: 'tasks', status: 'failed', ...(error ? { error } : {}) } as TaskSnapshot, progress);
    } catch (err) {
      return err as ApplicationFailure;
    }
    throw new Error('checkSucceeded did not fail');
  };

  test.each<[string, ContentPolicyStage]>([
    ['OutputVideoSensitiveContentDetected', 'output_video'],
    ['OutputAudioSensitiveContentDetected', 'output_audio'],
    ['OutputAudioSensitiveContentDetected.PolicyViolation', 'output_audio'],
    ['InputImageSensitiveContentDetected', 'input_image'],
    ['SensitiveContentDetected.Violence', 'input_text'],
  ])('%s → %s', (code, stage) => {
    const failure = failedWith({ code, message: 'may contain sensitive information' });
    expect(failure.type).toBe(FailureType.ContentPolicyViolation);
    expect(failure.details?.[0]).toMatchObject({ type: FailureType.ContentPolicyViolation, stage, providerCode: code, taskId: 'cgt-1' });
  });

  test('a predictions-style error string names its code in the message', () => {
    const failure = failedWith({ message: 'OutputAudioSensitiveContentDetected: the output audio may contain sensitive information' });
    expect(failure.details?.[0]).toMatchObject({ type: FailureType.ContentPolicyViolation, stage: 'output_audio' });
  });

  test('a failure that is not moderation: TaskFailed, no stage', () => {
    const failure = failedWith({ code: 'InternalServiceError', message: 'oops' });
    expect(failure.type).toBe(FailureType.TaskFailed);
    expect(failure.details?.[0]).not.toHaveProperty('stage');
  });
});
