/**
 * The "predictions" family (docs/provider/seeds/predictions-family.txt): the gateway's own endpoints,
 * POST /api/v3/bytedance/{model}/image-to-video|text-to-video and GET /api/v3/predictions/{id}/result.
 * The family documents no cancel call.
 */
import type { AxiosInstance } from 'axios';
import type { z } from 'zod';
import type { ResolvedShot } from '../../common/shot';
import { providerRequest, requestedTaskId, submittedTaskId } from './request';
import { PredictionEnvelopeSchema, PredictionsSubmitRequestSchema, type PredictionSchema, type PredictionsSubmitRequest } from './schemas';
import { boundedOutputUrls } from './output-urls';
import { invalidRequest } from './submit-failures';
import { normalizeStatus } from './status';
import type { PreparedSubmit, SeedanceFamilyClient, SubmitResult, TaskSnapshot } from './types';

export function buildPredictionsRequest(shot: ResolvedShot, images: string[]): PredictionsSubmitRequest {
  return PredictionsSubmitRequestSchema.parse({
    prompt: shot.prompt,
    image: images[0],
    aspect_ratio: shot.ratio,
    duration: shot.duration,
    resolution: shot.resolution,
    generate_audio: shot.generate_audio,
    camera_fixed: shot.camera_fixed,
    seed: shot.seed,
  });
}

export function predictionsPath(model: string, hasImage: boolean): string {
  return `/api/v3/bytedance/${encodeURIComponent(model)}/${hasImage ? 'image-to-video' : 'text-to-video'}`;
}

function predictionOutput(video: string | undefined): Pick<TaskSnapshot, 'videoUrl' | 'outputUrlRefused'> {
  const { urls, refused } = boundedOutputUrls({ videoUrl: video });
  return { ...urls, ...(refused ? { outputUrlRefused: refused } : {}) };
}

export function toPredictionSnapshot(p: z.output<typeof PredictionSchema>): TaskSnapshot {
  return {
    taskId: p.id,
    api: 'predictions',
    status: normalizeStatus(p.status),
    rawStatus: p.status,
    ...predictionOutput(p.outputs?.find((o) => o.length > 0)),
    seed: p.seed,
    usage: p.usage ? { completionTokens: p.usage.completion_tokens, totalTokens: p.usage.total_tokens } : undefined,
    error: p.error,
  };
}

export class PredictionsClient implements SeedanceFamilyClient {
  readonly api = 'predictions' as const;
  constructor(private readonly http: AxiosInstance) {}

  prepare(shot: ResolvedShot, images: string[]): PreparedSubmit {
    // Shot validation refuses these already (common/shot.ts); never drop a reference silently.
    if (shot.videos?.length || shot.audios?.length) {
      throw invalidRequest('the predictions family (the gateway) documents no reference videos or audio; use the tasks family');
    }
    const body = buildPredictionsRequest(shot, images);
    return { api: 'predictions', model: shot.model, path: predictionsPath(shot.model, body.image !== undefined), body };
  }

  async send(prepared: PreparedSubmit): Promise<SubmitResult> {
    const envelope = await providerRequest(this.http, {
      method: 'POST',
      url: prepared.path,
      data: prepared.body,
      call: 'submit',
      schema: PredictionEnvelopeSchema,
    });
    return { taskId: submittedTaskId(envelope.data.id), api: 'predictions', model: prepared.model };
  }

  submit(shot: ResolvedShot, images: string[]): Promise<SubmitResult> {
    return this.send(this.prepare(shot, images));
  }

  async get(taskId: string): Promise<TaskSnapshot> {
    const id = requestedTaskId(taskId, 'get');
    // Built from the id rather than following data.urls.get: that URL could name another
    // host, and the Authorization header must only ever go to the configured base URL.
    const envelope = await providerRequest(this.http, {
      method: 'GET',
      url: `/api/v3/predictions/${encodeURIComponent(id)}/result`,
      call: 'get',
      taskId: id,
      schema: PredictionEnvelopeSchema,
    });
    // The id we asked about, not the one the answer claims: that one is unchecked text.
    return { ...toPredictionSnapshot(envelope.data), taskId: id };
  }
}
