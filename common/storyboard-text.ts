/**
 * Storyboard text (YAML or JSON) read as input from people: parsed with every problem
 * returned, never thrown, and bounded — nesting, YAML alias use and the size after aliases
 * are capped and duplicate keys reported (JSON and YAML alike). Shared by the CLI (a local
 * file) and the worker (a file in storage): both read the same rules from here.
 * No I/O; not imported by workflows (it needs the yaml library).
 */
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
import { formatBytes } from './byte-sizes';
import { clip, problemPath, ProblemList, type StoryboardProblem } from './storyboard';

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
  const ext = extensionOf(file);
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

/** `.yaml` of `dir/board.YAML`, as node's posix `path.extname` gives it, in lower case. */
function extensionOf(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  const dot = base.lastIndexOf('.');
  return dot > 0 ? base.slice(dot).toLowerCase() : '';
}
