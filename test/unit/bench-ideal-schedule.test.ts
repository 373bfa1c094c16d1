/** The bench's reference for capacity use (bench/scenarios/admission.ts): a perfect orchestrator's wall time. */
// The one test of bench/ code itself (a pure function): the layer rule keeps test helpers out
// of bench/, which does not apply to a test whose subject is the bench.
// eslint-disable-next-line @typescript-eslint/no-restricted-imports
import { idealMakespan } from '../../bench/scenarios/admission';

describe('idealMakespan', () => {
  it('equals the bound shots × mean / C when renders are equal and fill the slots evenly', () => {
    expect(idealMakespan([5, 5, 5, 5, 5, 5], 3)).toBe(10);
  });

  it('refills the slot that frees first, in order: a long render last leaves the others idle', () => {
    // Slots: [1, 1] → [2, 1] → [2, 10]: 10, above the bound (1 + 1 + 1 + 9) / 2 = 6.
    expect(idealMakespan([1, 1, 1, 9], 2)).toBe(10);
    expect(idealMakespan([9, 1, 1, 1], 2)).toBe(9);
  });

  it('treats fewer than one slot as one (serial)', () => {
    expect(idealMakespan([2, 3], 0)).toBe(5);
  });
});
