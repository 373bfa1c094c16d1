/**
 * The report activity: after a storyboard's manifest is written, `writeReport` puts a
 * self-contained `report.html` beside it, with a first-frame thumbnail per stored video
 * (`thumbs/<shotId>.jpg`) and a contact sheet of them (`contact-sheet.jpg`).
 *
 * Best effort where it should be: a video ffmpeg cannot decode, a missing video or a missing
 * ffmpeg gives a placeholder (or no contact sheet), never a failed report. Storage errors
 * are thrown, so Temporal retries the activity. Idempotent: a thumbnail already made from
 * the same video (same sha256) is reused, so a retry does not decode everything again.
 */
import { CONTENT_POLICY_STAGES } from '../../common/content-policy';
import { reviewReportWriter } from './review';
import { estimateShot, offEstimate } from '../../common/estimate';
import { FailureType, failure } from '../../common/errors';
import { activityContext } from '../heartbeat';
import { z } from 'zod';
import { createReadStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { storageKeyProblem } from '../../common/render';
import { DEFAULT_MODELS, formatIssues, inferApi, type ShotInput } from '../../common/shot';
import { MANIFEST_STATUSES, SAFE_ID, STAGE_PAGE_SIZE, storyboardKeys, type ManifestEntry } from '../../common/storyboard';
import { copyTaskQueue, type ActivityRoleDeclaration } from '../../common/task-queues';
import { ObjectTooLargeError, type StorageBackend } from '../../storage/backend';
import { FfmpegError, MAX_SHEET_TILES, extractThumbnail, makeContactSheet, resolveFfmpegPath } from './ffmpeg';
import { MODEL_DECIDES, relativeHref, renderReportHtml, type ContactSheetView, type ReportShot, type ReportView } from './html';
import { withLocalFile } from '../../storage/local-copy';

export interface ReportDeps {
  storage: StorageBackend;
  /** ffmpeg binary (the configuration's FFMPEG_PATH); default the one @ffmpeg-installer/ffmpeg ships. */
  ffmpegPath?: string;
  /**
   * A video larger than this is not downloaded for its thumbnail (the row says why); the
   * worker passes COPY_MAX_BYTES, which no stored video exceeds. Default: no limit.
   */
  maxVideoBytes?: number;
  /** Videos decoded at once (default 2). */
  concurrency?: number;
  /** Stored shots that get a thumbnail, in storyboard order (default {@link MAX_THUMBNAILS}). */
  maxThumbnails?: number;
}

/**
 * Each thumbnail downloads its whole video from storage (ffmpeg needs a file): for a
 * 10,000-shot storyboard that is 10,000 downloads, minutes of work and, on S3, real egress.
 * Past this many the rows show the video link and a note instead.
 */
export const MAX_THUMBNAILS = 1000;

export interface WriteReportInput {
  storyboardId: string;
  stagedPrefix: string;
  totalShots: number;
}

export interface WriteReportResult {
  reportKey: string;
  reportUrl: string;
  contactSheetKey?: string;
  /** Stored videos that have a thumbnail in the report. */
  thumbnails: number;
}

/** Where the report's files live, beside the manifest and the videos. */
export const reportKeys = {
  report: (storyboardId: string) => `${storyboardId}/report.html`,
  thumbnail: (storyboardId: string, shotId: string) => `${storyboardId}/thumbs/${shotId}.jpg`,
  contactSheet: (storyboardId: string) => `${storyboardId}/contact-sheet.jpg`,
};

/** A last frame's key as the copy names it (common/continuity.ts lastFrameKey): linked from the page, so checked. */
const LAST_FRAME_KEY = /^[A-Za-z0-9_-][A-Za-z0-9._/-]*\.last-frame\.(png|jpg|webp|gif|bmp|tiff)$/;

/**
 * The manifest as the report reads it. It comes from storage, which others may write: shot
 * ids become storage keys (thumbnails) and keys are downloaded, so both are checked, and
 * every field has the type the page expects. Unknown fields are allowed (newer writers).
 */
const ManifestEntrySchema = z.looseObject({
  shotId: z.string().regex(SAFE_ID, 'not a shot id'),
  status: z.enum(MANIFEST_STATUSES),
  taskId: z.string().optional(),
  key: z
    .string()
    .refine((k) => storageKeyProblem(k) === undefined, 'not a video storage key')
    .optional(),
  url: z.string().optional(),
  sha256: z
    .string()
    .regex(/^[0-9a-f]{64}$/, 'not a sha256')
    .optional(),
  bytes: z.number().int().min(0).optional(),
  seed: z.number().int().optional(),
  usage: z.looseObject({ completionTokens: z.number().optional(), totalTokens: z.number().optional() }).optional(),
  failureType: z.string().optional(),
  failureMessage: z.string().optional(),
  reused: z.boolean().optional(),
  estimatedTokens: z.object({ min: z.number().min(0), max: z.number().min(0) }).optional(),
  continuedFrom: z.string().regex(SAFE_ID, 'not a shot id').optional(),
  lastFrame: z
    .looseObject({
      key: z
        .string()
        .regex(LAST_FRAME_KEY, 'not a last frame key')
        .refine((k) => k.split('/').every((seg) => seg !== '' && !seg.startsWith('.')), 'not a last frame key'),
      url: z.string(),
      sha256: z.string().regex(/^[0-9a-f]{64}$/, 'not a sha256'),
      bytes: z.number().int().min(0),
      inputUrl: z.string(),
    })
    .optional(),
  lastFrameMissing: z.string().optional(),
  reason: z.string().optional(),
  // A stage this version does not know (a newer writer's) is left out rather than failing the report.
  failureStage: z.enum(CONTENT_POLICY_STAGES).optional().catch(undefined),
  silentRetry: z.looseObject({ firstTaskId: z.string().optional(), firstFailureMessage: z.string().optional() }).optional(),
});
const ManifestSchema = z.looseObject({
  storyboardId: z.string(),
  writtenAt: z.string().optional(),
  totalShots: z.number().int().min(0).optional(),
  budget: z
    .object({ unit: z.string().max(16), limit: z.number(), spent: z.number(), reserved: z.number(), remaining: z.number() })
    .optional(),
  shots: z.array(ManifestEntrySchema),
});
type Manifest = z.infer<typeof ManifestSchema>;

/** A manifest that is not one: the report cannot be made from it, and retrying will not help. */
export const INVALID_MANIFEST = FailureType.InvalidManifest;

/** Parses and checks the manifest text; throws a non-retryable InvalidManifest failure naming what is wrong. */
export function parseManifest(text: string, storyboardId: string, where: string): Manifest {
  const invalid = (why: string) => failure(INVALID_MANIFEST, `${where} is not a valid manifest: ${why}`);
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw invalid(`not JSON (${(err as Error).message.slice(0, 200)})`);
  }
  const parsed = ManifestSchema.safeParse(doc);
  if (!parsed.success) {
    const issues = formatIssues(parsed.error);
    throw invalid(`${issues.slice(0, 5).join('; ').slice(0, 1000)}${issues.length > 5 ? ` (and ${issues.length - 5} more)` : ''}`);
  }
  if (parsed.data.storyboardId !== storyboardId)
    throw invalid(`it is the manifest of ${JSON.stringify(parsed.data.storyboardId.slice(0, 100))}`);
  return parsed.data;
}

/** What the report shows of a staged shot; a staged entry that does not fit is skipped (the row loses its prompt). */
const StagedShotViewSchema = z.object({
  id: z.string(),
  shot: z.looseObject({
    prompt: z.string(),
    model: z.string().optional(),
    api: z.enum(['tasks', 'predictions']).optional(),
    duration: z.number().optional(),
    frames: z.number().optional(),
    ratio: z.string().optional(),
    resolution: z.string().optional(),
    seed: z.number().optional(),
  }),
});

/** Thumbnail metadata: which video it was made from, and what ffmpeg read of it. */
const META_VIDEO_SHA = 'video-sha256';
const META_VIDEO_SECONDS = 'video-seconds';
const MAX_THUMB_BYTES = 8 * 1024 * 1024;
const HEARTBEAT_EVERY_MS = 10_000;

export interface ThumbOutcome {
  /** Local copy of the thumbnail, for the contact sheet. */
  file?: string;
  videoSeconds?: number;
  note?: string;
}

/** The report downloads videos and runs ffmpeg: it runs with the copies, on the copy role's queue. */
export const reportActivityRole = { role: 'copy', taskQueue: copyTaskQueue } as const satisfies ActivityRoleDeclaration;

export function createReportActivities(deps: ReportDeps) {
  const { storage } = deps;
  const concurrency = Math.max(1, deps.concurrency ?? 2);

  async function writeReport(input: WriteReportInput): Promise<WriteReportResult> {
    const { storyboardId } = input;
    const ctx = activityContext();
    const signal = ctx?.cancellationSignal;

    const manifestKey = storyboardKeys.manifest(storyboardId);
    const manifestText = await storage.readText(manifestKey);
    if (manifestText === null) throw new Error(`${storage.urlOf(manifestKey)} is missing: write the manifest first`);
    const manifest = parseManifest(manifestText, storyboardId, storage.urlOf(manifestKey));
    const staged = await readStagedShots(storage, input.stagedPrefix, input.totalShots);

    let ffmpeg: string | undefined;
    let ffmpegProblem: string | undefined;
    try {
      ffmpeg = resolveFfmpegPath(deps.ffmpegPath);
    } catch (err) {
      ffmpegProblem = (err as Error).message;
    }

    const maxThumbnails = deps.maxThumbnails ?? MAX_THUMBNAILS;
    const storedEntries = manifest.shots.filter((e) => e.status === 'stored');
    const thumbnailed = storedEntries.slice(0, maxThumbnails);
    const progress = { done: 0, total: thumbnailed.length };
    const beat = () => ctx?.heartbeat({ ...progress });
    beat();
    const timer = ctx ? setInterval(beat, HEARTBEAT_EVERY_MS) : undefined;
    const tmp = await mkdtemp(path.join(os.tmpdir(), 'seedance-report-'));
    try {
      // ---- thumbnails, a few videos at a time ----
      const thumbs = new Map<string, ThumbOutcome>();
      for (const entry of storedEntries.slice(maxThumbnails)) {
        thumbs.set(entry.shotId, {
          note: `no thumbnail: a report makes them for the first ${maxThumbnails.toLocaleString('en-US')} stored shots`,
        });
      }
      await forEachLimited(thumbnailed, concurrency, async (entry, i) => {
        signal?.throwIfAborted();
        thumbs.set(entry.shotId, await thumbnailFor(entry, i));
        progress.done++;
        beat();
      });

      async function thumbnailFor(entry: ManifestEntry, i: number): Promise<ThumbOutcome> {
        const videoKey = entry.key ?? storyboardKeys.video(storyboardId, entry.shotId);
        const thumbKey = reportKeys.thumbnail(storyboardId, entry.shotId);
        const local = path.join(tmp, `thumb-${String(i).padStart(6, '0')}.jpg`);
        const existing = await storage.stat(thumbKey);
        if (existing && entry.sha256 && existing.metadata[META_VIDEO_SHA] === entry.sha256) {
          await writeFile(local, await storage.readBytes(thumbKey, MAX_THUMB_BYTES));
          const seconds = Number(existing.metadata[META_VIDEO_SECONDS]);
          return { file: local, ...(Number.isFinite(seconds) && existing.metadata[META_VIDEO_SECONDS] ? { videoSeconds: seconds } : {}) };
        }
        if (!ffmpeg) return { note: `no ffmpeg to make thumbnails (${ffmpegProblem ?? 'unknown'})` };
        if (!(await storage.stat(videoKey))) return { note: 'the video is not in storage' };
        const bin = ffmpeg;
        const made = await withLocalFile(
          storage,
          videoKey,
          (file) =>
            extractThumbnail(bin, file, local, signal).catch((err: unknown) => {
              // Undecodable: a placeholder, with the message naming the key rather than a local path.
              if (err instanceof FfmpegError)
                return new FfmpegError(
                  err.message.split(`file:${file}`).join(path.basename(videoKey)).split(file).join(path.basename(videoKey)),
                  err.stderr,
                );
              throw err;
            }),
          {
            tmpDir: tmp,
            ...(deps.maxVideoBytes !== undefined ? { maxBytes: deps.maxVideoBytes } : {}),
            ...(signal ? { signal } : {}),
          },
        ).catch((err: unknown) => {
          if (err instanceof ObjectTooLargeError) return err;
          throw err;
        });
        if (made instanceof ObjectTooLargeError) return { note: `no thumbnail: ${made.message}` };
        if (made instanceof FfmpegError) {
          signal?.throwIfAborted();
          return { note: `ffmpeg could not decode the video (${made.message.replace(/^ffmpeg failed /, '')})` };
        }
        const metadata: Record<string, string> = {};
        if (entry.sha256) metadata[META_VIDEO_SHA] = entry.sha256;
        if (made.durationSeconds !== undefined) metadata[META_VIDEO_SECONDS] = String(made.durationSeconds);
        await storage.upload(thumbKey, createReadStream(local), { contentType: 'image/jpeg', metadata, ...(signal ? { signal } : {}) });
        return { file: local, ...(made.durationSeconds !== undefined ? { videoSeconds: made.durationSeconds } : {}) };
      }

      // ---- the contact sheet ----
      const withThumbs = storedEntries.filter((e) => thumbs.get(e.shotId)?.file);
      let contactSheet: ContactSheetView | undefined;
      let contactSheetKey: string | undefined;
      let contactSheetNote: string | undefined;
      if (withThumbs.length > 0 && ffmpeg) {
        const tiles = withThumbs.slice(0, MAX_SHEET_TILES);
        const sheetFile = path.join(tmp, 'contact-sheet.jpg');
        try {
          await makeContactSheet(
            ffmpeg,
            tiles.map((e) => thumbs.get(e.shotId)?.file as string),
            sheetFile,
            signal,
          );
          contactSheetKey = reportKeys.contactSheet(storyboardId);
          await storage.upload(contactSheetKey, createReadStream(sheetFile), {
            contentType: 'image/jpeg',
            metadata: { tiles: String(tiles.length) },
            ...(signal ? { signal } : {}),
          });
          contactSheet = { href: relativeHref('contact-sheet.jpg'), tiles: tiles.map((e) => e.shotId), thumbnails: withThumbs.length };
        } catch (err) {
          if (!(err instanceof FfmpegError)) throw err;
          signal?.throwIfAborted();
          contactSheetNote = `The contact sheet could not be made: ${err.message}`;
        }
      } else if (storedEntries.length > 0) {
        contactSheetNote = 'No thumbnails, so no contact sheet.';
      }

      // ---- the page ----
      const continuedBy = new Map<string, string[]>();
      for (const e of manifest.shots)
        if (e.continuedFrom !== undefined) continuedBy.set(e.continuedFrom, [...(continuedBy.get(e.continuedFrom) ?? []), e.shotId]);
      const view: ReportView = {
        storyboardId,
        totalShots: input.totalShots,
        ...(manifest.writtenAt ? { manifestWrittenAt: manifest.writtenAt } : {}),
        generatedAt: new Date().toISOString(),
        manifestHref: relativeHref('manifest.json'),
        ...(manifest.budget ? { budget: manifest.budget } : {}),
        shots: manifest.shots.map((entry) =>
          shotView(storyboardId, entry, staged.get(entry.shotId), thumbs.get(entry.shotId), continuedBy.get(entry.shotId)),
        ),
        ...(contactSheet ? { contactSheet } : {}),
        ...(contactSheetNote ? { contactSheetNote } : {}),
      };
      const reportKey = reportKeys.report(storyboardId);
      await storage.writeText(reportKey, renderReportHtml(view), 'text/html; charset=utf-8');
      beat();
      return {
        reportKey,
        reportUrl: storage.urlOf(reportKey),
        ...(contactSheetKey ? { contactSheetKey } : {}),
        thumbnails: withThumbs.length,
      };
    } finally {
      if (timer) clearInterval(timer);
      await rm(tmp, { recursive: true, force: true });
    }
  }

  return { writeReport, writeReviewReport: reviewReportWriter(storage) };
}

export type ReportActivities = ReturnType<typeof createReportActivities>;

/** Staged shots by id; a missing page only costs the report its prompts. */
async function readStagedShots(storage: StorageBackend, prefix: string, totalShots: number): Promise<Map<string, ShotInput>> {
  const shots = new Map<string, ShotInput>();
  const pages = Math.ceil(totalShots / STAGE_PAGE_SIZE);
  for (let page = 0; page < pages; page++) {
    const text = await storage.readText(storyboardKeys.stagedPage(prefix, page));
    if (text === null) continue;
    let entries: unknown;
    try {
      entries = JSON.parse(text);
    } catch {
      continue;
    }
    if (!Array.isArray(entries)) continue;
    for (const entry of entries) {
      const staged = StagedShotViewSchema.safeParse(entry);
      if (staged.success) shots.set(staged.data.id, staged.data.shot as ShotInput);
    }
  }
  return shots;
}

/** The manifest entry, the staged shot and its thumbnail as the page shows them. */
export function shotView(
  storyboardId: string,
  entry: ManifestEntry,
  shot: ShotInput | undefined,
  thumb: ThumbOutcome | undefined,
  continuedBy?: string[],
): ReportShot {
  const view: ReportShot = { shotId: entry.shotId, status: entry.status };
  if (entry.continuedFrom !== undefined) view.continuedFrom = entry.continuedFrom;
  if (continuedBy?.length) view.continuedBy = continuedBy;
  const frame = entry.lastFrame && relativeKey(storyboardId, entry.lastFrame.key);
  if (frame) view.lastFrame = frame;
  if (entry.lastFrameMissing) view.lastFrameMissing = entry.lastFrameMissing;
  if (entry.reason) view.reason = entry.reason;
  if (shot) {
    const api = shot.api ?? inferApi(shot.model);
    view.prompt = shot.prompt;
    view.api = api;
    view.model = shot.model ?? DEFAULT_MODELS[api];
    if (!shot.model) view.modelIsDefault = true;
    const requested = requestedDuration(shot);
    if (requested) view.requestedDuration = requested;
    if (shot.ratio) view.ratio = shot.ratio;
    if (shot.resolution) view.resolution = shot.resolution;
  }
  const seed = entry.seed ?? shot?.seed;
  if (seed !== undefined) view.seed = seed;
  if (entry.usage?.totalTokens !== undefined) view.tokens = entry.usage.totalTokens;
  // The estimate made before submit; for manifests written before estimates, the staged shot's.
  const estimate = entry.estimatedTokens ?? (shot && entry.status !== 'not_started' ? estimateShot(shot).tokens : undefined);
  if (estimate) {
    view.estimatedTokens = estimate;
    if (view.tokens !== undefined && offEstimate(view.tokens, estimate)) view.offEstimate = true;
  }
  if (entry.bytes !== undefined) view.bytes = entry.bytes;
  if (entry.sha256) view.sha256 = entry.sha256;
  if (entry.taskId) view.taskId = entry.taskId;
  if (entry.failureType) view.failureType = entry.failureType;
  if (entry.failureMessage) view.failureMessage = entry.failureMessage;
  if (entry.failureStage) view.failureStage = entry.failureStage;
  if (entry.silentRetry) {
    const { firstTaskId, firstFailureMessage } = entry.silentRetry;
    view.silentRetry = { ...(firstTaskId ? { firstTaskId } : {}), ...(firstFailureMessage ? { firstFailureMessage } : {}) };
  }
  if (entry.reused) view.reused = true;
  const draft = entry.draft as { taskId?: unknown; key?: unknown; drafts?: unknown; usage?: { totalTokens?: unknown } } | undefined;
  if (draft && typeof draft.taskId === 'string') {
    const video =
      typeof draft.key === 'string' && storageKeyProblem(draft.key) === undefined ? relativeKey(storyboardId, draft.key) : undefined;
    const tokens = draft.usage?.totalTokens;
    view.draft = {
      taskId: draft.taskId,
      drafts: typeof draft.drafts === 'number' ? draft.drafts : 1,
      ...(video ? { video } : {}),
      ...(typeof tokens === 'number' ? { tokens } : {}),
    };
  }
  const note = entry.noDraftReason ?? entry.reason;
  if (typeof note === 'string') view.note = note;
  if (entry.status === 'stored') {
    const rel = relativeKey(storyboardId, entry.key ?? storyboardKeys.video(storyboardId, entry.shotId));
    if (rel) view.video = rel;
    if (thumb?.file) view.thumbnail = relativeHref('thumbs', `${entry.shotId}.jpg`);
    else view.thumbnailNote = thumb?.note ?? 'no thumbnail';
    if (thumb?.videoSeconds !== undefined) view.videoSeconds = thumb.videoSeconds;
  }
  return view;
}

function requestedDuration(shot: ShotInput): string | undefined {
  if (shot.duration === -1) return MODEL_DECIDES;
  if (shot.duration !== undefined) return `${shot.duration} s`;
  if (shot.frames !== undefined) return `${shot.frames} frames`;
  return undefined;
}

/** `<storyboardId>/a/b.mp4` → `a/b.mp4` (URL-encoded); a key outside the folder has no relative link. */
function relativeKey(storyboardId: string, key: string): string | undefined {
  const prefix = `${storyboardId}/`;
  if (!key.startsWith(prefix)) return undefined;
  return relativeHref(...key.slice(prefix.length).split('/'));
}

/** Runs `fn` over `items`, at most `limit` at once; after a failure no new item starts, and it is thrown. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: { err: unknown } | undefined;
  const worker = async () => {
    while (!failure && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (err) {
        failure ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure) throw failure.err;
}
