/**
 * The worker's Prometheus endpoint: the Temporal runtime's own exporter, which serves the SDK's
 * metrics (`temporal_…`: task slots, poll latencies, workflow and activity outcomes) and the
 * engine's (`ir_…`, recorded through the workflow and activity metric meters) on one `/metrics`.
 */
import type { MetricsExporterConfig } from '@temporalio/worker';

/** Durations the engine records in seconds: incidents take minutes to days, IdP calls milliseconds. */
const INCIDENT_BUCKETS = [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 4 * 3600, 12 * 3600, 86400, 7 * 86400];
const CALL_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

export function workerMetricsExporter(at: { host: string; port: number }): MetricsExporterConfig {
  const host = at.host.includes(':') ? `[${at.host}]` : at.host;
  return {
    prometheus: {
      bindAddress: `${host}:${at.port}`,
      // Seconds, as Prometheus names them; the SDK's durations too.
      useSecondsForDurations: true,
      histogramBucketOverrides: {
        ir_incident_time_to_detect_seconds: INCIDENT_BUCKETS,
        ir_incident_time_to_contain_seconds: INCIDENT_BUCKETS,
        ir_incident_time_to_recover_seconds: INCIDENT_BUCKETS,
        ir_approval_wait_seconds: INCIDENT_BUCKETS,
        ir_idp_call_duration_seconds: CALL_BUCKETS,
      },
    },
  };
}
