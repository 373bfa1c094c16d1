/**
 * The filesystem backend keeps to its root (no symlink out of it, for reads or writes),
 * gives every write its own temporary name, sweeps the temporary files killed writes left
 * behind, keeps object metadata in a hidden `.meta/` folder (reading the older
 * `<key>.metadata.json` too), and streams objects back with `openRead`.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { isObjectMissing, ObjectTooLargeError, readAll, STALE_WRITE_AGE_MS, type StorageBackend } from '../../storage/backend';
import { createStorage, sweepStaleWrites } from '../../storage/from-config';
import { FileStorage } from '../../storage/fs';

let tmp: string;
let root: string;
let outside: string;
let storage: FileStorage;

beforeEach(async () => {
  tmp = await mkdtemp(path.join(os.tmpdir(), 'sf-fs-'));
  root = path.join(tmp, 'root');
  outside = path.join(tmp, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  writeFileSync(path.join(outside, 'secret.txt'), 'SECRET');
  storage = new FileStorage(root);
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

const video = () => Readable.from([Buffer.from('video bytes')]);

describe('symlinks out of the root', () => {
  beforeEach(() => {
    // A storyboard folder that is really a link to somewhere else.
    symlinkSync(outside, path.join(root, 'evil'));
  });

  test('writes through a linked directory are refused and nothing lands outside', async () => {
    await expect(storage.writeText('evil/manifest.json', '{}', 'application/json')).rejects.toThrow(/outside/);
    await expect(storage.upload('evil/s1.mp4', video(), { contentType: 'video/mp4', metadata: {} })).rejects.toThrow(/outside/);
    await expect(storage.writeText('evil/new/deeper/x.json', '{}', 'application/json')).rejects.toThrow(/outside/);
    expect((await readdir(outside)).sort()).toEqual(['secret.txt']);
  });

  test('reads through a linked directory are refused', async () => {
    await expect(storage.readText('evil/secret.txt')).rejects.toThrow(/outside/);
    await expect(storage.readBytes('evil/secret.txt', 1000)).rejects.toThrow(/outside/);
    await expect(storage.stat('evil/secret.txt')).rejects.toThrow(/outside/);
    await expect(storage.localPath('evil/secret.txt')).rejects.toThrow(/outside/);
    await expect(storage.openRead('evil/secret.txt')).rejects.toThrow(/outside/);
  });

  test('a key that is itself a link is not followed', async () => {
    mkdirSync(path.join(root, 'sb'));
    symlinkSync(path.join(outside, 'secret.txt'), path.join(root, 'sb', 'manifest.json'));
    await expect(storage.readText('sb/manifest.json')).rejects.toThrow(/symlink/);
    await expect(storage.readBytes('sb/manifest.json', 1000)).rejects.toThrow(/symlink/);
    await expect(storage.stat('sb/manifest.json')).rejects.toThrow(/symlink/);
    await expect(storage.openRead('sb/manifest.json')).rejects.toThrow(/symlink/);
    // Writing replaces the link; the file it pointed to is untouched.
    await storage.writeText('sb/manifest.json', '{"ok":true}', 'application/json');
    expect(readFileSync(path.join(outside, 'secret.txt'), 'utf8')).toBe('SECRET');
    expect(await storage.readText('sb/manifest.json')).toBe('{"ok":true}');
  });

  test('a root that is itself a link works as usual, and links inside the root are fine', async () => {
    const linkedRoot = path.join(tmp, 'linked-root');
    symlinkSync(root, linkedRoot);
    const viaLink = new FileStorage(linkedRoot);
    await viaLink.writeText('sb/a.json', 'A', 'application/json');
    expect(await viaLink.readText('sb/a.json')).toBe('A');
    mkdirSync(path.join(root, 'real'));
    symlinkSync(path.join(root, 'real'), path.join(root, 'alias'));
    await viaLink.upload('alias/v.mp4', video(), { contentType: 'video/mp4', metadata: { a: 'b' } });
    expect(await viaLink.stat('alias/v.mp4')).toEqual({ bytes: 11, metadata: { a: 'b' } });
  });

  test('missing keys and folders are simply missing', async () => {
    expect(await storage.readText('nope/x.json')).toBeNull();
    expect(await storage.stat('nope/x.mp4')).toBeNull();
    expect(await new FileStorage(path.join(tmp, 'not-yet')).readText('a.json')).toBeNull();
  });
});

describe('temporary names', () => {
  test('concurrent writers of one key each finish; the key holds one whole text', async () => {
    const texts = Array.from({ length: 20 }, (_, i) => String(i).repeat(10_000));
    await Promise.all(texts.map((t) => storage.writeText('sb/manifest.json', t, 'application/json')));
    expect(texts).toContain(await storage.readText('sb/manifest.json'));
    expect((await readdir(path.join(root, 'sb'))).filter((n) => n.includes('.partial-'))).toEqual([]);
  });

  test('concurrent uploads of one key each finish', async () => {
    await Promise.all(
      Array.from({ length: 10 }, () => storage.upload('sb/s1.mp4', video(), { contentType: 'video/mp4', metadata: { k: 'v' } })),
    );
    expect(await storage.stat('sb/s1.mp4')).toEqual({ bytes: 11, metadata: { k: 'v' } });
    expect((await readdir(path.join(root, 'sb'))).sort()).toEqual(['.meta', 's1.mp4']);
    expect(await readdir(path.join(root, 'sb', '.meta'))).toEqual(['s1.mp4.json']);
  });
});

describe('sweeping leftovers of killed writes', () => {
  const hoursAgo = (file: string, hours: number) => {
    const t = new Date(Date.now() - hours * 3600_000);
    utimesSync(file, t, t);
  };

  test('old .partial-* files go, fresh ones, other files and anything behind links stay', async () => {
    mkdirSync(path.join(root, 'sb', 'thumbs'), { recursive: true });
    const old1 = path.join(root, 'sb', 's1.mp4.partial-0d6e9a52-3f0c-4a8e-9c1b-2b7f5e4d3c21');
    const old2 = path.join(root, 'sb', 'thumbs', 's2.jpg.partial-4242-1795325488904');
    const old3 = path.join(root, 'sb', 'manifest.json.partial-4242');
    const fresh = path.join(root, 'sb', 's3.mp4.partial-1b2c3d4e-0000-4000-8000-000000000000');
    const video = path.join(root, 'sb', 'old.mp4');
    const lookalike = path.join(root, 'sb', 'notes.partial-draft');
    for (const f of [old1, old2, old3, fresh, video, lookalike]) writeFileSync(f, 'x');
    for (const f of [old1, old2, old3, video, lookalike]) hoursAgo(f, 5);
    const behindLink = path.join(outside, 'x.mp4.partial-1b2c3d4e-0000-4000-8000-000000000001');
    writeFileSync(behindLink, 'x');
    hoursAgo(behindLink, 5);
    symlinkSync(outside, path.join(root, 'linked'));

    const result = await storage.sweepStaleWrites(STALE_WRITE_AGE_MS);
    expect(result.removed).toBe(3);
    expect(result.errors).toEqual([]);
    for (const f of [old1, old2, old3]) expect(existsSync(f)).toBe(false);
    for (const f of [fresh, video, lookalike, behindLink]) expect(existsSync(f)).toBe(true);
  });

  test('a leftover in the hidden .meta/ folder is swept like any other', async () => {
    const leftover = path.join(root, 'sb', '.meta', 's1.mp4.json.partial-0d6e9a52-3f0c-4a8e-9c1b-2b7f5e4d3c21');
    mkdirSync(path.dirname(leftover), { recursive: true });
    writeFileSync(leftover, '{}');
    writeFileSync(path.join(root, 'sb', '.meta', 's1.mp4.json'), '{}');
    hoursAgo(leftover, 4);
    hoursAgo(path.join(root, 'sb', '.meta', 's1.mp4.json'), 4);
    expect((await storage.sweepStaleWrites(STALE_WRITE_AGE_MS)).examples).toEqual([path.join('sb', '.meta', path.basename(leftover))]);
    expect(await readdir(path.join(root, 'sb', '.meta'))).toEqual(['s1.mp4.json']);
  });

  test('the start-up sweep of the process storage logs what it removed and never throws', async () => {
    const leftover = path.join(root, 'sb', 's1.mp4.partial-0d6e9a52-3f0c-4a8e-9c1b-2b7f5e4d3c21');
    mkdirSync(path.dirname(leftover), { recursive: true });
    writeFileSync(leftover, 'x');
    hoursAgo(leftover, 4);
    const logs: string[] = [];
    const log = { info: (m: string) => logs.push(`info ${m}`), warn: (m: string) => logs.push(`warn ${m}`) };
    const config = { STORAGE_URL: `file://${root}`, AWS_REGION: 'us-east-1' };
    expect((await sweepStaleWrites(createStorage(config), log))?.removed).toBe(1);
    expect(existsSync(leftover)).toBe(false);
    expect(logs).toEqual(['info removed leftovers of interrupted writes']);
    // A storage that does not exist yet: nothing to do, nothing thrown.
    expect((await sweepStaleWrites(createStorage({ ...config, STORAGE_URL: `file://${tmp}/none` }), log))?.removed).toBe(0);
    // A backend whose sweep fails outright: a warning naming the storage, nothing thrown.
    const failing = { sweepStaleWrites: () => Promise.reject(new Error('EACCES')) } as unknown as StorageBackend;
    await expect(sweepStaleWrites({ storage: failing, url: 'file:///locked' }, log)).resolves.toBeUndefined();
    expect(logs[logs.length - 1]).toBe('warn could not sweep leftovers of interrupted writes');
  });
});

describe('only regular files are read', () => {
  test('a FIFO or a directory at a key is refused at once, never waited on', async () => {
    mkdirSync(path.join(root, 'sb', 'dir.json'), { recursive: true });
    execFileSync('mkfifo', [path.join(root, 'sb', 'manifest.json')]);
    await expect(storage.readText('sb/manifest.json')).rejects.toThrow(/not a regular file/);
    await expect(storage.readBytes('sb/manifest.json', 1000)).rejects.toThrow(/not a regular file/);
    expect(await storage.stat('sb/manifest.json')).toBeNull();
    await expect(storage.readText('sb/dir.json')).rejects.toMatchObject({ code: 'EISDIR' });
  }, 5000);

  test('readBytes refuses more than it may read', async () => {
    await storage.writeText('inputs/a.png', 'x'.repeat(100), 'image/png');
    expect((await storage.readBytes('inputs/a.png', 100)).length).toBe(100);
    await expect(storage.readBytes('inputs/a.png', 99)).rejects.toThrow(/limit/);
  });
});

describe('metadata lives in a hidden .meta/ folder', () => {
  test('an upload writes <dir>/.meta/<name>.json, and stat reads it', async () => {
    await storage.upload('sb/thumbs/s1.jpg', video(), { contentType: 'image/jpeg', metadata: { 'video-sha256': 'abc' } });
    expect(readFileSync(path.join(root, 'sb', 'thumbs', '.meta', 's1.jpg.json'), 'utf8')).toBe('{"video-sha256":"abc"}');
    expect((await readdir(path.join(root, 'sb', 'thumbs'))).sort()).toEqual(['.meta', 's1.jpg']);
    expect(await storage.stat('sb/thumbs/s1.jpg')).toEqual({ bytes: 11, metadata: { 'video-sha256': 'abc' } });
    // A key at the root of the storage has its metadata at the root's .meta/.
    await storage.upload('top.mp4', video(), { contentType: 'video/mp4', metadata: { k: 'v' } });
    expect(existsSync(path.join(root, '.meta', 'top.mp4.json'))).toBe(true);
  });

  test('a folder written before .meta/ is still read: <key>.metadata.json beside the object', async () => {
    mkdirSync(path.join(root, 'old'));
    writeFileSync(path.join(root, 'old', 's1.mp4'), 'video bytes');
    writeFileSync(path.join(root, 'old', 's1.mp4.metadata.json'), '{"task-id":"cgt-old"}');
    expect(await storage.stat('old/s1.mp4')).toEqual({ bytes: 11, metadata: { 'task-id': 'cgt-old' } });
  });

  test('uploading over an old-layout object moves its metadata into .meta/', async () => {
    mkdirSync(path.join(root, 'old'));
    writeFileSync(path.join(root, 'old', 's1.jpg'), 'x');
    writeFileSync(path.join(root, 'old', 's1.jpg.metadata.json'), '{"video-sha256":"stale"}');
    await storage.upload('old/s1.jpg', video(), { contentType: 'image/jpeg', metadata: { 'video-sha256': 'new' } });
    expect((await readdir(path.join(root, 'old'))).sort()).toEqual(['.meta', 's1.jpg']);
    expect((await storage.stat('old/s1.jpg'))?.metadata).toEqual({ 'video-sha256': 'new' });
  });

  test('a .meta folder that is a link out of the root is refused like any other', async () => {
    mkdirSync(path.join(root, 'sb'));
    symlinkSync(outside, path.join(root, 'sb', '.meta'));
    await expect(storage.upload('sb/s1.mp4', video(), { contentType: 'video/mp4', metadata: {} })).rejects.toThrow(/outside/);
    expect((await readdir(outside)).sort()).toEqual(['secret.txt']);
  });
});

describe('openRead streams an object back', () => {
  test('the whole object, as a stream', async () => {
    await storage.upload('sb/s1.mp4', video(), { contentType: 'video/mp4', metadata: {} });
    expect((await readAll(await storage.openRead('sb/s1.mp4'))).toString()).toBe('video bytes');
    expect((await readAll(await storage.openRead('sb/s1.mp4', { maxBytes: 11 }))).toString()).toBe('video bytes');
  });

  test('a missing object or folder rejects as missing', async () => {
    const missing = await storage.openRead('sb/none.mp4').catch((err: unknown) => err);
    expect(isObjectMissing(missing)).toBe(true);
    await storage.writeText('sb/manifest.json', '{}', 'application/json');
    expect(isObjectMissing(await storage.openRead('sb/none.mp4').catch((err: unknown) => err))).toBe(true);
  });

  test('an object over maxBytes is refused before a byte is read', async () => {
    await storage.writeText('sb/big.mp4', 'x'.repeat(100), 'video/mp4');
    await expect(storage.openRead('sb/big.mp4', { maxBytes: 99 })).rejects.toBeInstanceOf(ObjectTooLargeError);
  });

  test('a FIFO at a key is refused at once', async () => {
    mkdirSync(path.join(root, 'sb'));
    execFileSync('mkfifo', [path.join(root, 'sb', 'pipe.mp4')]);
    await expect(storage.openRead('sb/pipe.mp4')).rejects.toThrow(/not a regular file/);
  }, 5000);

  test('an aborted read stops the stream', async () => {
    await storage.writeText('sb/s1.mp4', 'x'.repeat(1000), 'video/mp4');
    const controller = new AbortController();
    const stream = await storage.openRead('sb/s1.mp4', { signal: controller.signal });
    controller.abort();
    await expect(readAll(stream)).rejects.toMatchObject({ name: 'AbortError' });
    controller.abort();
    await expect(storage.openRead('sb/s1.mp4', { signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
  });
});
