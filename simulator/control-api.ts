/**
 * `/__sim/*`: the simulator's own control endpoints, for tests driving a simulator that runs
 * in another process. Not authenticated and never subject to faults.
 */
import { errors } from './errors';
import { jsonResponse, type SimResponse } from './http-io';
import type { SimulatorState } from './state';

/** Answers a control request, or undefined when the path is not a control endpoint. */
export function control(state: SimulatorState, method: string, path: string, body: () => unknown, now: number): SimResponse | undefined {
  const route = `${method} ${path}`;
  try {
    switch (route) {
      case 'GET /__sim/health':
        return jsonResponse(200, { ok: true });
      case 'GET /__sim/stats':
        return jsonResponse(200, state.stats(now));
      case 'GET /__sim/config':
        return jsonResponse(200, state.config);
      case 'POST /__sim/config':
        state.configure(body());
        return jsonResponse(200, state.config);
      case 'POST /__sim/faults': {
        const faults = body();
        if (!Array.isArray(faults)) return errors.invalidParameter('the body must be a JSON array of faults');
        state.faults.add(faults);
        return jsonResponse(200, { pending: state.faults.pending });
      }
      case 'POST /__sim/reset':
        state.reset();
        return jsonResponse(200, {});
      default:
        return undefined;
    }
  } catch (err) {
    // Invalid JSON, config or faults: the caller's mistake, reported as a 400.
    return errors.invalidParameter(err instanceof Error ? err.message : String(err));
  }
}
