/**
 * Output links: `/videos/<id>.mp4` and `/frames/<id>.png`. They behave like signed object
 * storage URLs: no Authorization, valid for `outputTtlMs` after the task succeeded (then 403),
 * and still valid after the task record was deleted.
 *
 * The last frame is always the last frame of the video the task serves: the sample's own
 * (assets.ts) or the labelled clip's (clips.ts). A `[sim:size]` video is not decodable, so its
 * task serves the sample's last frame.
 */
import { lastFramePng, sampleVideo } from './assets';
import { clipSpec } from './clip-label';
import { sharedClips } from './clips';
import { storageError } from './errors';
import { generatedVideo } from './generated-video';
import type { HandlerContext } from './handler-context';
import type { SimResponse } from './http-io';
import { statusAt } from './task';

/** The two kinds of output file. */
export type OutputAsset = 'video' | 'frame';

/** Answers a download of a task's video or last frame (asynchronously when a labelled clip is made). */
export function download(ctx: HandlerContext, asset: OutputAsset, id: string): SimResponse | Promise<SimResponse> {
  const task = ctx.state.findOutput(id);
  const missing = storageError(404, 'NoSuchKey', 'The specified key does not exist.');
  if (task === undefined || statusAt(task, ctx.now) !== 'succeeded' || task.gone) return missing;
  if (ctx.now >= task.terminalAt + ctx.state.config.outputTtlMs) {
    return storageError(403, 'AccessDenied', 'Request has expired');
  }
  if (asset === 'frame' && !task.request.returnLastFrame) return missing;
  if (task.clips === 'labelled' && task.videoSize === undefined) {
    return sharedClips
      .get(clipSpec(task))
      .then((clip) => (asset === 'frame' ? file('image/png', clip.lastFrame) : file('video/mp4', clip.video)));
  }
  if (asset === 'frame') return file('image/png', lastFramePng());
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
