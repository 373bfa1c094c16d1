/**
 * Finals rendered from drafts (notes.md, "Limits and tiers": `draft` renders are a Seedance 1.5
 * pro feature, 480p only, and a final can later reference a draft by `draft_task_id`).
 *
 * Where the notes stop, this follows the provider's draft-mode guides: the final names only the
 * draft and reuses its prompt, media, duration, ratio, seed and audio setting; the draft can be
 * rendered as a final for 7 days; draft and final are billed separately (each is a task with its
 * own usage). Two choices of ours, for tests: a final may carry text, which is then its prompt
 * (so `[sim:...]` directives can script the final alone), and an explicit `generate_audio` on the
 * final overrides the draft's (a silent final after an audio block).
 */
import type { SimulatorState } from './state';
import { statusAt } from './task';
import type { VideoRequest } from './validation';

/** How long a draft can be turned into a final (the guides' 7 days, the task records' lifetime too). */
export const DRAFT_VALID_MS = 7 * 24 * 60 * 60 * 1000;

/** The final's effective request, or why it is refused (answered as a 400). */
export type FinalResult = { ok: true; value: VideoRequest } | { ok: false; message: string };

/** A request without `draftTaskId` passes unchanged; a final gets its draft's settings. */
export function resolveFinal(state: SimulatorState, request: VideoRequest, now: number): FinalResult {
  const id = request.draftTaskId;
  if (id === undefined) return { ok: true, value: request };
  const draft = state.findTask(id, 'tasks');
  if (draft === undefined || now - draft.createdAt > DRAFT_VALID_MS) return { ok: false, message: `draft task ${id} not found` };
  if (!draft.request.draft) return { ok: false, message: `task ${id} is not a draft` };
  if (statusAt(draft, now) !== 'succeeded') return { ok: false, message: `draft task ${id} has not succeeded` };
  if (draft.model !== request.model) {
    return { ok: false, message: `draft task ${id} was rendered by ${draft.model}: its final must use the same model` };
  }
  const d = draft.request;
  const value: VideoRequest = {
    model: request.model,
    prompt: request.prompt.trim() !== '' ? request.prompt : d.prompt,
    resolution: request.resolution,
    ratio: d.ratio,
    framespersecond: d.framespersecond,
    seed: draft.seed,
    returnLastFrame: request.returnLastFrame,
    draft: false,
    draftTaskId: id,
    references: d.references,
  };
  if (d.frames !== undefined) value.frames = d.frames;
  else if (d.duration !== undefined) value.duration = d.duration;
  const generateAudio = request.generateAudio ?? d.generateAudio;
  if (generateAudio !== undefined) value.generateAudio = generateAudio;
  if (request.executionExpiresAfter !== undefined) value.executionExpiresAfter = request.executionExpiresAfter;
  if (request.callbackUrl !== undefined) value.callbackUrl = request.callbackUrl;
  if (request.serviceTier !== undefined) value.serviceTier = request.serviceTier;
  return { ok: true, value };
}
