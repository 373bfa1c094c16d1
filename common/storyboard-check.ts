/**
 * A storyboard's text checked whole: parsed (common/storyboard-text.ts), validated
 * (validateStoryboard) and its local images resolved and checked, every problem with its
 * path. Where images live is the caller's: the CLI resolves paths on the local disk
 * (client/storyboard-file.ts), the worker resolves them as keys in its storage
 * (activities/storyboard/source.ts); both go through this one pipeline, so a file is judged
 * the same wherever it is handed over. No I/O of its own.
 */
import type { MediaKind } from './media-header';
import { clip, ProblemList, validateStoryboard, type FileShot, type ParsedStoryboard, type StoryboardProblem } from './storyboard';
import { parseStoryboardText } from './storyboard-text';

/** Local images checked at the same time while validating. */
export const IMAGE_CHECK_CONCURRENCY = 8;

/** What a file a storyboard names by path must be: an image, or a reference video or audio clip. */
export type FileKind = 'image' | MediaKind;

/** The lists of a shot that name files, with what each holds. */
const FILE_LISTS = [
  ['images', 'image'],
  ['videos', 'video'],
  ['audios', 'audio'],
] as const satisfies ReadonlyArray<readonly [keyof FileShot, FileKind]>;

/** Every file a shot names by path: its list, index, kind and path as written. */
export function shotFiles(shot: FileShot): Array<{ key: (typeof FILE_LISTS)[number][0]; index: number; kind: FileKind; path: string }> {
  return FILE_LISTS.flatMap(([key, kind]) =>
    (shot[key] ?? []).flatMap((item, index) => (item.path !== undefined ? [{ key, index, kind, path: item.path }] : [])),
  );
}

/** How one place (a disk, a storage) finds and checks the images, videos and audio a storyboard names by path. */
export interface ImageResolver {
  /**
   * Where an image path as written leads: an `id` (a real file, a storage key) that is
   * checked once however many paths lead there, or why the path may not be used.
   */
  resolve(written: string): Promise<{ id: string } | { problem: string }>;
  /** Why the file `id` is unusable as a `kind` (not an image, not a video, too large, ...), or undefined when it is fine. */
  check(id: string, kind: FileKind): Promise<string | undefined>;
}

/**
 * The resolver for a valid storyboard, or one problem that stops the check (the file's folder
 * cannot be resolved, the storyboard is not the one asked for); `path` defaults to the whole file.
 */
export type ImageResolverFactory = (storyboard: ParsedStoryboard) => Promise<ImageResolver | { path?: string; problem: string }>;

export interface CheckedText {
  storyboard?: ParsedStoryboard;
  problems: StoryboardProblem[];
  /** File paths as written (images, videos, audio) → the id each resolved to (when there are no problems). */
  images?: Map<string, string>;
}

/**
 * Every problem of a storyboard given as text: syntax, rules, then its images. `name` gives
 * the format by its extension (`.json`, `.yaml`; others try JSON, then YAML). `images` is
 * asked for only once the document is valid (see {@link ImageResolverFactory}).
 */
export async function checkStoryboardText(text: string, name: string, images: ImageResolverFactory): Promise<CheckedText> {
  const parsed = parseStoryboardText(text, name);
  if (parsed.doc === undefined) return { problems: parsed.problems };
  return checkStoryboardDocument(parsed.doc, images, parsed.problems);
}

/**
 * {@link checkStoryboardText} for a document already parsed (an inline storyboard): the
 * same rules and image checks; `earlier` are problems found while parsing.
 */
export async function checkStoryboardDocument(
  doc: unknown,
  images: ImageResolverFactory,
  earlier: StoryboardProblem[] = [],
): Promise<CheckedText> {
  const { storyboard, problems } = validateStoryboard(doc);
  if (earlier.length) return { problems: [...earlier, ...problems] };
  if (!storyboard) return { problems };
  const resolver = await images(storyboard);
  if ('problem' in resolver) return { problems: [{ path: resolver.path ?? '', message: resolver.problem }] };

  // Each distinct path as written (and kind) is resolved once, each distinct id checked once per kind.
  const label = (kind: FileKind, p: string) => `${kind}\u0000${p}`;
  const written = new Map<string, { kind: FileKind; path: string }>();
  for (const shot of storyboard.shots) for (const f of shotFiles(shot)) written.set(label(f.kind, f.path), f);
  const checked = new Map<string, Promise<string | undefined>>();
  const outcome = new Map<string, { id?: string; problem?: string }>();
  await mapLimit([...written], IMAGE_CHECK_CONCURRENCY, async ([at, { kind, path: p }]) => {
    const resolved = await resolver.resolve(p);
    if ('problem' in resolved) return void outcome.set(at, { problem: resolved.problem });
    let check = checked.get(label(kind, resolved.id));
    if (!check) {
      check = resolver.check(resolved.id, kind);
      checked.set(label(kind, resolved.id), check);
    }
    const problem = await check;
    outcome.set(at, problem ? { problem } : { id: resolved.id });
  });

  const list = new ProblemList();
  storyboard.shots.forEach((shot, i) =>
    shotFiles(shot).forEach((f) => {
      const problem = outcome.get(label(f.kind, f.path))?.problem;
      if (problem) list.add(`shots[${i}].${f.key}[${f.index}].path`, `${clip(f.path, 200)}: ${problem}`);
    }),
  );
  if (list.count) return { problems: list.list() };
  const resolved = new Map<string, string>();
  for (const [at, o] of outcome) if (o.id) resolved.set(written.get(at)?.path as string, o.id);
  return { storyboard, problems: [], images: resolved };
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
