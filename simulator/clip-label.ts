/**
 * Which shot a labelled clip names. The storyboard's shot id never reaches the provider, so the
 * label comes from what the request carries: a `[sim:label=TEXT]` directive when the prompt has
 * one (a test or demo can put the shot id there), else the prompt's first words, directives left
 * out. A final rendered from a draft carries the draft's prompt (drafts.ts), so both show the same
 * label and differ by their info line (DRAFT, resolution).
 */
import type { ClipSpec } from './clip-card';
import { hasAudio } from './moderation';
import type { SimTask } from './task';
import { effectiveDuration, effectiveRatio } from './usage';

/** The clips' frame rate: the provider's only documented one (the seeds' `framespersecond`). */
export const CLIP_FPS = 24;
const LABEL_WORDS = 5;
const LABEL_CHARS = 40;

/** The label drawn on a task's clip. */
export function clipLabel(task: Pick<SimTask, 'label' | 'prompt'>): string {
  if (task.label !== undefined && task.label.trim() !== '') return task.label.trim().slice(0, LABEL_CHARS);
  const words = task.prompt
    .replace(/\[sim:[^\]]*\]/gi, ' ')
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, LABEL_WORDS)
    .join(' ');
  return words === '' ? 'no prompt' : words.slice(0, LABEL_CHARS);
}

/** Everything a task's labelled clip depends on: tasks with equal specs share one clip. */
export function clipSpec(task: Pick<SimTask, 'label' | 'prompt' | 'request'>): ClipSpec {
  const { request } = task;
  const seconds = request.frames !== undefined ? Math.round((request.frames / CLIP_FPS) * 100) / 100 : effectiveDuration(request);
  return {
    label: clipLabel(task),
    ratio: effectiveRatio(request),
    seconds,
    frames: request.frames ?? effectiveDuration(request) * CLIP_FPS + 1,
    resolution: request.resolution,
    draft: request.draft,
    audio: hasAudio(request),
  };
}
