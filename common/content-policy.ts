/**
 * Where moderation stopped a render: the `stage` of a ContentPolicyViolation (common/errors.ts).
 *
 * Content policy stays one failure type, never retried as such; the stage says what was
 * blocked, which decides what a person (or `on_audio_policy: retry_silent`) can do about it: a
 * blocked prompt or image must change, a blocked video must be rendered differently, a
 * blocked sound track may pass when rendered without sound (docs/provider/notes.md, "Failures
 * seen in the field").
 *
 * The stage is read from the provider's code only. Ark's error-code table names each case
 * `<Input|Output><Text|Image|Video|Audio>SensitiveContentDetected`, with optional suffixes
 * (`.PolicyViolation`, `.PrivacyInformation`), and `...RiskDetection` for its risk-detection
 * product; a bare `SensitiveContentDetected[.X]` is documented as the input text. A message
 * is read only when no code came (the predictions family carries its error as a string), and
 * then only for one of those code names: moderation messages echo prompts, so free wording
 * never decides a stage. Anything else is `unknown`.
 *
 * No I/O: workflows import this module.
 */

/**
 * What moderation blocked. `input_video` and `input_audio` are Seedance 2.0 references
 * (documented codes too); `unknown`: a content-policy answer whose code says nothing more.
 */
export const CONTENT_POLICY_STAGES = [
  'input_text',
  'input_image',
  'input_video',
  'input_audio',
  'output_video',
  'output_audio',
  'unknown',
] as const;
export type ContentPolicyStage = (typeof CONTENT_POLICY_STAGES)[number];

/** What each stage means, for people (README, report, CLI). */
export const CONTENT_POLICY_STAGE_MEANING: Record<ContentPolicyStage, string> = {
  input_text: 'the prompt was refused',
  input_image: 'an input image was refused',
  input_video: 'a reference video was refused',
  input_audio: 'a reference audio clip was refused',
  output_video: 'the rendered video was blocked',
  output_audio: 'the generated sound track was blocked (the video may pass without sound)',
  unknown: 'the provider did not say what was blocked',
};

/**
 * A documented moderation code, anchored and without nested repetition (linear): direction,
 * medium, the detector's name, then an optional `.Suffix`.
 */
const STAGED_CODE = /^(input|output)(text|image|video|audio)(?:sensitivecontentdetected|riskdetection)(?:\.[a-z]{1,64})?$/i;
/** The bare code Ark documents for a refused prompt. */
const BARE_CODE = /^sensitivecontentdetected(?:\.[a-z]{1,64})?$/i;
/** A code name inside a message (a gateway's error string), as a whole word. */
const CODE_IN_MESSAGE = /\b(input|output)(text|image|video|audio)(?:sensitivecontentdetected|riskdetection)\b/i;

/** How much of a message is scanned: provider texts are truncated before they get here; this keeps any other caller bounded. */
const MESSAGE_SCAN_LIMIT = 1000;

/**
 * The stage of a content-policy failure, from the provider's `code` (or, when there is no
 * code, a code name in its `message`). Only meaningful for a failure already known to be
 * content policy (isContentPolicyCode): the caller decides that, this says where.
 *
 * @example
 *   contentPolicyStage('OutputAudioSensitiveContentDetected'); // 'output_audio'
 *   contentPolicyStage('InputImageSensitiveContentDetected.PrivacyInformation'); // 'input_image'
 *   contentPolicyStage('ContentPolicyViolation', 'Content blocked due to safety concerns'); // 'unknown'
 */
export function contentPolicyStage(code: string | undefined | null, message?: string | null): ContentPolicyStage {
  const trimmed = code?.trim();
  if (trimmed) {
    if (BARE_CODE.test(trimmed)) return 'input_text';
    return stageOf(STAGED_CODE.exec(trimmed));
  }
  if (message) return stageOf(CODE_IN_MESSAGE.exec(message.slice(0, MESSAGE_SCAN_LIMIT)));
  return 'unknown';
}

function stageOf(match: RegExpExecArray | null): ContentPolicyStage {
  if (!match) return 'unknown';
  const direction = (match[1] as string).toLowerCase();
  const medium = (match[2] as string).toLowerCase();
  const stage = `${direction}_${medium}`;
  // Output text and images are not something a video render produces: nothing to act on.
  return (CONTENT_POLICY_STAGES as readonly string[]).includes(stage) ? (stage as ContentPolicyStage) : 'unknown';
}

/** True for a stage name (as read back from a manifest or a failure's details, which others may write). */
export function isContentPolicyStage(value: unknown): value is ContentPolicyStage {
  return typeof value === 'string' && (CONTENT_POLICY_STAGES as readonly string[]).includes(value);
}

/** A failure type as people read it: `ContentPolicyViolation (output_audio)` when a stage says what was blocked. */
export function failureLabel(type: string, stage?: string): string {
  return stage ? `${type} (${stage})` : type;
}
