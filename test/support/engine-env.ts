/**
 * An engine configuration as the environment a production entry point (worker/main.ts,
 * api/main.ts) reads: what a test or benchmark hands a process it starts.
 */
import type { EngineConfig } from '../../config/config';

export function engineEnv(c: EngineConfig): Record<string, string | undefined> {
  if (c.payloads?.mode !== 'encrypted') throw new Error('engineEnv: the config must encrypt payloads');
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    TEMPORAL_ADDRESS: c.temporal.address,
    TEMPORAL_NAMESPACE: c.temporal.namespace,
    TEMPORAL_TASK_QUEUE: c.temporal.taskQueue,
    KEYCLOAK_URL: c.keycloak?.baseUrl,
    KEYCLOAK_CLIENT_ID: c.keycloak?.clientId,
    KEYCLOAK_CLIENT_SECRET: c.keycloak?.clientSecret,
    EVIDENCE_DIR: c.evidenceDir,
    PAYLOAD_KEYS: c.payloads.keys.map((k) => `${k.id}:${k.key.toString('base64')}`).join(','),
    PRINCIPAL_KEY_SECRET: c.principalKeySecret?.toString('utf8'),
    // Off unless asked for: every worker process would otherwise bind the default port.
    WORKER_METRICS_HOST: c.workerMetrics?.host,
    WORKER_METRICS_PORT: c.workerMetrics ? String(c.workerMetrics.port) : 'off',
  };
}
