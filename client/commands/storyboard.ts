/**
 * Storyboard commands: validate, render, status, pause, resume, cancel, window, retry.
 */
import type { Client } from '@temporalio/client';
import { parseArgs } from 'node:util';
import type { StorageBackend } from '../../storage/backend';
import { createStorage } from '../../storage/from-config';
import { loadConfig, pollScheduleFromConfig, type Config } from '../../common/config';
import { MAX_WINDOW, type RenderStoryboardInput, type Tolerance } from '../../common/storyboard';
import { createProgressPrinter } from '../progress-view';
import {
  cancelStoryboard,
  followStoryboard,
  pauseStoryboard,
  resumeStoryboard,
  setStoryboardWindow,
  startStoryboard,
  storyboardStatus,
  type StoryboardStatus,
} from '../storyboard';
import { checkStoryboardFile, readStagedRecord, stageStoryboard, type CheckOptions, type StagedStoryboard } from '../storyboard-file';
import { connectClient, temporalTarget } from '../../temporal/connection';
import { watchForWorkers } from '../worker-watch';
import { boundedJson, terminalBlock, terminalText as t } from '../../common/terminal-text';
import { UsageError } from '../usage-error';

export const STORYBOARD_COMMANDS = ['validate', 'render', 'status', 'pause', 'resume', 'cancel', 'window', 'retry'] as const;
type StoryboardCommand = (typeof STORYBOARD_COMMANDS)[number];

const OPTIONS = {
  json: { type: 'boolean' },
  wait: { type: 'boolean' },
  window: { type: 'string' },
  'max-failures': { type: 'string' },
  'max-failure-percent': { type: 'string' },
  /** Image paths may resolve outside the storyboard's folder (see ALLOW_IMAGES_OUTSIDE_FLAG). */
  'allow-images-outside': { type: 'boolean' },
} as const;

function parse(args: string[]) {
  try {
    return parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function numberFlag(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a number in [${min}, ${max}], got ${JSON.stringify(value)}`);
  return n;
}

export async function storyboardCommand(command: StoryboardCommand, args: string[]): Promise<number> {
  const { values, positionals } = parse(args);
  const [target, extra] = positionals;
  if (!target)
    throw new UsageError(`${command} needs a ${command === 'validate' || command === 'render' ? 'storyboard file' : 'storyboard id'}`);
  const json = Boolean(values.json);

  const checkOptions = { allowImagesOutside: Boolean(values['allow-images-outside']) };
  if (command === 'validate') return validate(target, json, checkOptions);

  const config = loadConfig(process.env);
  const { storage } = createStorage(config);
  if (command === 'render') {
    const checked = await checkStoryboardFile(target, checkOptions);
    if (checked.problems.length) return printProblems(target, checked.problems, json);
    const staged = await stageStoryboard(storage, checked);
    return withClient(config, (client) => launch(client, config, storage, staged, values, json));
  }
  if (command === 'retry') {
    const staged = await readStagedRecord(storage, target);
    if (!staged) throw new UsageError(`nothing staged for storyboard ${target} in ${config.STORAGE_URL}; render its file first`);
    return withClient(config, (client) => launch(client, config, storage, staged, values, json));
  }
  return withClient(config, async (client) => {
    switch (command) {
      case 'status': {
        const status = await storyboardStatus(client, storage, target);
        printStatus(status, json);
        return status.status === 'failed' || (status.counts?.failed ?? 0) > 0 ? 1 : 0;
      }
      case 'pause':
        await pauseStoryboard(client, target);
        break;
      case 'resume':
        await resumeStoryboard(client, target);
        break;
      case 'cancel':
        await cancelStoryboard(client, target);
        break;
      case 'window': {
        const size = numberFlag('window', extra, 1, MAX_WINDOW);
        if (size === undefined || !Number.isInteger(size))
          throw new UsageError('window needs a size: seedance-flow window <storyboardId> <N>');
        const now = await setStoryboardWindow(client, target, size);
        if (!json) console.error(`window of ${t(target)} is now ${now}`);
        break;
      }
    }
    if (json) console.log(boundedJson({ storyboardId: target, command, ok: true }));
    else console.error(`${command}: sent to ${t(target)}`);
    return 0;
  });
}

async function validate(file: string, json: boolean, options: CheckOptions): Promise<number> {
  const checked = await checkStoryboardFile(file, options);
  if (checked.problems.length) return printProblems(file, checked.problems, json);
  const shots = checked.storyboard?.shots.length ?? 0;
  if (json) console.log(boundedJson({ file, valid: true, storyboardId: checked.storyboard?.id, shots, problems: [] }));
  else console.log(`${t(file)}: valid storyboard ${t(checked.storyboard?.id)} with ${shots} shots`);
  return 0;
}

function printProblems(file: string, problems: { path: string; message: string }[], json: boolean): number {
  if (json) console.log(boundedJson({ file, valid: false, problems }));
  else {
    console.error(`${t(file)}: ${problems.length} problem${problems.length === 1 ? '' : 's'}, nothing was started`);
    for (const p of problems) console.error(`  ${p.path ? `${t(p.path)}: ` : ''}${terminalBlock(p.message)}`);
  }
  return 2;
}

async function launch(
  client: Client,
  config: Config,
  storage: StorageBackend,
  staged: StagedStoryboard,
  values: ReturnType<typeof parse>['values'],
  json: boolean,
): Promise<number> {
  const tolerance: Tolerance = {};
  const maxFailures = numberFlag('max-failures', values['max-failures'], 0, Number.MAX_SAFE_INTEGER);
  const maxPercent = numberFlag('max-failure-percent', values['max-failure-percent'], 0, 100);
  if (maxFailures !== undefined) tolerance.maxFailures = Math.floor(maxFailures);
  if (maxPercent !== undefined) tolerance.maxFailurePercent = maxPercent;
  const window = numberFlag('window', values.window, 1, MAX_WINDOW);
  const input: RenderStoryboardInput = {
    ...staged,
    tolerance,
    schedule: pollScheduleFromConfig(config),
    ...(window !== undefined ? { window: Math.floor(window) } : {}),
  };
  const handle = await startStoryboard(client, input, config.SEEDANCE_TASK_QUEUE);
  if (!values.wait) {
    if (json) console.log(boundedJson({ storyboardId: staged.storyboardId, workflowId: handle.workflowId, status: 'running' }));
    else
      console.error(
        `started storyboard ${t(staged.storyboardId)} (${staged.totalShots} shots); follow it with: seedance-flow status ${t(staged.storyboardId)}`,
      );
    return 0;
  }
  if (!json)
    console.error(
      `rendering storyboard ${t(staged.storyboardId)}: ${staged.totalShots} shots on task queue ${t(config.SEEDANCE_TASK_QUEUE)}`,
    );
  const printer = json ? undefined : createProgressPrinter();
  const watch = watchForWorkers(client, {
    taskQueue: config.SEEDANCE_TASK_QUEUE,
    address: temporalTarget(config).connectionOptions.address,
    // The warning gets a line of its own, not the middle of a redrawn progress bar.
    ...(printer ? { print: (line: string) => printer.note(line) } : {}),
  });
  const status = await followStoryboard(client, storage, staged.storyboardId, (p) => printer?.update(p)).finally(() => watch.stop());
  printer?.end();
  printStatus(status, json);
  return status.status === 'completed' && (status.counts?.failed ?? 0) === 0 && (status.counts?.not_started ?? 0) === 0 ? 0 : 1;
}

function printStatus(r: StoryboardStatus, json: boolean): void {
  if (json) {
    console.log(boundedJson(r));
    return;
  }
  const c = r.counts;
  console.log(`storyboard ${t(r.storyboardId)}: ${t(r.status)}${r.paused ? ` (PAUSED: ${t(r.pauseReason ?? '')})` : ''}`);
  if (c) {
    console.log(
      `  stored ${c.stored}  failed ${c.failed}  pending ${c.pending}  submitted ${c.submitted}  rendering ${c.rendering}  copying ${c.copying}` +
        `${c.not_started ? `  not started ${c.not_started}` : ''}  tokens ${r.tokensUsed ?? 0}`,
    );
  }
  if (r.manifestUrl) console.log(`  manifest ${t(r.manifestUrl, 2000)}`);
  for (const s of r.shots ?? []) {
    if ('failureType' in s && s.failureType)
      console.log(`  ${t(s.shotId)}: ${t(s.status)} ${t(s.failureType)}: ${t(s.failureMessage ?? '')}`);
    else if (r.status === 'running' || s.status !== 'stored') console.log(`  ${t(s.shotId)}: ${t(s.status)}`);
  }
  if (r.failureType) console.log(`  ${t(r.failureType)}: ${t(r.message ?? '')}`);
}

async function withClient(config: Config, fn: (client: Client) => Promise<number>): Promise<number> {
  const client = await connectClient(config);
  try {
    return await fn(client);
  } finally {
    await client.connection.close();
  }
}
