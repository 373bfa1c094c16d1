/**
 * Review commands of a draft-mode storyboard: approve, reject, finish-review (client/review.ts).
 */
import { parseArgs } from 'node:util';
import type { Client } from '@temporalio/client';
import { loadConfig } from '../../common/config';
import { boundedJson, terminalText as t } from '../../common/terminal-text';
import { connectClient } from '../../temporal/connection';
import { UsageError } from '../usage-error';
import { approveShots, finishReview, rejectShot, ReviewRefusedError } from '../review';
import type { ReviewAnswer } from '../../common/review';

export const REVIEW_COMMANDS = ['approve', 'reject', 'finish-review'] as const;
export type ReviewCommand = (typeof REVIEW_COMMANDS)[number];

const OPTIONS = {
  json: { type: 'boolean' },
  all: { type: 'boolean' },
  prompt: { type: 'string' },
  seed: { type: 'string' },
} as const;

export async function reviewCommand(command: ReviewCommand, args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const { values, positionals } = parsed;
  const [storyboardId, ...shots] = positionals;
  if (!storyboardId) throw new UsageError(`${command} needs a storyboard id`);
  const call = checkedCall(command, storyboardId, shots, values);
  const config = loadConfig(process.env);
  const client = await connectClient(config);
  try {
    const answer = await call(client);
    if (values.json) console.log(boundedJson({ storyboardId, command, ok: true, shots: answer.shots }));
    else console.error(`${command}: ${describe(command, answer)} (${t(storyboardId)})`);
    return 0;
  } catch (err) {
    if (!(err instanceof ReviewRefusedError)) throw err;
    if (values.json) console.log(boundedJson({ storyboardId, command, ok: false, reason: err.message }));
    else console.error(`${command} refused: ${t(err.message)}`);
    return 2;
  } finally {
    await client.connection.close();
  }
}

/** The update to send, once the arguments are checked (a typo costs no connection). */
function checkedCall(
  command: ReviewCommand,
  storyboardId: string,
  shots: string[],
  values: { all?: boolean; prompt?: string; seed?: string },
): (client: Client) => Promise<ReviewAnswer> {
  if (command === 'approve') {
    if (values.all === shots.length > 0)
      throw new UsageError('approve needs shot ids or --all: seedance-flow approve <storyboard> <shot...>|--all');
    return (client) => approveShots(client, storyboardId, values.all ? { all: true } : { shots });
  }
  if (command === 'reject') {
    const [shotId, ...more] = shots;
    if (!shotId || more.length)
      throw new UsageError('reject takes one shot: seedance-flow reject <storyboard> <shot> [--prompt TEXT] [--seed N]');
    let seed: number | undefined;
    if (values.seed !== undefined) {
      seed = Number(values.seed);
      if (!Number.isInteger(seed)) throw new UsageError(`--seed must be an integer, got ${JSON.stringify(values.seed)}`);
    }
    return (client) =>
      rejectShot(client, storyboardId, {
        shotId,
        ...(values.prompt !== undefined ? { prompt: values.prompt } : {}),
        ...(seed !== undefined ? { seed } : {}),
      });
  }
  if (shots.length) throw new UsageError('finish-review takes only the storyboard id');
  return (client) => finishReview(client, storyboardId);
}

function describe(command: ReviewCommand, answer: ReviewAnswer): string {
  const list = answer.shots.map((s) => t(s)).join(', ');
  if (command === 'approve') return `${answer.shots.length} shot(s) approved, their finals render now: ${list}`;
  if (command === 'reject') return `${list} will be drafted again and return to review`;
  return `review finished; ${answer.shots.length} shot(s) end not approved${list ? `: ${list}` : ''}`;
}
