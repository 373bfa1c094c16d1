/**
 * Reference videos and audio clips told by their content, not their name: the first bytes of
 * a file decide what it is (an `.mp4` that is really a PNG, or a WebM, is refused before it is
 * staged or paid for). No I/O and no Node APIs: the CLI, the worker and the submit activity all ask here.
 *
 * Formats (README "Reference videos and audio"): the provider takes MP4 and MOV videos and MP3
 * and WAV audio for Seedance 2.0 references (BytePlus ModelArk's reference-to-video rules as
 * published by its resellers; docs/provider/notes.md gives counts only). Other common formats are
 * recognized to say what they are, and refused.
 */
import { formatBytes } from './byte-sizes';

export const MEDIA_KINDS = ['video', 'audio'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

export const VIDEO_FORMATS = ['mp4', 'mov'] as const;
export const AUDIO_FORMATS = ['mp3', 'wav'] as const;
export type MediaFormat = (typeof VIDEO_FORMATS)[number] | (typeof AUDIO_FORMATS)[number];

export interface MediaHeader {
  kind: MediaKind;
  format: MediaFormat;
  /** The MIME type of its data URL and of the staged object. */
  mime: string;
  /** The extension of its staged key, `inputs/<sha256>.<ext>`. */
  ext: string;
}

const HEADERS: Record<MediaFormat, MediaHeader> = {
  mp4: { kind: 'video', format: 'mp4', mime: 'video/mp4', ext: 'mp4' },
  mov: { kind: 'video', format: 'mov', mime: 'video/quicktime', ext: 'mov' },
  mp3: { kind: 'audio', format: 'mp3', mime: 'audio/mpeg', ext: 'mp3' },
  wav: { kind: 'audio', format: 'wav', mime: 'audio/wav', ext: 'wav' },
};

/** Extensions a staged reference video or audio clip may have (activities/seedance/media.ts). */
export const MEDIA_EXTENSIONS = Object.values(HEADERS).map((h) => h.ext);

/**
 * Per-file size limits of the files a storyboard names by `path` (staged into our storage,
 * then linked or inlined by the submit activity, activities/seedance/media.ts). Audio: the provider's published 15 MB per clip. Video: ours,
 * 30 MiB, below the provider's published 50 MB, because a staged file travels as base64 (4/3
 * larger) inside one request the provider caps at 64 MB (docs/provider/notes.md "Inputs"): 30 MiB of
 * video is 40 MiB of base64, leaving room for the rest (whichever delivery is configured, a
 * storyboard is valid or not the same way). A larger video goes by `url` (hosted
 * where the provider can fetch it), which only the provider's own limits bound.
 */
export const MAX_MEDIA_BYTES: Record<MediaKind, number> = {
  video: 30 * 1024 * 1024,
  audio: 15 * 1024 * 1024,
};

/** Bytes read from the front of a file to decide its type. */
export const MEDIA_SNIFF_BYTES = 64;

/** What a file's first bytes say it is: one of ours, another known format (refused), or nothing known. */
export type Sniffed = { ok: true; header: MediaHeader } | { ok: false; known?: string };

const ascii = (b: Uint8Array, at: number, n: number) => String.fromCharCode(...b.subarray(at, at + n));

/** Identifies a media file from its first bytes (at least 12 for a verdict). */
export function sniffMedia(b: Uint8Array): Sniffed {
  if (b.length >= 12 && ascii(b, 4, 4) === 'ftyp') {
    const brand = ascii(b, 8, 4);
    if (brand === 'qt  ') return { ok: true, header: HEADERS.mov };
    if (/^M4[ABP] $/.test(brand)) return { ok: false, known: 'M4A (AAC) audio' };
    if (/^(heic|heix|mif1|msf1|avif)$/.test(brand)) return { ok: false, known: `a ${brand} image` };
    if (/^3g/.test(brand)) return { ok: false, known: '3GP video' };
    return { ok: true, header: HEADERS.mp4 };
  }
  // QuickTime files written before `ftyp` existed open with one of these atoms.
  if (b.length >= 8 && /^(moov|mdat|wide|free|skip)$/.test(ascii(b, 4, 4))) return { ok: true, header: HEADERS.mov };
  if (b.length >= 12 && ascii(b, 0, 4) === 'RIFF') {
    const form = ascii(b, 8, 4);
    if (form === 'WAVE') return { ok: true, header: HEADERS.wav };
    if (form === 'AVI ') return { ok: false, known: 'AVI video' };
    if (form === 'WEBP') return { ok: false, known: 'a webp image' };
    return { ok: false, known: `a RIFF ${JSON.stringify(form)} file` };
  }
  if (b.length >= 3 && ascii(b, 0, 3) === 'ID3') return { ok: true, header: HEADERS.mp3 };
  if (b.length >= 2 && b[0] === 0xff && ((b[1] as number) & 0xe0) === 0xe0) {
    const layer = ((b[1] as number) >> 1) & 0x03;
    if (layer === 0x01) return { ok: true, header: HEADERS.mp3 }; // MPEG audio layer III
    if (layer === 0x00 && ((b[1] as number) & 0xf0) === 0xf0) return { ok: false, known: 'AAC (ADTS) audio' };
    if (layer !== 0x00) return { ok: false, known: `MPEG audio layer ${layer === 0x02 ? 'II' : 'I'}` };
  }
  if (b.length >= 4 && b[0] === 0x1a && b[1] === 0x45 && b[2] === 0xdf && b[3] === 0xa3) return { ok: false, known: 'WebM/Matroska' };
  if (b.length >= 4 && ascii(b, 0, 4) === 'OggS') return { ok: false, known: 'Ogg' };
  if (b.length >= 4 && ascii(b, 0, 4) === 'fLaC') return { ok: false, known: 'FLAC audio' };
  if (b.length >= 8 && b[0] === 0x89 && ascii(b, 1, 3) === 'PNG') return { ok: false, known: 'a png image' };
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return { ok: false, known: 'a jpeg image' };
  if (b.length >= 4 && ascii(b, 0, 3) === 'GIF') return { ok: false, known: 'a gif image' };
  return { ok: false };
}

const ACCEPTED: Record<MediaKind, string> = { video: 'MP4 or MOV', audio: 'MP3 or WAV' };

/** The first bytes in hex, for a message about a file nobody recognizes. */
function startsWith(b: Uint8Array): string {
  if (b.length === 0) return 'it is empty';
  return `starts with ${[...b.subarray(0, 8)].map((x) => x.toString(16).padStart(2, '0')).join(' ')}`;
}

/**
 * The header of a reference of `kind`, or why the file is not one: `not a video (starts with
 * 89 50 4e 47 ...)`, `is WebM/Matroska, not MP4 or MOV`, `is MP3 audio, not a video`.
 */
export function checkMediaHeader(kind: MediaKind, first: Uint8Array): { ok: true; header: MediaHeader } | { ok: false; reason: string } {
  const sniffed = sniffMedia(first);
  if (sniffed.ok && sniffed.header.kind === kind) return sniffed;
  if (sniffed.ok) {
    return {
      ok: false,
      reason: `is ${sniffed.header.format.toUpperCase()} ${sniffed.header.kind}, not ${kind === 'video' ? 'a video' : 'audio'}`,
    };
  }
  if (sniffed.known) return { ok: false, reason: `is ${sniffed.known}; a reference ${kind} is ${ACCEPTED[kind]}` };
  return {
    ok: false,
    reason: `not ${kind === 'video' ? 'a video' : 'audio'} (${startsWith(first)}); a reference ${kind} is ${ACCEPTED[kind]}`,
  };
}

/** Why a file of `bytes` is too large for a reference of `kind`, or undefined. */
export function mediaSizeProblem(kind: MediaKind, bytes: number): string | undefined {
  const max = MAX_MEDIA_BYTES[kind];
  return bytes > max ? `${bytes} bytes, over a reference ${kind}'s ${max}-byte limit (${formatBytes(max)})` : undefined;
}
