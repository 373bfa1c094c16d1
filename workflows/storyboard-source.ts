/**
 * A storyboard handed to renderStoryboard as a file in storage (`source`) or inline
 * (`storyboard`) instead of staged shots: its first activity reads, checks and stages it
 * (activities/storyboard/source.ts) and the window then works from the staged pages as for
 * a staged input. An invalid document ends the workflow as InvalidRequest listing every
 * problem; nothing is submitted.
 */
import type { StoryboardSourceInput } from '../activities/storyboard/source';
import { FailureType, failure } from '../common/errors';
import type { StoryboardMode } from '../common/review';
import { clip, type AudioPolicy, type StoryboardProblem } from '../common/storyboard';
import { stageStoryboardSource } from './storyboard-activities';

export interface StagedShots {
  stagedPrefix: string;
  totalShots: number;
  /** The file's budget (in tokens), when it gives one. */
  budget?: { tokens: number };
  /** The file's `on_audio_policy`, when it gives one. */
  onAudioPolicy?: AudioPolicy;
  /** The file's `mode`, when it gives one. */
  mode?: StoryboardMode;
}

/** Stages the file or inline storyboard; throws InvalidRequest (non-retryable) with every problem. */
export async function stageFromSource(input: StoryboardSourceInput): Promise<StagedShots> {
  const result = await stageStoryboardSource(input);
  if (result.ok)
    return {
      stagedPrefix: result.stagedPrefix,
      totalShots: result.totalShots,
      ...(result.budget ? { budget: result.budget } : {}),
      ...(result.onAudioPolicy ? { onAudioPolicy: result.onAudioPolicy } : {}),
      ...(result.mode ? { mode: result.mode } : {}),
    };
  throw invalidStoryboard(input, result.problems);
}

/** `InvalidRequest: storyboard x (s3://…) has 2 problems, nothing was submitted:` and one `path: message` line each. */
export function invalidStoryboard(input: StoryboardSourceInput, problems: StoryboardProblem[]): Error {
  const where = 'source' in input ? clip(input.source, 200) : 'inline';
  const lines = problems.map((p) => `  ${p.path ? `${p.path}: ` : ''}${p.message}`);
  const count = `${problems.length} problem${problems.length === 1 ? '' : 's'}`;
  return failure(
    FailureType.InvalidRequest,
    `storyboard ${input.storyboardId} (${where}) has ${count}, nothing was submitted:\n${lines.join('\n')}`,
    { type: FailureType.InvalidRequest, problems },
  );
}
