/**
 * `seedance-flow video`: render one shot and print where it is stored.
 */
import { parseArgs } from 'node:util';
import { createStorage } from '../../storage/from-config';
import { admissionFor, loadConfig, pollScheduleFromConfig, type Config } from '../../common/config';
import { failureLabel } from '../../common/content-policy';
import { storageKeyProblem, type RenderVideoInput, type RenderVideoProgress } from '../../common/render';
import { IMAGE_ROLES, ShotSchema, formatIssues, type ImageRole, type ShotInput } from '../../common/shot';
import { toImageReference } from '../stage';
import { connectClient, temporalTarget } from '../../temporal/connection';
import { watchForWorkers } from '../worker-watch';
import { boundedJson, terminalText as t } from '../../common/terminal-text';
import { UsageError } from '../usage-error';
import { startRenderVideo, waitForVideo, type VideoOutcome } from '../video';

function parseVideoArgs(args: string[]) {
  try {
    return parseArgs({
      args,
      options: {
        prompt: { type: 'string' },
        image: { type: 'string', multiple: true },
        role: { type: 'string', multiple: true },
        model: { type: 'string' },
        api: { type: 'string' },
        ratio: { type: 'string' },
        resolution: { type: 'string' },
        duration: { type: 'string' },
        frames: { type: 'string' },
        seed: { type: 'string' },
        'camera-fixed': { type: 'boolean' },
        'no-audio': { type: 'boolean' },
        watermark: { type: 'boolean' },
        key: { type: 'string' },
        'workflow-id': { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    }).values;
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

/** Builds the shot from flags; images are paired with roles by position. */
function shotFromFlags(values: ReturnType<typeof parseVideoArgs>, imageUrls: string[]): ShotInput {
  const num = (name: string, v: string | undefined) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new UsageError(`--${name} must be an integer, got ${JSON.stringify(v)}`);
    return n;
  };
  const roles = values.role ?? [];
  if (roles.length > imageUrls.length) throw new UsageError('more --role than --image flags');
  for (const r of roles) {
    if (!(IMAGE_ROLES as readonly string[]).includes(r)) throw new UsageError(`--role must be one of ${IMAGE_ROLES.join(', ')}`);
  }
  return {
    prompt: values.prompt ?? '',
    ...(values.api ? { api: values.api as 'tasks' | 'predictions' } : {}),
    ...(values.model ? { model: values.model } : {}),
    images: imageUrls.map((url, i) => ({ url, role: (roles[i] ?? (i === 0 ? 'first_frame' : 'last_frame')) as ImageRole })),
    ...(values.ratio ? { ratio: values.ratio } : {}),
    ...(values.resolution ? { resolution: values.resolution as '720p' } : {}),
    ...(values.duration !== undefined ? { duration: num('duration', values.duration) } : {}),
    ...(values.frames !== undefined ? { frames: num('frames', values.frames) } : {}),
    ...(values.seed !== undefined ? { seed: num('seed', values.seed) } : {}),
    ...(values['camera-fixed'] ? { camera_fixed: true } : {}),
    ...(values['no-audio'] ? { generate_audio: false } : {}),
    ...(values.watermark ? { watermark: true } : {}),
  };
}

export async function videoCommand(args: string[]): Promise<number> {
  const values = parseVideoArgs(args);
  if (!values.prompt) throw new UsageError('--prompt is required');
  const keyProblem = values.key !== undefined ? storageKeyProblem(values.key) : undefined;
  if (keyProblem) throw new UsageError(`--key ${JSON.stringify(values.key)}: ${keyProblem}`);
  const config = loadConfig(process.env);

  // Validate everything we can before staging images or starting anything.
  const placeholder = (values.image ?? []).map(() => 'https://placeholder.invalid/image.png');
  const check = ShotSchema.safeParse(shotFromFlags(values, placeholder));
  if (!check.success) throw new UsageError(`invalid shot:\n  ${formatIssues(check.error).join('\n  ')}`);

  const { storage } = createStorage(config);
  const imageUrls = await Promise.all((values.image ?? []).map((img) => toImageReference(storage, img)));
  const input: RenderVideoInput = {
    shot: shotFromFlags(values, imageUrls),
    schedule: pollScheduleFromConfig(config),
    ...(values.key ? { storageKey: values.key } : {}),
    ...withAdmission(config),
  };

  const client = await connectClient(config);
  try {
    const handle = await startRenderVideo(client, input, {
      taskQueue: config.SEEDANCE_TASK_QUEUE,
      ...(values['workflow-id'] ? { workflowId: values['workflow-id'] } : {}),
    });
    if (!values.json) console.error(`rendering as workflow ${t(handle.workflowId)} (task queue ${t(config.SEEDANCE_TASK_QUEUE)})`);
    const watch = watchForWorkers(client, {
      taskQueue: config.SEEDANCE_TASK_QUEUE,
      address: temporalTarget(config).connectionOptions.address,
    });
    const outcome = await waitForVideo(handle, values.json ? undefined : printProgress()).finally(() => watch.stop());
    printOutcome(outcome, Boolean(values.json));
    return outcome.status === 'stored' ? 0 : 1;
  } finally {
    await client.connection.close();
  }
}

/** Prints a line whenever the phase or provider status changes (stderr: stdout stays clean). */
function printProgress(): (p: RenderVideoProgress) => void {
  let last = '';
  return (p) => {
    const line = `  ${t(p.phase)}${p.taskId ? ` task ${t(p.taskId)}` : ''}${p.lastRawStatus ? ` status ${t(p.lastRawStatus)}` : ''} polls ${t(p.polls)}`;
    if (line !== last) console.error(line);
    last = line;
  };
}

function printOutcome(outcome: VideoOutcome, json: boolean): void {
  if (json) {
    console.log(boundedJson(outcome));
    return;
  }
  if (outcome.status === 'stored') {
    console.log(`stored ${t(outcome.storageUrl, 2000)}${outcome.skipped ? ' (already there, not copied again)' : ''}`);
    console.log(
      `  task ${t(outcome.taskId)}  sha256 ${t(outcome.sha256)}  ${t(outcome.bytes)} bytes  seed ${t(outcome.seed ?? '-')}  tokens ${t(outcome.usage?.totalTokens ?? '-')}`,
    );
  } else {
    console.error(
      `${t(outcome.status)}: ${t(failureLabel(outcome.failureType ?? '', outcome.failureStage))}: ${t(outcome.message)}${outcome.taskId ? ` (task ${t(outcome.taskId)})` : ''}`,
    );
  }
}

function withAdmission(config: Config): Pick<RenderVideoInput, 'admission'> {
  const admission = admissionFor(config);
  return admission ? { admission } : {};
}
