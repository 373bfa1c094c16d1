/** Test folders written in one call: name → contents, or `@/path/of/a/file` to copy one. */
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/** Writes `files` under `dir` (made, with any subfolders a name needs); returns `dir`. */
export function writeTree(dir: string, files: Record<string, string | Buffer>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    if (typeof body === 'string' && body.startsWith('@')) copyFileSync(body.slice(1), path.join(dir, name));
    else writeFileSync(path.join(dir, name), body);
  }
  return dir;
}
