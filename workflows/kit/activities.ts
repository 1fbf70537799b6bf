/**
 * Activity stubs for playbooks. Every call carries a human summary so the Temporal UI's event
 * history reads like a response log ("revoke all sessions of alice in keycloak realm 'corp'").
 */
import { ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { DetectionActivities } from '../../activities/detection';

const base: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 20,
  },
};

const stubs = proxyActivities<Activities>(base);

type Fn = keyof Activities;

/** Runs activity `name` with `summary` shown on its history event. */
export function run<K extends Fn>(
  name: K,
  summary: string,
  ...args: Parameters<Activities[K]>
): Promise<Awaited<ReturnType<Activities[K]>>> {
  const stub = stubs[name] as unknown as {
    executeWithOptions(
      options: ActivityOptions,
      args: unknown[],
    ): Promise<Awaited<ReturnType<Activities[K]>>>;
  };
  return stub.executeWithOptions({ ...base, summary: summary.slice(0, 200) }, args);
}

const detectionStubs = proxyActivities<DetectionActivities>(base);

/** Runs detection activity `name` (collector pulls, alert routing) with `summary`. */
export function runDetection<K extends keyof DetectionActivities>(
  name: K,
  summary: string,
  ...args: Parameters<DetectionActivities[K]>
): Promise<Awaited<ReturnType<DetectionActivities[K]>>> {
  const stub = detectionStubs[name] as unknown as {
    executeWithOptions(
      options: ActivityOptions,
      args: unknown[],
    ): Promise<Awaited<ReturnType<DetectionActivities[K]>>>;
  };
  return stub.executeWithOptions({ ...base, summary: summary.slice(0, 200) }, args);
}
