/**
 * Live storyboard progress for people: a redrawn bar with counts and an ETA on a terminal,
 * plain lines (only when something changed, at most every 10 s) when output is a file or CI log.
 */
import type { StoryboardProgress } from '../common/storyboard';
import { terminalText } from '../common/terminal-text';

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/** ETA from the pace so far; unknown until something has finished. */
export function etaMs(p: StoryboardProgress, now: number): number | undefined {
  const finished = p.counts.stored + p.counts.failed;
  if (finished === 0) return undefined;
  const remaining = p.totalShots - finished;
  return ((now - p.startedAt) / finished) * remaining;
}

export function progressLine(p: StoryboardProgress, now: number, width = 24): string {
  const finished = p.counts.stored + p.counts.failed;
  const filled = Math.round((finished / Math.max(1, p.totalShots)) * width);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
  const eta = etaMs(p, now);
  const c = p.counts;
  return [
    `${bar} ${finished}/${p.totalShots}`,
    `stored ${c.stored} failed ${c.failed} | copying ${c.copying} rendering ${c.rendering} submitted ${c.submitted} pending ${c.pending}`,
    `window ${p.window}`,
    `tokens ${p.tokensUsed}`,
    ...(p.budget
      ? [
          `budget ${p.budget.spent}+${p.budget.reserved} reserved of ${p.budget.limit} ${terminalText(p.budget.unit)} (${p.budget.remaining} left)`,
        ]
      : []),
    eta === undefined ? 'ETA --' : `ETA ${formatDuration(eta)}`,
    ...(p.paused ? [`PAUSED: ${terminalText(p.pauseReason ?? '')}`] : []),
    // Draft mode: nothing moves until someone approves or rejects, so say so rather than show a stalled ETA.
    ...(p.review?.waitingForReview
      ? [
          `WAITING FOR REVIEW: ${p.review.awaitingApproval.length} draft(s) (seedance-flow approve|reject|finish-review ${terminalText(p.storyboardId)})`,
        ]
      : []),
  ].join(' | ');
}

export interface ProgressPrinter {
  update(p: StoryboardProgress): void;
  /** A line of its own (a warning), printed without breaking the redrawn bar. */
  note(line: string): void;
  end(): void;
}

export function createProgressPrinter(stream: NodeJS.WriteStream = process.stderr): ProgressPrinter {
  const tty = Boolean(stream.isTTY);
  let lastPlain = '';
  let lastPlainAt = 0;
  let drew = false;
  return {
    update(p) {
      const now = Date.now();
      const line = progressLine(p, now);
      if (tty) {
        stream.write(`\r\x1b[2K${line.slice(0, (stream.columns ?? 160) - 1)}`);
        drew = true;
        return;
      }
      const key = line.replace(/ \| ETA .*$/, '');
      if (key !== lastPlain || now - lastPlainAt >= 10_000) {
        stream.write(`${line}\n`);
        lastPlain = key;
        lastPlainAt = now;
      }
    },
    note(line) {
      // On a terminal the bar is cleared first; the next update draws it again below the note.
      stream.write(`${tty && drew ? '\r\x1b[2K' : ''}${line}\n`);
    },
    end() {
      if (tty && drew) stream.write('\n');
    },
  };
}
