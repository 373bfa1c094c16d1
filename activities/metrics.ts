/**
 * seedance-flow's own metrics from activities, exported with Temporal's runtime metrics on
 * the worker's Prometheus endpoint (SEEDANCE_METRICS_ADDRESS). Names are documented in README.
 */
import { Context } from '@temporalio/activity';
import type { MetricMeter } from '@temporalio/common';

function meter(): MetricMeter | undefined {
  try {
    return Context.current().metricMeter;
  } catch {
    return undefined; // called outside an activity (unit tests, tools)
  }
}

export function countMetric(name: string, value = 1, tags: Record<string, string> = {}, description?: string): void {
  meter()?.createCounter(name, undefined, description).add(value, tags);
}
