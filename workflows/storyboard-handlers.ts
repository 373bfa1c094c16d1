/**
 * What a running storyboard answers and obeys: the progress query, pause and resume, the
 * window update and the children's phase events. Definitions (names, argument types) are in
 * signals.ts; the state they read and change is the run's (storyboard-run.ts).
 */
import { setHandler } from '@temporalio/workflow';
import type { BudgetView } from '../common/budget';
import { MAX_WINDOW } from '../common/storyboard';
import { pauseSignal, resumeSignal, setBudgetUpdate, setWindowUpdate, shotPhasesSignal, storyboardProgressQuery } from './signals';
import type { StoryboardRun } from './storyboard-run';

/** Installs the storyboard's query, signal and update handlers over `run`, at the start of every run. */
export function installStoryboardHandlers(run: StoryboardRun): void {
  setHandler(storyboardProgressQuery, () => run.progress());
  setHandler(pauseSignal, (reason) => run.pause(reason ?? 'paused by a user'));
  setHandler(resumeSignal, () => run.resume());
  setHandler(setWindowUpdate, (size) => run.setWindow(size), { validator: checkWindow });
  setHandler(shotPhasesSignal, ({ updates }) => run.onPhases(updates));
  setHandler(
    setBudgetUpdate,
    (limit) => {
      run.setBudget(limit);
      return run.progress().budget as BudgetView;
    },
    { validator: (limit) => checkBudget(run, limit) },
  );
}

/** Rejects a budget the storyboard cannot take: none to set, not a positive number, or below what is already spent. */
function checkBudget(run: StoryboardRun, limit: number): void {
  const state = run.carry.budget;
  if (!state) throw new Error('this storyboard has no budget: start it with one (budget in the file, or --budget)');
  if (typeof limit !== 'number' || !Number.isFinite(limit) || limit <= 0) throw new Error('budget must be a positive number');
  if (limit < state.spent) throw new Error(`budget must be at least what is already spent (${state.spent})`);
}

/** Rejects a window the storyboard would not accept as input, before the update is recorded. */
function checkWindow(size: number): void {
  if (!Number.isInteger(size) || size < 1 || size > MAX_WINDOW) throw new Error(`window must be an integer in [1, ${MAX_WINDOW}]`);
}
