import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdirSync, mkdtempSync, openSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { FileByteSource, LocalFileError, openRegularFile, readBoundedFile } from '../../storage/local-file';
import { parseImageHeaderFrom } from '../../common/image-header';
import { jpeg } from './craft-images';

const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-local-'));
const fifo = path.join(dir, 'fifo');
execFileSync('mkfifo', [fifo]);

afterAll(() => {
  // Should anything have opened the FIFO for reading, a writer that comes and goes ends its wait.
  try {
    closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
  } catch {
    // no reader: nothing waits
  }
  rmSync(dir, { recursive: true, force: true });
});

/** Fails instead of hanging: the old reader blocked forever on a FIFO. */
function within<T>(ms: number, p: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`still running after ${ms} ms`)), ms))),
  ]).finally(() => clearTimeout(timer));
}

const problemOf = async (p: Promise<unknown>) => {
  try {
    await p;
    return 'read';
  } catch (err) {
    return err instanceof LocalFileError ? `${err.problem}: ${err.reason}` : `other: ${(err as Error).message}`;
  }
};

describe('bounded local reads: regular files only, never past the limit', () => {
  test('a regular file under the limit is read whole', async () => {
    writeFileSync(path.join(dir, 'a.txt'), 'hello');
    expect((await readBoundedFile(path.join(dir, 'a.txt'), 5)).toString()).toBe('hello');
  });

  test('a file over the limit is refused before it is read', async () => {
    writeFileSync(path.join(dir, 'big.txt'), 'x'.repeat(11));
    expect(await problemOf(readBoundedFile(path.join(dir, 'big.txt'), 10, 'the test'))).toBe(
      'too-large: 11 bytes, over the test 10-byte limit (10 bytes)',
    );
  });

  test('/dev/zero is refused at once (it never ends)', async () => {
    expect(await problemOf(within(2000, readBoundedFile('/dev/zero', 1024)))).toMatch(
      /^not-regular: not a regular file but a character device/,
    );
  });

  test('a FIFO is refused at once (reading one waits for a writer forever)', async () => {
    expect(await problemOf(within(2000, readBoundedFile(fifo, 1024)))).toMatch(/^not-regular: .*FIFO/);
  });

  test('a directory is refused', async () => {
    mkdirSync(path.join(dir, 'sub'), { recursive: true });
    expect(await problemOf(readBoundedFile(path.join(dir, 'sub'), 1024))).toMatch(/^not-regular: .*a directory/);
  });

  test('a missing file names the cause', async () => {
    expect(await problemOf(readBoundedFile(path.join(dir, 'nope'), 1024))).toBe('missing: cannot read (ENOENT: no such file)');
  });

  test('a file of exactly the limit is read; one byte more is refused', async () => {
    const file = path.join(dir, 'edge.txt');
    writeFileSync(file, 'x'.repeat(1000));
    expect((await readBoundedFile(file, 1000)).length).toBe(1000);
    expect(await problemOf(readBoundedFile(file, 999))).toMatch(/^too-large: 1000 bytes, over the 999-byte limit/);
    const { handle, size } = await openRegularFile(file, 1000);
    await handle.close();
    expect(size).toBe(1000);
  });

  test('a 29 MB image: its header is found reading a few KiB, not the file', async () => {
    const file = path.join(dir, 'sparse.jpg');
    writeFileSync(file, jpeg(4000, 3000, { app1Bytes: [65000, 65000] }));
    truncateSync(file, 29 * 1024 * 1024);
    const { handle, size } = await openRegularFile(file, 30 * 1024 * 1024);
    try {
      const source = new FileByteSource(handle, size);
      await source.load(0, 4096);
      let result = parseImageHeaderFrom(source);
      let loads = 1;
      while (!result.ok && 'need' in result) {
        expect(await source.load(result.need.offset, result.need.length)).toBe(true);
        loads++;
        result = parseImageHeaderFrom(source);
      }
      expect(result).toMatchObject({ ok: true, header: { width: 4000, height: 3000 } });
      expect(loads).toBeLessThanOrEqual(4);
    } finally {
      await handle.close();
    }
  });
});
