/**
 * Text from providers and files, made safe to print: everything the CLI prints that it did
 * not write itself (ids, statuses, failure messages, problem messages, URLs) goes through
 * {@link terminalText} for people and {@link boundedJson} for `--json`.
 *
 * A terminal obeys what it is sent: an ANSI escape in a provider's message can recolour,
 * move the cursor, retitle the window or rewrite earlier lines; `\r` overwrites the line;
 * a 2 MB id repeated by YAML aliases printed 207 MB.
 */

/** Longest text printed for one field, in characters (code points). */
export const TERMINAL_TEXT_MAX = 500;
/** Longest string value in `--json` output, in characters; longer ones are cut, with a marker. */
export const JSON_STRING_MAX = 4096;

// ESC-introduced sequences: CSI (ESC [ ... final), OSC / DCS / SOS / PM / APC (up to BEL or ST,
// or the end of the text), and two-character escapes. Then the 8-bit forms (C1 CSI, OSC...).
// Each pattern is linear: character classes with no nested repetition.
const ESCAPE_SEQUENCES =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /\x1b\[[0-?]*[ -/]*[@-~]?|\x1b[\]PX^_][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?|\x1b[ -/]*[0-~]?|\x9b[0-?]*[ -/]*[@-~]?|[\x90\x98\x9d-\x9f][^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?/g;
// Whatever control is left: C0 (including \r, \n, \t, backspace, BEL), DEL, C1, and the
// Unicode format characters that reorder or hide text (bidi overrides, isolates, zero-width).
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROLS = /[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * One line of printable text: escape sequences removed, every other control character
 * replaced by a space, at most `max` characters (then `…[cut: N chars]`).
 */
export function terminalText(value: unknown, max = TERMINAL_TEXT_MAX): string {
  const text = value === undefined || value === null ? '' : String(value);
  // Cut before cleaning, so a huge input costs a bounded amount of work. 4× leaves room for
  // the escape sequences the cleaning removes.
  const head = text.length > max * 4 + 64 ? text.slice(0, max * 4 + 64) : text;
  const clean = head.replace(ESCAPE_SEQUENCES, '').replace(CONTROLS, ' ');
  return truncate(clean, max, head.length < text.length ? text.length : clean.length);
}

/** Longest multi-line text printed at once (an error message with its details), in characters. */
export const TERMINAL_BLOCK_MAX = 4000;

/**
 * Like {@link terminalText}, but keeps line breaks: each line is cleaned and cut on its own,
 * and the whole is at most `max` characters. For error messages that list their problems.
 */
export function terminalBlock(value: unknown, max = TERMINAL_BLOCK_MAX): string {
  const text = value === undefined || value === null ? '' : String(value);
  const head = text.length > max * 4 + 64 ? text.slice(0, max * 4 + 64) : text;
  const joined = head
    .split(/\r?\n/)
    .map((line) => terminalText(line))
    .join('\n');
  return truncate(joined, max, head.length < text.length ? text.length : joined.length);
}

/**
 * `text` cut to `max` code points (never half a surrogate pair); a cut text ends in
 * `…[cut: N chars]`, N the length of the original (`originalLength`, when `text` was already
 * shortened).
 */
function truncate(text: string, max: number, originalLength = text.length): string {
  if (text.length <= max && originalLength <= text.length) return text;
  const chars = Array.from(text);
  if (chars.length <= max && originalLength <= text.length) return text;
  return `${chars.slice(0, max).join('')}…[cut: ${originalLength} chars]`;
}

// Characters JSON.stringify leaves raw that a terminal may act on (C1 controls, DEL) or that
// reorder text. Outside strings JSON output is ASCII, so escaping them is always valid JSON.
const JSON_UNSAFE = /[\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/**
 * `JSON.stringify(value)` for `--json`: complete and valid, every string value at most
 * {@link JSON_STRING_MAX} characters (cut ones end in `…[cut: N chars]`), and no raw character a
 * terminal would act on (C0 controls are escaped by JSON itself; C1, DEL and bidi controls
 * here, as `\uXXXX`).
 */
export function boundedJson(value: unknown, maxString = JSON_STRING_MAX): string {
  const json = JSON.stringify(value, (_key, v: unknown) => (typeof v === 'string' && v.length > maxString ? truncate(v, maxString) : v));
  return json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
