/**
 * Wires configuration into the activity factories: one place that knows which clients and
 * backends the worker's activities get.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import { requireApiKey, type Config } from '../common/config';
import { createSeedanceActivities, type SeedanceDeps } from '../activities/seedance/activities';
import { stagedImageMatcher } from '../activities/seedance/images';
import { createProviderHttp, keyRedactor } from '../activities/seedance/http';
import { PredictionsClient } from '../activities/seedance/predictions-client';
import { TasksClient } from '../activities/seedance/tasks-client';
import { createStorageActivities } from '../activities/storage/activities';
import { createStorage } from '../storage/from-config';
import { createS3Client, readS3Object } from '../storage/s3';
import { createReportActivities } from '../activities/report/activities';
import { createStoryboardActivities } from '../activities/storyboard/activities';
import type { PhaseReporter } from '../activities/phase-reporter';

export interface ActivityWiring {
  /** Storyboard progress from the shots' activities (absent: none is sent). */
  phases?: PhaseReporter;
  /** Acknowledged heartbeats and signals for submit attempts (see SeedanceDeps). */
  heartbeat: SeedanceDeps['heartbeat'];
  announceSending: SeedanceDeps['announceSending'];
}

/** Provider activities (rate-limited queue), copy activities, and the workflow-side helpers. */
export function createActivitiesByRole(config: Config, wiring: ActivityWiring) {
  const all = createActivities(config, wiring);
  const { createTask, submitTask, getTask, cancelTask, copyToStorage, writeReport, ...workflowSide } = all;
  // The report downloads videos and runs ffmpeg: it belongs with the copies.
  return {
    provider: { createTask, submitTask, getTask, cancelTask },
    copy: { copyToStorage, writeReport },
    workflows: workflowSide,
  };
}

export function createActivities(config: Config, wiring: ActivityWiring) {
  const apiKey = requireApiKey(config);
  const http = createProviderHttp({
    baseUrl: config.SEEDANCE_API_BASE_URL,
    apiKey,
    authScheme: config.SEEDANCE_AUTH_SCHEME,
    timeoutMs: config.SEEDANCE_REQUEST_TIMEOUT_MS,
  });
  const { storage, s3 } = createStorage(config);
  const phaseDeps = wiring.phases ? { phases: wiring.phases } : {};
  let imageReader: S3Client | undefined = s3;
  return {
    ...createSeedanceActivities({
      clients: { tasks: new TasksClient(http), predictions: new PredictionsClient(http) },
      images: {
        isStaged: stagedImageMatcher((key) => storage.urlOf(key)),
        readS3: (bucket, key, max, signal) => {
          imageReader ??= createS3Client({ endpoint: config.AWS_ENDPOINT_URL_S3, region: config.AWS_REGION });
          return readS3Object(imageReader, bucket, key, max, signal);
        },
      },
      heartbeat: wiring.heartbeat,
      announceSending: wiring.announceSending,
      requestTimeoutMs: config.SEEDANCE_REQUEST_TIMEOUT_MS,
      ...phaseDeps,
    }),
    ...createStorageActivities({
      storage,
      maxBytes: config.COPY_MAX_BYTES,
      fetchPolicy: { allowPrivateNetwork: config.SEEDANCE_ALLOW_PRIVATE_NETWORK, allowHosts: config.SEEDANCE_FETCH_ALLOW_HOSTS },
      redact: keyRedactor(apiKey),
      ...phaseDeps,
    }),
    ...createStoryboardActivities({ storage }),
    ...createReportActivities({ storage, ...(s3 ? { s3 } : {}) }),
  };
}
