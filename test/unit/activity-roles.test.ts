/**
 * Which worker role registers which activities, on which task queue. Each activity factory
 * declares its role (activities/<area>/activities.ts); this pins the result, so that moving
 * an activity to another role or queue is a deliberate change of this test.
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../common/config';
import { ROLE_TASK_QUEUES, WORKER_ROLES, copyTaskQueue, providerTaskQueue } from '../../common/task-queues';
import { ACTIVITY_ROLES, createActivitiesByRole, groupByRole } from '../../workers/activities';

const noop = async () => undefined;

function activitiesByRole() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sf-roles-'));
  const config = loadConfig({ GPTPROTO_API_KEY: 'sk-roles-test-only', STORAGE_URL: `file://${dir}` });
  return createActivitiesByRole(config, { heartbeat: noop, announceSending: noop });
}

describe('activity roles', () => {
  test('role → task queue → activities', () => {
    const byRole = activitiesByRole();
    const layout = Object.fromEntries(
      WORKER_ROLES.map((role) => [role, { taskQueue: ROLE_TASK_QUEUES[role]('q'), activities: Object.keys(byRole[role]).sort() }]),
    );
    expect(layout).toEqual({
      workflows: {
        taskQueue: 'q',
        activities: ['closedRuns', 'loadShotPage', 'recordOutcomes', 'requestLease', 'stageStoryboardSource', 'writeManifest'],
      },
      provider: { taskQueue: 'q-provider', activities: ['cancelTask', 'createTask', 'findTask', 'getTask', 'submitTask'] },
      copy: { taskQueue: 'q-copy', activities: ['copyToStorage', 'writeReport', 'writeReviewReport'] },
    });
  });

  test('each factory declares its role and that role’s queue', () => {
    expect(ACTIVITY_ROLES).toEqual({
      seedance: { role: 'provider', taskQueue: providerTaskQueue },
      storage: { role: 'copy', taskQueue: copyTaskQueue },
      storyboard: { role: 'workflows', taskQueue: ROLE_TASK_QUEUES.workflows },
      report: { role: 'copy', taskQueue: copyTaskQueue },
      admission: { role: 'workflows', taskQueue: ROLE_TASK_QUEUES.workflows },
    });
  });

  test('a declaration with another role’s queue, a missing one, or a name defined twice is refused', () => {
    const act = { a: noop };
    expect(() => groupByRole({ x: act }, { x: { role: 'copy', taskQueue: providerTaskQueue } })).toThrow(/another role's task queue/);
    expect(() => groupByRole({ x: act }, {})).toThrow(/declare no worker role/);
    expect(() =>
      groupByRole(
        { x: act, y: act },
        { x: { role: 'copy', taskQueue: copyTaskQueue }, y: { role: 'provider', taskQueue: providerTaskQueue } },
      ),
    ).toThrow(/defined by both the x and the y activities/);
  });
});
