/**
 * Wires configuration into the activity factories: one place that knows which clients and
 * backends the worker's activities get.
 */
import { callbackSettings, ConfigError, requireApiKey, type Config } from '../common/config';
import { ROLE_TASK_QUEUES, WORKER_ROLES, type ActivityRoleDeclaration, type WorkerRole } from '../common/task-queues';
import { createSeedanceActivities, seedanceActivityRole, type SeedanceDeps } from '../activities/seedance/activities';
import { stagedImageMatcher } from '../activities/seedance/images';
import { createProviderHttp, keyRedactor } from '../activities/seedance/http';
import { PredictionsClient } from '../activities/seedance/predictions-client';
import { TasksClient } from '../activities/seedance/tasks-client';
import { createStorageActivities, storageActivityRole } from '../activities/storage/activities';
import { createStorage, type StorageWiring } from '../storage/from-config';
import { readS3Object } from '../storage/s3';
import { s3Presigner } from '../storage/s3-presign';
import { createReportActivities, reportActivityRole } from '../activities/report/activities';
import { createStoryboardActivities, storyboardActivityRole } from '../activities/storyboard/activities';
import type { PhaseRelay } from '../activities/phase-relay';
import { admissionActivityRole, createAdmissionActivities } from '../activities/admission/activities';

export interface ActivityWiring {
  /** The process's storage; absent: built from the configuration here. */
  storage?: StorageWiring;
  /** Storyboard progress from the shots' activities (absent: none is sent). */
  phases?: PhaseRelay;
  /** Acknowledged heartbeats and signals for submit attempts (see SeedanceDeps). */
  heartbeat: SeedanceDeps['heartbeat'];
  announceSending: SeedanceDeps['announceSending'];
}

export type ActivityGroups = ReturnType<typeof createActivities>;
/** The activities one worker role registers, by activity name. */
export type RoleActivities = Record<string, (...args: never[]) => Promise<unknown>>;

/**
 * Which worker role, and so which task queue, registers each factory's activities: the
 * factories' own declarations, one row per factory. A factory without a row does not compile.
 */
export const ACTIVITY_ROLES = {
  seedance: seedanceActivityRole,
  storage: storageActivityRole,
  storyboard: storyboardActivityRole,
  report: reportActivityRole,
  admission: admissionActivityRole,
} as const satisfies Record<keyof ActivityGroups, ActivityRoleDeclaration>;

/** Every factory's activities, grouped by the role each factory declares (see {@link ACTIVITY_ROLES}). */
export function createActivitiesByRole(config: Config, wiring: ActivityWiring): Record<WorkerRole, RoleActivities> {
  return groupByRole(createActivities(config, wiring));
}

/**
 * Groups factories' activities by their declared role. Refuses a declaration whose queue is
 * not its role's (the workflows would schedule on a queue no worker of that role polls) and
 * an activity name two factories both define (one would silently replace the other).
 */
export function groupByRole(
  groups: Record<string, object>,
  declarations: Record<string, ActivityRoleDeclaration> = ACTIVITY_ROLES,
): Record<WorkerRole, RoleActivities> {
  const byRole = Object.fromEntries(WORKER_ROLES.map((role) => [role, {}])) as Record<WorkerRole, RoleActivities>;
  const owner = new Map<string, string>();
  for (const [factory, activities] of Object.entries(groups)) {
    const declared = declarations[factory];
    if (!declared) throw new Error(`the ${factory} activities declare no worker role`);
    if (declared.taskQueue !== ROLE_TASK_QUEUES[declared.role]) {
      throw new Error(`the ${factory} activities declare role ${declared.role} with another role's task queue`);
    }
    for (const [name, fn] of Object.entries(activities)) {
      const earlier = owner.get(name);
      if (earlier) throw new Error(`activity ${name} is defined by both the ${earlier} and the ${factory} activities`);
      owner.set(name, factory);
      byRole[declared.role][name] = fn as RoleActivities[string];
    }
  }
  return byRole;
}

export function createActivities(config: Config, wiring: ActivityWiring) {
  const apiKey = requireApiKey(config);
  const http = createProviderHttp({
    baseUrl: config.SEEDANCE_API_BASE_URL,
    apiKey,
    authScheme: config.SEEDANCE_AUTH_SCHEME,
    timeoutMs: config.SEEDANCE_REQUEST_TIMEOUT_MS,
  });
  const { storage, s3 } = wiring.storage ?? createStorage(config);
  const delivery = config.SEEDANCE_MEDIA_DELIVERY === 'auto' ? (s3 ? 'presigned' : 'inline') : config.SEEDANCE_MEDIA_DELIVERY;
  if (delivery === 'presigned' && !s3) {
    throw new ConfigError(['SEEDANCE_MEDIA_DELIVERY: presigned needs S3 storage (STORAGE_URL=s3://…); use inline or auto']);
  }
  const presign =
    delivery === 'presigned' && s3
      ? s3Presigner(s3, { endpoint: config.SEEDANCE_MEDIA_PRESIGN_ENDPOINT ?? config.AWS_ENDPOINT_URL_S3, region: config.AWS_REGION })
      : undefined;
  const phaseDeps = wiring.phases ? { phases: wiring.phases } : {};
  const callbacks = callbackSettings(config);
  return {
    seedance: createSeedanceActivities({
      clients: { tasks: new TasksClient(http), predictions: new PredictionsClient(http) },
      images: {
        isStaged: stagedImageMatcher((key) => storage.urlOf(key)),
        // Only images staged into this storage are read (isStaged), so s3:// ones only when it is S3.
        readS3: async (bucket, key, max, signal) => {
          if (!s3) throw new Error(`s3://${bucket}/${key}: this worker's storage is not S3`);
          return readS3Object(s3, bucket, key, max, signal);
        },
        ...(presign ? { presigned: presign } : {}),
      },
      heartbeat: wiring.heartbeat,
      announceSending: wiring.announceSending,
      requestTimeoutMs: config.SEEDANCE_REQUEST_TIMEOUT_MS,
      ...phaseDeps,
      ...(callbacks ? { callbacks } : {}),
    }),
    storage: createStorageActivities({
      storage,
      maxBytes: config.COPY_MAX_BYTES,
      fetchPolicy: { allowPrivateNetwork: config.SEEDANCE_ALLOW_PRIVATE_NETWORK, allowHosts: config.SEEDANCE_FETCH_ALLOW_HOSTS },
      redact: keyRedactor(apiKey),
      ...phaseDeps,
    }),
    storyboard: createStoryboardActivities({ storage }),
    admission: createAdmissionActivities({
      limits: { maxActivePerModel: config.SEEDANCE_MAX_ACTIVE_PER_MODEL, maxQueued: config.SEEDANCE_MAX_QUEUED },
    }),
    report: createReportActivities({
      storage,
      maxVideoBytes: config.COPY_MAX_BYTES,
      ...(config.FFMPEG_PATH ? { ffmpegPath: config.FFMPEG_PATH } : {}),
    }),
  };
}
