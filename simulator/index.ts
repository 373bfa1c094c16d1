/**
 * A local Seedance API simulator with fault injection: both API families of the seeds
 * (Ark-style tasks and the gateway's predictions), real MP4 outputs, a lazy time model,
 * per-task prompt directives (`[sim:fail]`, `[sim:render=MS]`...), scripted faults,
 * seeded random misbehaviour and statistics for tests.
 */
export { startSimulator, type RunningSimulator, type SimulatorOptions } from './server';
export { generatedVideo } from './generated-video';
export { runSimulatorFromEnv, simulatorOptionsFromEnv, SimulatorEnvError } from './run-from-env';
export { DEFAULT_CONFIG } from './config';
export type { TaskDirectives } from './directives';
export type {
  ApiFamily,
  CallbackStats,
  ClipMode,
  Fault,
  FaultTarget,
  SimulatorCallbacks,
  SimulatorConfig,
  SimulatorConfigPatch,
  SimulatorRates,
  SimulatorStats,
  SimulatorTaskStats,
  StatusNames,
  TaskStatus,
} from './types';
