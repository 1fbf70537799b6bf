/**
 * Activity stubs for playbooks. Every call carries a human summary so the Temporal UI's event
 * history reads like a response log ("revoke all sessions of alice in keycloak realm 'corp'").
 */
import { ActivityOptions, proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../../activities';
import type { DetectionActivities } from '../../activities/detection';

const base: ActivityOptions = {
  startToCloseTimeout: '2 minutes',
  // Activities heartbeat every 2 s (activities/heartbeat.ts): a dead worker is noticed in 10 s.
  heartbeatTimeout: '10 seconds',
  // Retries are bounded by time, not by count: an identity provider that rate-limits answers
  // 429 with a Retry-After of a second or so, and twenty attempts would be spent in twenty seconds
  // of throttling (a burst of incidents failed that way). Fifteen minutes is what twenty attempts
  // with this backoff take through an outage.
  scheduleToCloseTimeout: '15 minutes',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
  },
};

/**
 * `run(name, summary, ...args)` for one activity interface: every call carries a summary (at most
 * 200 characters) shown on its event in the Temporal UI.
 */
function summarised<A extends object>(options: ActivityOptions = base) {
  const stubs = proxyActivities<A>(options) as Record<keyof A, unknown>;
  return <K extends keyof A & string>(
    name: K,
    summary: string,
    ...args: A[K] extends (...a: infer P) => unknown ? P : never
  ): Promise<A[K] extends (...a: never[]) => infer R ? Awaited<R> : never> => {
    const stub = stubs[name] as {
      executeWithOptions(options: ActivityOptions, args: unknown[]): Promise<never>;
    };
    return stub.executeWithOptions({ ...options, summary: summary.slice(0, 200) }, args);
  };
}

/** Runs a playbook activity (identity-provider actions, evidence, notifications). */
export const run = summarised<Activities>();
/**
 * Runs an investigation: a worker runs only a few at once (containment comes first in a burst), so
 * one may wait its turn; heartbeats still tell a dead worker from a queue. The schedule-to-close
 * bound is raised with it (it caps start-to-close), leaving room for retries after a long wait.
 */
export const runInvestigation = summarised<Activities>({
  ...base,
  startToCloseTimeout: '30 minutes',
  scheduleToCloseTimeout: '45 minutes',
});
/** Runs a detection activity (collector pulls, alert routing). */
export const runDetection = summarised<DetectionActivities>();
/**
 * A collector's pull: a few quick tries, then the detector hears of the failure and backs off
 * itself (a long outage must not hold it inside one activity's retries, silently).
 */
export const runPull = summarised<DetectionActivities>({
  ...base,
  scheduleToCloseTimeout: undefined,
  retry: { ...base.retry, maximumAttempts: 3 },
});
