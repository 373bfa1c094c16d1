/**
 * Output links: `/videos/<id>.mp4` and `/frames/<id>.png`. They behave like signed object
 * storage URLs: no Authorization, valid for `outputTtlMs` after the task succeeded (then 403),
 * and still valid after the task record was deleted.
 */
import { lastFramePng, sampleVideo } from './assets';
import { storageError } from './errors';
import { generatedVideo } from './generated-video';
import type { HandlerContext } from './handler-context';
import type { SimResponse } from './http-io';
import { statusAt } from './task';

/** The two kinds of output file. */
export type OutputAsset = 'video' | 'frame';

/** Answers a download of a task's video or last frame. */
export function download(ctx: HandlerContext, asset: OutputAsset, id: string): SimResponse {
  const task = ctx.state.findOutput(id);
  const missing = storageError(404, 'NoSuchKey', 'The specified key does not exist.');
  if (task === undefined || statusAt(task, ctx.now) !== 'succeeded' || task.gone) return missing;
  if (ctx.now >= task.terminalAt + ctx.state.config.outputTtlMs) {
    return storageError(403, 'AccessDenied', 'Request has expired');
  }
  if (asset === 'frame') {
    if (!task.request.returnLastFrame) return missing;
    return file('image/png', lastFramePng());
  }
  if (task.videoSize !== undefined) {
    return {
      status: 200,
      headers: { 'content-type': 'video/mp4', 'content-length': task.videoSize },
      body: generatedVideo(task.videoSize, task.id),
    };
  }
  return file('video/mp4', sampleVideo());
}

function file(contentType: string, bytes: Buffer): SimResponse {
  return { status: 200, headers: { 'content-type': contentType }, body: bytes };
}
