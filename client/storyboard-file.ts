/**
 * Storyboard files: read (YAML or JSON), validate every rule at once with paths, check local
 * images, and stage the shots into storage as pages the workflow reads one at a time.
 *
 * A storyboard file is input from people and is read as such: at most MAX_STORYBOARD_BYTES,
 * regular files only, nesting, YAML aliases and the size after aliases bounded, duplicate
 * keys reported (JSON and YAML alike), and every image checked by its header, at most
 * IMAGE_CHECK_CONCURRENCY at once, keeping no bytes. Image paths stay inside the storyboard's
 * folder (after symbolic links are resolved) unless the caller allows otherwise.
 */
import { createHash } from 'node:crypto';
import { realpath } from 'node:fs/promises';
import path from 'node:path';
import {
  Composer,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  Parser,
  YAMLParseError,
  type Document,
  type Node as YamlNode,
} from 'yaml';
import type { StorageBackend } from '../storage/backend';
import {
  clip,
  normalizeHttpUrl,
  problemPath,
  ProblemList,
  STAGE_PAGE_SIZE,
  storyboardKeys,
  toShotInput,
  validateStoryboard,
  type FileImage,
  type ParsedStoryboard,
  type StagedShot,
  type StoryboardProblem,
} from '../common/storyboard';
import { formatBytes, LocalFileError, readBoundedFile } from '../storage/local-file';
import { checkImageFile, ImageError, stageImage } from './stage';

/** A storyboard file is at most this large (a 100,000-shot storyboard is about 7 MiB of YAML). */
export const MAX_STORYBOARD_BYTES = 10 * 1024 * 1024;
/** Maps and lists nest at most this deep (a storyboard needs 5). */
export const MAX_NESTING = 64;
/** One YAML anchor may be used at most this many times (the yaml library's own default is 100). */
export const MAX_YAML_ALIAS_COUNT = 1000;
/**
 * The document after YAML aliases are expanded is at most this large, counted as the
 * characters of its strings and keys plus 8 per value: aliases may not multiply a small file
 * into a huge storyboard (a 2 MB id used 100 times would be 200 MB of shots).
 */
export const MAX_EXPANDED_SIZE = 64 * 1024 * 1024;
/** Local images checked at the same time while validating. */
export const IMAGE_CHECK_CONCURRENCY = 8;
/** Local images staged at the same time. */
export const IMAGE_STAGE_CONCURRENCY = 4;
/** The flag that lets image paths leave the storyboard's folder. */
export const ALLOW_IMAGES_OUTSIDE_FLAG = '--allow-images-outside';

export interface CheckOptions {
  /** Accept image paths that resolve (after symbolic links) outside the storyboard's folder. */
  allowImagesOutside?: boolean;
}

export interface CheckedStoryboard {
  file: string;
  storyboard?: ParsedStoryboard;
  problems: StoryboardProblem[];
  /** Local image paths as written → the real file staged for each. */
  images?: Map<string, string>;
}

export interface ParsedText {
  doc?: unknown;
  problems: StoryboardProblem[];
}

/**
 * Parses YAML or JSON (by extension; unknown extensions try JSON, then YAML). Problems are
 * returned, never thrown: syntax errors, duplicate keys with their paths, nesting deeper than
 * MAX_NESTING, too many alias uses, a document too large once aliases are expanded.
 */
export function parseStoryboardText(text: string, file: string): ParsedText {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json') return withSizeCheck(parseJson(body));
  if (ext !== '.yaml' && ext !== '.yml') {
    const json = parseJson(body);
    if (json.doc !== undefined || json.problems.some((p) => p.path !== '' || /nested deeper/.test(p.message))) return withSizeCheck(json);
    // otherwise: not JSON; YAML is a superset, try it
  }
  return withSizeCheck(parseYamlText(body));
}

function withSizeCheck(parsed: ParsedText): ParsedText {
  if (parsed.doc === undefined) return parsed;
  const problem = checkExpanded(parsed.doc);
  return problem ? { problems: [...parsed.problems, problem] } : parsed;
}

// ----- JSON -----

type JsonFrame = { obj: true; keys: Set<string>; key: string | undefined; expectKey: boolean } | { obj: false; index: number };

function jsonPath(stack: JsonFrame[], upTo = stack.length): (string | number)[] {
  const out: (string | number)[] = [];
  for (let i = 0; i < upTo; i++) {
    const f = stack[i] as JsonFrame;
    if (f.obj) {
      if (f.key !== undefined) out.push(f.key);
    } else out.push(f.index);
  }
  return out;
}

/**
 * One linear pass over JSON text that finds duplicate keys (JSON.parse keeps the last one
 * silently) and nesting deeper than MAX_NESTING (before JSON.parse builds it). On text that is
 * not valid JSON its findings do not matter: JSON.parse reports the syntax error.
 */
function scanJson(text: string, problems: ProblemList): { tooDeep: boolean } {
  const stack: JsonFrame[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      if (stack.length >= MAX_NESTING) {
        problems.add(problemPath(jsonPath(stack)), `nested deeper than ${MAX_NESTING} levels`);
        return { tooDeep: true };
      }
      stack.push(c === 0x7b ? { obj: true, keys: new Set(), key: undefined, expectKey: true } : { obj: false, index: 0 });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
      stack.pop();
    } else if (c === 0x2c /* , */) {
      const top = stack[stack.length - 1];
      if (top?.obj) top.expectKey = true;
      else if (top) top.index++;
    } else if (c === 0x3a /* : */) {
      const top = stack[stack.length - 1];
      if (top?.obj) top.expectKey = false;
    } else if (c === 0x22 /* " */) {
      let j = i + 1;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 0x5c /* \ */) j += 2;
        else if (d === 0x22) break;
        else j++;
      }
      const top = stack[stack.length - 1];
      if (top?.obj && top.expectKey) {
        let key: string;
        try {
          key = JSON.parse(text.slice(i, j + 1)) as string;
        } catch {
          key = text.slice(i + 1, j);
        }
        if (top.keys.has(key)) {
          const at = [...jsonPath(stack, stack.length - 1), key];
          problems.add(problemPath(at), `duplicate key ${JSON.stringify(clip(key, 60))}: JSON would silently keep only the last one`);
        } else top.keys.add(key);
        top.key = key;
      }
      i = j;
    }
  }
  return { tooDeep: false };
}

function parseJson(text: string): ParsedText {
  const problems = new ProblemList(100);
  if (scanJson(text, problems).tooDeep) return { problems: problems.list() };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { problems: [{ path: '', message: `not valid JSON: ${clip((err as Error).message, 200)}` }] };
  }
  return { doc, problems: problems.list() };
}

// ----- YAML -----

class TooDeep extends Error {}

/**
 * The yaml library's parseDocument, with the nesting bounded while the text is read: its
 * lexer is a state machine, but its parser keeps a stack of open nodes and its composer
 * recurses, so a million `[` would take gigabytes before failing.
 */
function parseYamlDocument(text: string, lineCounter: LineCounter): Document.Parsed {
  const parser = new Parser(lineCounter.addNewLine);
  const composer = new Composer({ uniqueKeys: true, prettyErrors: false, logLevel: 'silent', version: '1.2' });
  function* tokens() {
    lineCounter.addNewLine(0);
    for (const lexeme of new Lexer().lex(text)) {
      yield* parser.next(lexeme);
      // document + its value: two entries before the first level of nesting
      if (parser.stack.length > MAX_NESTING + 2) throw new TooDeep();
    }
    yield* parser.end();
  }
  let doc: Document.Parsed | undefined;
  for (const d of composer.compose(tokens(), true, text.length)) {
    if (!doc) doc = d;
    else {
      doc.errors.push(
        new YAMLParseError(d.range.slice(0, 2) as [number, number], 'MULTIPLE_DOCS', 'the file holds more than one YAML document (---)'),
      );
      break;
    }
  }
  return doc as Document.Parsed;
}

function at(lineCounter: LineCounter, offset: number | undefined): string {
  if (offset === undefined) return '';
  const { line, col } = lineCounter.linePos(offset);
  return ` (line ${line}, column ${col})`;
}

function parseYamlText(text: string): ParsedText {
  const lineCounter = new LineCounter();
  let doc: Document.Parsed;
  try {
    doc = parseYamlDocument(text, lineCounter);
  } catch (err) {
    if (err instanceof TooDeep)
      return { problems: [{ path: '', message: `not a usable storyboard: maps and lists nested deeper than ${MAX_NESTING} levels` }] };
    if (err instanceof RangeError) return { problems: [{ path: '', message: 'not a usable storyboard: nested too deeply to read' }] };
    throw err;
  }
  const problems = new ProblemList(100);
  findYamlDuplicates(doc, lineCounter, problems);
  for (const e of doc.errors) {
    if (e.code === 'DUPLICATE_KEY') {
      if (problems.count === 0) problems.add('', `${e.message}${at(lineCounter, e.pos[0])}`);
      continue;
    }
    problems.add('', `not valid YAML: ${clip(e.message, 200)}${at(lineCounter, e.pos[0])}`);
  }
  if (doc.errors.some((e) => e.code !== 'DUPLICATE_KEY')) return { problems: problems.list() };
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_YAML_ALIAS_COUNT });
  } catch (err) {
    const message = (err as Error).message;
    if (/alias count/i.test(message)) {
      problems.add(
        '',
        `a YAML anchor is used through aliases (*name) more than ${MAX_YAML_ALIAS_COUNT} times (counting aliases inside aliases); use defaults for what every shot shares`,
      );
    } else {
      problems.add('', `not a usable storyboard: ${clip(message, 200)}`);
    }
    return { problems: problems.list() };
  }
  return { doc: value, problems: problems.list() };
}

/** Duplicate keys with their paths: every map of the document once (aliases are not followed). */
function findYamlDuplicates(doc: Document.Parsed, lineCounter: LineCounter, problems: ProblemList): void {
  const stack: Array<{ node: unknown; path: (string | number)[] }> = [{ node: doc.contents, path: [] }];
  while (stack.length) {
    const { node, path: p } = stack.pop() as { node: unknown; path: (string | number)[] };
    if (isAlias(node) || isScalar(node) || !node) continue;
    if (isSeq(node)) {
      node.items.forEach((item, i) => stack.push({ node: item, path: [...p, i] }));
    } else if (isMap(node)) {
      const seen = new Set<string>();
      for (const pair of node.items) {
        const k = pair.key as YamlNode | null;
        const key = isScalar(k) ? String(k.value ?? '') : k ? String(k) : '';
        if (seen.has(key)) {
          problems.add(
            problemPath([...p, key]),
            `duplicate key ${JSON.stringify(clip(key, 60))}${at(lineCounter, k?.range?.[0])}: give each key once`,
          );
        } else seen.add(key);
        stack.push({ node: pair.value, path: [...p, key] });
      }
    }
  }
}

// ----- after parsing -----

/**
 * Walks the parsed value (aliases expanded) within MAX_EXPANDED_SIZE and MAX_NESTING, and
 * refuses values a storyboard cannot hold (YAML's !!set, !!binary, dates...). Also ends
 * on a YAML alias that contains itself (it nests without end).
 */
function checkExpanded(doc: unknown): StoryboardProblem | undefined {
  type Entry = { value: unknown; depth: number; parent?: Entry; seg?: string | number };
  const pathOf = (e: Entry) => {
    const segs: (string | number)[] = [];
    for (let x: Entry | undefined = e; x && x.seg !== undefined; x = x.parent) segs.push(x.seg);
    return problemPath(segs.reverse());
  };
  let size = 0;
  const stack: Entry[] = [{ value: doc, depth: 0 }];
  while (stack.length) {
    const e = stack.pop() as Entry;
    const v = e.value;
    size += 8;
    if (typeof v === 'string') size += v.length;
    if (size > MAX_EXPANDED_SIZE) {
      return {
        path: '',
        message: `over ${formatBytes(MAX_EXPANDED_SIZE)} once YAML aliases are expanded; write the storyboard out, or use defaults`,
      };
    }
    if (v === null || typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') continue;
    if (e.depth >= MAX_NESTING)
      return { path: pathOf(e), message: `nested deeper than ${MAX_NESTING} levels (or a YAML alias that contains itself)` };
    if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push({ value: v[i], depth: e.depth + 1, parent: e, seg: i });
      continue;
    }
    const proto = typeof v === 'object' ? (Object.getPrototypeOf(v) as unknown) : undefined;
    if (typeof v === 'object' && (proto === Object.prototype || proto === null)) {
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) {
        const k = keys[i] as string;
        size += k.length;
        stack.push({ value: (v as Record<string, unknown>)[k], depth: e.depth + 1, parent: e, seg: k });
      }
      continue;
    }
    return {
      path: pathOf(e),
      message: `a storyboard holds mappings, lists, strings, numbers, booleans and null, not ${v instanceof Date ? 'a date' : `a ${(v as object)?.constructor?.name ?? typeof v}`} (YAML tags like !!set, !!binary, !!timestamp are not used)`,
    };
  }
  return undefined;
}

/** Runs `fn` over `items`, at most `limit` at a time. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i] as T, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

function isInside(dir: string, file: string): boolean {
  const rel = path.relative(dir, file);
  return rel === '' || (!rel.startsWith(`..${path.sep}`) && rel !== '..' && !path.isAbsolute(rel));
}

/** The real file an image path names, or why it may not be used. */
async function resolveImage(
  baseDir: string,
  realBase: string,
  written: string,
  options: CheckOptions,
): Promise<{ real: string } | { problem: string }> {
  const abs = path.resolve(baseDir, written);
  let real: string;
  try {
    real = await realpath(abs);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    return {
      problem: `cannot read (${code === 'ENOENT' || code === 'ENOTDIR' ? `${code}: no such file` : (code ?? (err as Error).message)})`,
    };
  }
  if (!options.allowImagesOutside && !isInside(realBase, real)) {
    return {
      problem: `resolves to ${clip(real, 200)}, outside the storyboard's folder ${clip(realBase, 200)}; move it there, or pass ${ALLOW_IMAGES_OUTSIDE_FLAG} to allow it`,
    };
  }
  return { real };
}

/** Every problem in a storyboard file, including unreadable or invalid local images. */
export async function checkStoryboardFile(file: string, options: CheckOptions = {}): Promise<CheckedStoryboard> {
  let text: string;
  try {
    text = (await readBoundedFile(file, MAX_STORYBOARD_BYTES, "the storyboard's")).toString('utf8');
  } catch (err) {
    const message = err instanceof LocalFileError ? err.reason : `cannot read: ${(err as Error).message}`;
    return { file, problems: [{ path: '', message }] };
  }
  const parsed = parseStoryboardText(text, file);
  if (parsed.doc === undefined) return { file, problems: parsed.problems };
  const { storyboard, problems } = validateStoryboard(parsed.doc);
  if (parsed.problems.length) return { file, problems: [...parsed.problems, ...problems] };
  if (!storyboard) return { file, problems };

  const baseDir = path.dirname(path.resolve(file));
  let realBase: string;
  try {
    realBase = await realpath(baseDir);
  } catch (err) {
    return { file, problems: [{ path: '', message: `cannot resolve the storyboard's folder: ${(err as Error).message}` }] };
  }
  // Each distinct path as written is resolved once, each distinct real file checked once.
  const written = [...new Set(storyboard.shots.flatMap((s) => (s.images ?? []).flatMap((img) => (img.path ? [img.path] : []))))];
  const checkedReal = new Map<string, Promise<string | undefined>>();
  const outcome = new Map<string, { real?: string; problem?: string }>();
  await mapLimit(written, IMAGE_CHECK_CONCURRENCY, async (p) => {
    const resolved = await resolveImage(baseDir, realBase, p, options);
    if ('problem' in resolved) return void outcome.set(p, { problem: resolved.problem });
    let check = checkedReal.get(resolved.real);
    if (!check) {
      check = checkImageFile(resolved.real).then(
        () => undefined,
        (e: Error) =>
          e instanceof ImageError && e.message.startsWith(`${resolved.real}: `) ? e.message.slice(resolved.real.length + 2) : e.message,
      );
      checkedReal.set(resolved.real, check);
    }
    const problem = await check;
    outcome.set(p, problem ? { problem } : { real: resolved.real });
  });

  const imageProblems: StoryboardProblem[] = [];
  storyboard.shots.forEach((shot, i) =>
    (shot.images ?? []).forEach((img, j) => {
      const problem = img.path ? outcome.get(img.path)?.problem : undefined;
      if (problem) imageProblems.push({ path: `shots[${i}].images[${j}].path`, message: `${clip(img.path as string, 200)}: ${problem}` });
    }),
  );
  if (imageProblems.length) {
    const list = new ProblemList();
    for (const p of imageProblems) list.add(p.path, p.message);
    return { file, problems: list.list() };
  }
  const images = new Map<string, string>();
  for (const [p, o] of outcome) if (o.real) images.set(p, o.real);
  return { file, storyboard, problems: [], images };
}

export interface StagedStoryboard {
  storyboardId: string;
  stagedPrefix: string;
  totalShots: number;
}

/**
 * Uploads local images (content-addressed) and writes the shots as pages under a prefix
 * named by their content, so a storyboard that is running keeps reading the pages it began
 * with even if the file is staged again.
 */
export async function stageStoryboard(storage: StorageBackend, checked: CheckedStoryboard): Promise<StagedStoryboard> {
  const storyboard = checked.storyboard;
  if (!storyboard || checked.problems.length) throw new ImageError('cannot stage an invalid storyboard');
  const baseDir = path.dirname(path.resolve(checked.file));
  // The real files validation resolved (inside the folder unless allowed); the rest by path.
  const realOf = (p: string) => checked.images?.get(p) ?? path.resolve(baseDir, p);
  const reals = [...new Set(storyboard.shots.flatMap((s) => (s.images ?? []).flatMap((img) => (img.path ? [realOf(img.path)] : []))))];
  const refs = new Map<string, string>();
  const validated = new Set(checked.images?.values() ?? []);
  await mapLimit(reals, IMAGE_STAGE_CONCURRENCY, async (real) => {
    // What was validated is what is staged: a path turned into a symbolic link since is refused.
    if (validated.has(real) && (await realpath(real).catch(() => undefined)) !== real) {
      throw new ImageError(`${real}: changed since it was validated (it is now a symbolic link or gone); validate again`);
    }
    refs.set(real, await stageImage(storage, real));
  });
  const refOf = (img: FileImage): string => {
    if (img.url) {
      const url = normalizeHttpUrl(img.url);
      if (!url.ok) throw new ImageError(url.problem);
      return url.url;
    }
    return refs.get(realOf(img.path as string)) as string;
  };
  const staged: StagedShot[] = storyboard.shots.map((shot) => ({ id: shot.id, shot: toShotInput(shot, refOf) }));
  // The same digest as sha256(JSON.stringify(staged)), without building that string whole.
  const hash = createHash('sha256').update('[');
  staged.forEach((s, i) => hash.update(`${i ? ',' : ''}${JSON.stringify(s)}`));
  const digest = hash.update(']').digest('hex').slice(0, 16);
  const stagedPrefix = `${storyboard.id}/.state/input-${digest}`;
  for (let page = 0; page * STAGE_PAGE_SIZE < staged.length; page++) {
    const slice = staged.slice(page * STAGE_PAGE_SIZE, (page + 1) * STAGE_PAGE_SIZE);
    await storage.writeText(storyboardKeys.stagedPage(stagedPrefix, page), JSON.stringify(slice), 'application/json');
  }
  const result = { storyboardId: storyboard.id, stagedPrefix, totalShots: staged.length };
  await storage.writeText(
    stagedRecordKey(storyboard.id),
    JSON.stringify({ ...result, stagedAt: new Date().toISOString() }),
    'application/json',
  );
  return result;
}

/** The last staging of a storyboard, so `retry` can run it again without the file. */
export function stagedRecordKey(storyboardId: string): string {
  return `${storyboardId}/.state/staged.json`;
}

export async function readStagedRecord(storage: StorageBackend, storyboardId: string): Promise<StagedStoryboard | null> {
  const text = await storage.readText(stagedRecordKey(storyboardId));
  return text ? (JSON.parse(text) as StagedStoryboard) : null;
}
