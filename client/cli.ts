/**
 * The `seedance-flow` command line.
 * Exit codes: 0 success, 1 a render failed or was cancelled, 2 bad input or configuration.
 */
import { ConfigError } from '../common/config';
import { runSimulatorFromEnv } from '../simulator';
import { runWorker } from '../workers/main';
import { storyboardCommand, STORYBOARD_COMMANDS } from './commands/storyboard';
import { demoCommand } from './commands/demo';
import { videoCommand } from './commands/video';
import { limitsCommand } from './commands/limits';
import { reviewCommand, REVIEW_COMMANDS, type ReviewCommand } from './commands/review';
import { codecServerCommand } from './commands/codec-server';
import { ImageError } from './stage';
import { terminalBlock } from '../common/terminal-text';
import { UsageError } from './usage-error';

const USAGE = `usage: seedance-flow <command> [options]

commands:
  demo [storyboard] [--json]   render a storyboard (default: the example) with everything embedded:
                               Temporal dev server, workers, ./renders/, the simulator unless GPTPROTO_API_KEY is set
  worker                       run a worker (SIGINT/SIGTERM: graceful shutdown)
  simulator                    run the local Seedance API simulator
  video --prompt TEXT          render one video and print where it is stored
        [--image PATH|URL --role first_frame|last_frame|reference_image]...
        [--model ID] [--api tasks|predictions] [--ratio R] [--resolution 480p|720p|1080p]
        [--duration S | --frames N] [--seed N] [--camera-fixed] [--no-audio] [--watermark]
        [--key STORAGE_KEY] [--workflow-id ID] [--json]
  validate <storyboard> [--json]           check a storyboard file; start nothing
  estimate <storyboard> [--json]           tokens and cost per shot and in total (prices: SEEDANCE_PRICES_FILE)
  render <storyboard> [--wait] [--json]    validate, estimate, stage and start a storyboard
        [--window N] [--max-failures N] [--max-failure-percent P]
        [--budget TOKENS|AMOUNTCUR] [--yes]  budget: pause before passing it; --yes: start without asking
        [--priority 1-5] [--team KEY]      account-wide admission: who gets the next free lease
        [--draft]                          drafts first (Seedance 1.5 pro, 480p), then a review; finals only when approved
  approve <storyboardId> <shot...>|--all   approve drafts: their finals render from them
  reject <storyboardId> <shot> [--prompt TEXT] [--seed N]   draft the shot again with the changes
  finish-review <storyboardId>             end the review: unapproved shots end not_started (not approved)
  status <storyboardId> [--json]           counts, per-shot state, tokens (running or finished)
  pause|resume|cancel <storyboardId>       control a running storyboard
  window <storyboardId> <N>                change the sliding window while it runs
  budget <storyboardId> <N>                set a storyboard's budget (in its unit) while it runs
  retry <storyboardId> [--wait] [--json]   render again only the shots that failed or are missing
  limits [--json]                          the account's leases held, waiting shots by storyboard, adaptive limits
  codec-server                             decrypt payloads for the Temporal UI / temporal CLI (SEEDANCE_CODEC_*)

configuration: environment variables, see README.md`;

export async function main(argv = process.argv.slice(2)): Promise<void> {
  const [command, ...rest] = argv;
  try {
    if (command === 'worker') {
      // An unreachable server is a TemporalUnreachableError from temporal/connection.ts.
      return await runWorker();
    }
    if (command === 'simulator') {
      await runSimulatorFromEnv();
      return;
    }
    if (command === 'codec-server') {
      await codecServerCommand(rest);
      return;
    }
    if (command === 'demo') {
      process.exitCode = await demoCommand(rest);
      return;
    }
    if (command === 'limits') {
      process.exitCode = await limitsCommand(rest);
      return;
    }
    if (command === 'video') {
      process.exitCode = await videoCommand(rest);
      return;
    }
    if (command && (REVIEW_COMMANDS as readonly string[]).includes(command)) {
      process.exitCode = await reviewCommand(command as ReviewCommand, rest);
      return;
    }
    if (command && (STORYBOARD_COMMANDS as readonly string[]).includes(command)) {
      process.exitCode = await storyboardCommand(command as (typeof STORYBOARD_COMMANDS)[number], rest);
      return;
    }
    if (command === undefined || command === '-h' || command === '--help') {
      console.log(USAGE);
      return;
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (err) {
    if (err instanceof ConfigError || err instanceof UsageError || err instanceof ImageError) {
      console.error(`seedance-flow: ${terminalBlock(err.message)}`);
      if (err instanceof UsageError) console.error(USAGE);
      process.exitCode = 2;
      return;
    }
    console.error(`seedance-flow: ${terminalBlock(err instanceof Error ? err.message : String(err))}`);
    process.exitCode = 1;
  }
}
