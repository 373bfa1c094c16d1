/** Entry point: `tsx simulator/main.ts` or `node dist/simulator/main.js`. See run-from-env.ts. */
import { runSimulatorFromEnv } from './run-from-env';

runSimulatorFromEnv().catch((err: unknown) => {
  console.error(`seedance simulator: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
