/**
 * Small files that start as real reference videos and audio clips do (only the first bytes
 * decide a reference's type, common/media-header.ts), and a few that only pretend to.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const MEDIA = {
  mp4: Buffer.concat([Buffer.from('\0\0\0\x18ftypisom\0\0\x02\0isomiso2mp41', 'latin1'), Buffer.alloc(200, 7)]),
  mov: Buffer.concat([Buffer.from('\0\0\0\x14ftypqt  \0\0\x02\0qt  ', 'latin1'), Buffer.alloc(200, 8)]),
  wav: Buffer.concat([Buffer.from('RIFF\xe4\0\0\0WAVEfmt ', 'latin1'), Buffer.alloc(200, 9)]),
  mp3: Buffer.concat([Buffer.from('ID3\x04\0\0\0\0\0\0', 'latin1'), Buffer.alloc(200, 10)]),
  mp3Frames: Buffer.concat([Buffer.from([0xff, 0xfb, 0x90, 0x64]), Buffer.alloc(200, 11)]),
  webm: Buffer.concat([Buffer.from([0x1a, 0x45, 0xdf, 0xa3]), Buffer.alloc(200, 12)]),
  aac: Buffer.concat([Buffer.from([0xff, 0xf1, 0x50, 0x80]), Buffer.alloc(200, 13)]),
  png: readFileSync(path.resolve(__dirname, '../fixtures/first-frame.png')),
  text: Buffer.from('hello, this is not a clip at all'),
};
