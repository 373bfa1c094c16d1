/**
 * Finding the task of an ambiguous submit in the provider's task list (find-task.ts): by the
 * attempt's seed and parameters, within the minutes around the send, paging newest first and
 * stopping once the pages are older than the window.
 */
import { findTasks, LOOKUP_PAGE_SIZE, type ListPage, type TaskLookup } from '../../activities/seedance/find-task';

const MODEL = 'doubao-seedance-1-5-pro-251215';
const SENT = Date.parse('2026-12-02T12:00:00Z');
const sec = (ms: number) => Math.floor(ms / 1000);

function task(id: string, seed: number, createdAt: number, extra: Record<string, unknown> = {}) {
  return {
    id,
    model: MODEL,
    status: 'running',
    seed: String(seed),
    created_at: String(sec(createdAt)),
    resolution: '720p',
    ratio: '16:9',
    duration: 5,
    ...extra,
  };
}

/** A list answering newest first, `pageSize` per page; records the pages asked for. */
function lister(tasks: unknown[]): { list: ListPage; asked: number[] } {
  const asked: number[] = [];
  return {
    asked,
    list: async (page, size) => {
      asked.push(page);
      return tasks.slice((page - 1) * size, page * size);
    },
  };
}

const LOOKUP: TaskLookup = { model: MODEL, seed: 777, resolution: '720p', ratio: '16:9', duration: 5, sentAt: SENT };

test('the one task with the seed and the parameters, created around the send, is found', async () => {
  const { list } = lister([task('cgt-a', 1, SENT + 5000), task('cgt-ours', 777, SENT + 1000), task('cgt-b', 2, SENT - 1000)]);
  expect(await findTasks(LOOKUP, list)).toMatchObject({ matches: ['cgt-ours'], scanned: 3, pages: 1 });
});

test('the seed alone is not enough: other parameters must agree where both sides give them', async () => {
  const { list } = lister([
    task('cgt-1080', 777, SENT, { resolution: '1080p' }),
    task('cgt-10s', 777, SENT, { duration: 10 }),
    task('cgt-ok', 777, SENT, { ratio: undefined }),
  ]);
  expect((await findTasks(LOOKUP, list)).matches).toEqual(['cgt-ok']);
});

test('tasks outside the window do not count, and paging stops once pages are older than it', async () => {
  const newer = Array.from({ length: LOOKUP_PAGE_SIZE }, (_, i) => task(`cgt-new-${i}`, 1, SENT + 60_000));
  const old = [
    task('cgt-too-old', 777, SENT - 3 * 60_000),
    ...Array.from({ length: LOOKUP_PAGE_SIZE }, (_, i) => task(`cgt-old-${i}`, 1, SENT - 3_600_000)),
  ];
  const late = task('cgt-too-late', 777, SENT + 11 * 60_000);
  const { list, asked } = lister([late, ...newer, ...old]);
  const found = await findTasks(LOOKUP, list);
  expect(found.matches).toEqual([]);
  expect(asked).toEqual([1, 2]);
});

test('several matches are all returned (the workflow reports them, never guesses)', async () => {
  const { list } = lister([task('cgt-x', 777, SENT), task('cgt-y', 777, SENT + 2000)]);
  expect((await findTasks(LOOKUP, list)).matches).toEqual(['cgt-x', 'cgt-y']);
});

test('items it cannot read are skipped; a match with an id we cannot address is counted, never adopted', async () => {
  const { list, asked } = lister([{ nonsense: true }, task('../etc', 777, SENT), task('cgt-other', 5, SENT), 'text']);
  expect(await findTasks(LOOKUP, list)).toMatchObject({ matches: [], unaddressable: 1, pages: 1 });
  expect(asked).toEqual([1]);
});
