/**
 * The price file (SEEDANCE_PRICES_FILE) read from disk: JSON or YAML, bounded, validated with
 * common/prices.ts's schema; every problem names the file and the path inside it.
 */
import { readFile, stat } from 'node:fs/promises';
import YAML from 'yaml';
import { ConfigError, type Config } from '../common/config';
import { PriceTableSchema, type PriceTable } from '../common/prices';
import { formatIssuePath } from '../common/shot';

/** A price file is small: a line per model. */
export const MAX_PRICE_FILE_BYTES = 1024 * 1024;

/** The price table SEEDANCE_PRICES_FILE names, with its path; undefined when it is unset. */
export async function loadPrices(config: Pick<Config, 'SEEDANCE_PRICES_FILE'>): Promise<{ table: PriceTable; path: string } | undefined> {
  const file = config.SEEDANCE_PRICES_FILE;
  if (!file) return undefined;
  const problem = (message: string) => new ConfigError([`SEEDANCE_PRICES_FILE (${file}): ${message}`]);
  let text: string;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw problem('not a regular file');
    if (info.size > MAX_PRICE_FILE_BYTES) throw problem(`${info.size} bytes, over the ${MAX_PRICE_FILE_BYTES}-byte limit`);
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof ConfigError) throw err;
    throw problem(`cannot be read: ${(err as Error).message}`);
  }
  let doc: unknown;
  try {
    doc = /\.json$/i.test(file) ? JSON.parse(text) : YAML.parse(text, { maxAliasCount: 100 });
  } catch (err) {
    throw problem(`not valid ${/\.json$/i.test(file) ? 'JSON' : 'YAML'}: ${(err as Error).message.split('\n')[0]}`);
  }
  const parsed = PriceTableSchema.safeParse(doc);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((i) => `SEEDANCE_PRICES_FILE (${file}): ${i.path.length ? `${formatIssuePath(i.path)}: ` : ''}${i.message}`),
    );
  }
  return { table: parsed.data, path: file };
}
