/**
 * Local reference videos and audio clips (Seedance 2.0), checked and staged as local images
 * are (client/stage.ts): a regular file within the per-kind size limit, its type decided by
 * its first bytes (common/media-header.ts), hashed as a stream and uploaded as a stream into
 * `inputs/<sha256>.<ext>` from the same open handle, refused if it changed in between. Only
 * the first bytes are ever held.
 */
import type { FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { checkMediaHeader, MAX_MEDIA_BYTES, MEDIA_SNIFF_BYTES, type MediaHeader, type MediaKind } from '../common/media-header';
import type { StorageBackend } from '../storage/backend';
import { LocalFileError, openRegularFile, readAt } from '../storage/local-file';
import { uploadStagedMedia } from '../storage/staged-images';
import { ImageError, sha256Of } from './stage';

const limitName = (kind: MediaKind) => `a reference ${kind}'s`;

async function headerOf(handle: FileHandle, file: string, kind: MediaKind): Promise<MediaHeader> {
  const checked = checkMediaHeader(kind, await readAt(handle, 0, MEDIA_SNIFF_BYTES));
  if (!checked.ok) throw new ImageError(`${file}: ${checked.reason}`);
  return checked.header;
}

/** Opens a local reference file, or throws ImageError (the CLI's bad-input error) for a file that cannot be one. */
async function openMedia(file: string, kind: MediaKind) {
  try {
    return await openRegularFile(file, MAX_MEDIA_BYTES[kind], limitName(kind));
  } catch (err) {
    if (err instanceof LocalFileError) throw new ImageError(err.message);
    throw err;
  }
}

/** Checks a local reference video or audio clip: a regular file, within its size limit, of an accepted type. Keeps no bytes. */
export async function checkMediaFile(file: string, kind: MediaKind): Promise<{ size: number; header: MediaHeader }> {
  const { handle, size } = await openMedia(file, kind);
  try {
    return { size, header: await headerOf(handle, file, kind) };
  } finally {
    await handle.close();
  }
}

/** Uploads a local reference video or audio clip once (content-addressed); the reference the workflow carries. */
export async function stageMedia(storage: StorageBackend, file: string, kind: MediaKind): Promise<string> {
  const abs = path.resolve(file);
  const { handle, size } = await openMedia(abs, kind);
  try {
    const header = await headerOf(handle, abs, kind);
    const sha256 = await sha256Of(handle, size);
    const open = async () => handle.createReadStream({ start: 0, autoClose: false });
    return await uploadStagedMedia(storage, { sha256, bytes: size, header }, open, abs, (m) => new ImageError(m));
  } finally {
    await handle.close();
  }
}
