/**
 * The "tasks" family (docs/provider/seeds/tasks-family.txt): the same API Volcengine Ark and BytePlus ModelArk serve at
 * /api/v3/contents/generations/tasks.
 */
import type { AxiosInstance } from 'axios';
import type { ResolvedShot } from '../../common/shot';
import { providerRequest, requestedTaskId, submittedTaskId } from './request';
import { TasksSubmitRequestSchema, TasksSubmitResponseSchema, TasksTaskSchema, type TasksSubmitRequest } from './schemas';
import { boundedOutputUrls } from './output-urls';
import { normalizeStatus } from './status';
import { z } from 'zod';
import type { PreparedSubmit, ReferenceMedia, SeedanceFamilyClient, SubmitResult, TaskSnapshot } from './types';
import { TaskListSchema } from './find-task';

const TASKS_PATH = '/api/v3/contents/generations/tasks';

export function buildTasksRequest(
  shot: ResolvedShot,
  images: string[],
  media: ReferenceMedia = { videos: [], audios: [] },
): TasksSubmitRequest {
  if (shot.draft_task_id !== undefined) return buildFinalRequest(shot, shot.draft_task_id);
  const content: TasksSubmitRequest['content'] = [{ type: 'text', text: shot.prompt }];
  shot.images.forEach((img, i) => {
    const url = images[i];
    if (url) content.push({ type: 'image_url', image_url: { url }, role: img.role });
  });
  // Seedance 2.0 references (docs/provider/notes.md "Limits and tiers"; the provider's content item shape).
  for (const url of media.videos) content.push({ type: 'video_url', video_url: { url }, role: 'reference_video' });
  for (const url of media.audios) content.push({ type: 'audio_url', audio_url: { url }, role: 'reference_audio' });
  return TasksSubmitRequestSchema.parse({
    model: shot.model,
    content,
    generate_audio: shot.generate_audio,
    resolution: shot.resolution,
    ratio: shot.ratio,
    duration: shot.duration,
    frames: shot.frames,
    framespersecond: shot.fps,
    seed: shot.seed,
    camerafixed: shot.camera_fixed,
    watermark: shot.watermark,
    return_last_frame: shot.return_last_frame,
    execution_expires_after: shot.execution_expires_after,
    service_tier: shot.service_tier,
    draft: shot.draft || undefined,
  });
}

/**
 * A final rendered from a draft: Ark's content item `{type: draft_task, draft_task: {id}}` and
 * only what a final chooses itself. The provider reuses the draft's prompt, media, duration,
 * ratio, seed and audio, so sending them could only disagree with the draft.
 */
function buildFinalRequest(shot: ResolvedShot, draftTaskId: string): TasksSubmitRequest {
  return TasksSubmitRequestSchema.parse({
    model: shot.model,
    content: [{ type: 'draft_task', draft_task: { id: draftTaskId } }],
    resolution: shot.resolution,
    watermark: shot.watermark,
    return_last_frame: shot.return_last_frame,
    execution_expires_after: shot.execution_expires_after,
    service_tier: shot.service_tier,
  });
}

function outputUrls(
  video: string | undefined,
  lastFrame: string | undefined,
): Pick<TaskSnapshot, 'videoUrl' | 'lastFrameUrl' | 'outputUrlRefused'> {
  const { urls, refused } = boundedOutputUrls({ videoUrl: video, lastFrameUrl: lastFrame });
  return { ...urls, ...(refused ? { outputUrlRefused: refused } : {}) };
}

export function toTasksSnapshot(task: z.output<typeof TasksTaskSchema>): TaskSnapshot {
  return {
    taskId: task.id,
    api: 'tasks',
    status: normalizeStatus(task.status),
    rawStatus: task.status,
    ...outputUrls(task.content?.video_url, task.content?.last_frame_url),
    seed: task.seed,
    usage: task.usage ? { completionTokens: task.usage.completion_tokens, totalTokens: task.usage.total_tokens } : undefined,
    duration: task.duration,
    frames: task.frames,
    resolution: task.resolution,
    ratio: task.ratio,
    fps: task.framespersecond,
    error: task.error,
  };
}

export class TasksClient implements SeedanceFamilyClient {
  readonly api = 'tasks' as const;
  constructor(private readonly http: AxiosInstance) {}

  prepare(shot: ResolvedShot, images: string[], media?: ReferenceMedia): PreparedSubmit {
    return { api: 'tasks', model: shot.model, path: TASKS_PATH, body: buildTasksRequest(shot, images, media) };
  }

  async send(prepared: PreparedSubmit): Promise<SubmitResult> {
    const body = await providerRequest(this.http, {
      method: 'POST',
      url: prepared.path,
      data: prepared.body,
      call: 'submit',
      schema: TasksSubmitResponseSchema,
    });
    return { taskId: submittedTaskId(body.id), api: 'tasks', model: prepared.model };
  }

  submit(shot: ResolvedShot, images: string[]): Promise<SubmitResult> {
    return this.send(this.prepare(shot, images));
  }

  async get(taskId: string): Promise<TaskSnapshot> {
    const id = requestedTaskId(taskId, 'get');
    const task = await providerRequest(this.http, {
      method: 'GET',
      url: `${TASKS_PATH}/${encodeURIComponent(id)}`,
      call: 'get',
      taskId: id,
      schema: TasksTaskSchema,
    });
    // The id we asked about, not the one the answer claims: that one is unchecked text.
    return { ...toTasksSnapshot(task), taskId: id };
  }

  /** `GET .../tasks?page_num&page_size&filter.model`: the account's recent tasks of a model, newest first. */
  async list(pageNum: number, pageSize: number, model: string): Promise<unknown[]> {
    const query = new URLSearchParams({ page_num: String(pageNum), page_size: String(pageSize), 'filter.model': model });
    const page = await providerRequest(this.http, { method: 'GET', url: `${TASKS_PATH}?${query}`, call: 'list', schema: TaskListSchema });
    return page.items;
  }

  /** Ark cancels a queued task with DELETE (on a finished task it deletes the record). */
  async cancel(taskId: string): Promise<void> {
    const id = requestedTaskId(taskId, 'cancel');
    await providerRequest(this.http, {
      method: 'DELETE',
      url: `${TASKS_PATH}/${encodeURIComponent(id)}`,
      call: 'cancel',
      taskId: id,
      schema: z.unknown(),
    });
  }
}
