// Jest test sequencer (jest.config.js): jest's own, except on a run with no timings of its
// own (a fresh clone, CI). There jest orders files by size, so a small file that mostly
// waits (temporal-unreachable waits out a 10 s connect timeout) starts last and keeps one
// worker busy alone at the end; these files go first instead, longest first. Seconds on 2 cores.
const path = require('node:path');
const Sequencer = require('@jest/test-sequencer').default;

const EXPECTED_SECONDS = {
  'test/integration/packed-package.test.ts': 80,
  'test/unit/temporal-unreachable.test.ts': 12,
  'test/unit/fuzz-storyboard.test.ts': 12,
  'test/unit/readme-snippets.test.ts': 11,
  'test/workflows/render-video.test.ts': 10,
  'test/workflows/render-storyboard.test.ts': 10,
  'test/unit/replay.test.ts': 7,
  'test/unit/infra-install.test.ts': 5,
  'test/unit/hostile-storyboards.test.ts': 5,
};

const expected = (test) => EXPECTED_SECONDS[path.relative(path.resolve(__dirname, '../..'), test.path).split(path.sep).join('/')] ?? 0;

class KnownSlowFirst extends Sequencer {
  sort(tests) {
    const sorted = super.sort(tests);
    if (sorted.some((t) => t.duration != null)) return sorted;
    return sorted
      .map((test, i) => ({ test, i }))
      .sort((a, b) => expected(b.test) - expected(a.test) || a.i - b.i)
      .map(({ test }) => test);
  }
}

module.exports = KnownSlowFirst;
