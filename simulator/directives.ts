/**
 * Per-task behaviour scripted inside the prompt text, e.g.
 * `"a fox at dusk [sim:render=500] [sim:fail=QuotaExceeded]"`.
 *
 * Directives are read from the prompt and otherwise left in it: the task's prompt (and the
 * `submissionsByPrompt` key) is exactly the text the client sent.
 */
export interface TaskDirectives {
  /** `[sim:render=MS]`: time from creation to the terminal status. */
  renderMs?: number;
  /** `[sim:queue=MS]`: time spent queued. */
  queueMs?: number;
  /** `[sim:fail]` / `[sim:fail=CODE]`: the task ends failed with this error code. */
  failCode?: string;
  /** `[sim:expire]`: the task waits queued and ends expired. */
  expire: boolean;
  /** `[sim:policy]`: the submit is refused with 400 InputTextSensitiveContentDetected. */
  inputPolicy: boolean;
  /** `[sim:output-policy]`: the task ends failed with OutputVideoSensitiveContentDetected. */
  outputPolicy: boolean;
  /**
   * `[sim:audio-policy]`: a render with sound ends failed with OutputAudioSensitiveContentDetected;
   * the same prompt rendered silent (`generate_audio: false`) succeeds (moderation.ts).
   */
  audioPolicy: boolean;
  /** `[sim:label=TEXT]`: what a labelled clip shows instead of the prompt's first words (clip-label.ts). */
  label?: string;
  /** `[sim:size=BYTES]`: the video is a generated stream of this many bytes. */
  videoSize?: number;
  /** `[sim:status=NAME]`: reported instead of the running status. */
  rawStatus?: string;
  /** `[sim:gone]`: the output link answers 404. */
  gone: boolean;
  /** `[sim:balance]`: the submit is refused with 403 insufficient balance. */
  balance: boolean;
  /** `[sim:forbidden]`: the submit is refused with 403 AccessDenied. */
  forbidden: boolean;
}

/** Either the parsed directives or why they are invalid (answered as a 400). */
export type DirectivesResult = { ok: true; value: TaskDirectives } | { ok: false; message: string };

const DIRECTIVE = /\[sim:([a-z-]+)(?:=([^\]]*))?\]/gi;
const DEFAULT_FAIL_CODE = 'InternalServiceError';

/** Parses every `[sim:...]` directive of a prompt. Unknown or malformed ones are errors. */
export function parseDirectives(prompt: string): DirectivesResult {
  const d: TaskDirectives = {
    expire: false,
    inputPolicy: false,
    outputPolicy: false,
    audioPolicy: false,
    gone: false,
    balance: false,
    forbidden: false,
  };
  for (const match of prompt.matchAll(DIRECTIVE)) {
    const name = (match[1] ?? '').toLowerCase();
    const value = match[2]?.trim();
    switch (name) {
      case 'render':
      case 'queue':
      case 'size': {
        const n = value === undefined ? NaN : Number(value);
        if (!Number.isSafeInteger(n) || n < 0) {
          return { ok: false, message: `simulator directive [sim:${name}] needs a non-negative integer` };
        }
        if (name === 'render') d.renderMs = n;
        else if (name === 'queue') d.queueMs = n;
        else d.videoSize = n;
        break;
      }
      case 'fail':
        d.failCode = value !== undefined && value !== '' ? value : DEFAULT_FAIL_CODE;
        break;
      case 'status':
        if (value === undefined || value === '') {
          return { ok: false, message: 'simulator directive [sim:status] needs a status name' };
        }
        d.rawStatus = value;
        break;
      case 'expire':
        d.expire = true;
        break;
      case 'policy':
        d.inputPolicy = true;
        break;
      case 'output-policy':
        d.outputPolicy = true;
        break;
      case 'audio-policy':
        d.audioPolicy = true;
        break;
      case 'label':
        if (value === undefined || value === '') {
          return { ok: false, message: 'simulator directive [sim:label] needs a text' };
        }
        d.label = value;
        break;
      case 'gone':
        d.gone = true;
        break;
      case 'balance':
        d.balance = true;
        break;
      case 'forbidden':
        d.forbidden = true;
        break;
      default:
        // Refused rather than ignored: a misspelt directive would make a test pass vacuously.
        return { ok: false, message: `unknown simulator directive [sim:${name}]` };
    }
  }
  return { ok: true, value: d };
}
