/** Worker process: runs playbooks, detectors and their activities until SIGINT/SIGTERM. */
import type { Connection } from '@temporalio/client';
import { connectClient } from '../client/connect';
import { S3EvidenceStore } from '../evidence/s3-store';
import { Runtime } from '@temporalio/worker';
import { redactingLogger, sdkLevel } from './logger';
import { serviceLogger } from '../telemetry/log';
import { startTracing } from '../telemetry/tracing';
import { workerMetricsExporter } from './metrics';
import { loadConfig } from '../config/config';
import { ensureDetectors, ensureSsfReceivers } from './detectors';
import { ensureSearchAttributes } from './search-attributes';
import { createWorker } from './worker';
import { startDemoLab } from '../lab/demo';

const log = serviceLogger('worker');

async function main(): Promise<void> {
  const config = loadConfig();
  Runtime.install({
    // LOG_LEVEL filters the SDK's lines (WARN when unset); the engine's own are kept from info.
    logger: redactingLogger(sdkLevel(process.env.LOG_LEVEL), log),
    ...(config.workerMetrics
      ? { telemetryOptions: { metrics: workerMetricsExporter(config.workerMetrics) } }
      : {}),
  });
  if (config.workerMetrics)
    log.info(`metrics on http://${config.workerMetrics.host}:${config.workerMetrics.port}/metrics`);
  if (!config.keycloak && !config.lab)
    log.warn('KEYCLOAK_URL is not set; Keycloak incidents will fail until it is');
  // The lab identity provider only when configured (LAB_IDP=on): never instead of Keycloak.
  const lab = config.lab
    ? await startDemoLab(config.lab, `http://${config.api.host}:${config.api.port}`)
    : undefined;
  if (config.evidenceS3) {
    // Evidence without a lock is not evidence: refuse to run rather than write it unprotected.
    await new S3EvidenceStore(config.evidenceS3).assertLocked();
  }
  const tracing = startTracing('ir-worker');
  if (tracing) log.info('tracing: spans go to the configured OTLP endpoint');
  const client = await connectClient(config);
  const connection = client.connection as Connection;
  try {
    const added = await ensureSearchAttributes(connection, config.temporal.namespace);
    if (added.length) log.info(`registered search attributes ${added.join(', ')}`);
  } catch (err) {
    log.warn(
      `could not register search attributes (${(err as Error).message}); register them as the README says`,
    );
  }
  // A bundle built ahead of time (WORKFLOW_BUNDLE_PATH) makes a restarted worker poll in about a
  // second instead of bundling the workflows again: it matters after a crash.
  const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
  const worker = await createWorker(config, client, {
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    lab: lab?.connector,
    tracing,
  });
  log.info(`polling task queue '${config.temporal.taskQueue}' on ${config.temporal.address}`);
  if (lab) log.info(lab.instructions);
  // Detectors are ensured once the worker runs: a running detector takes its new configuration
  // through an update that this worker answers.
  const running = worker.run();
  await ensureDetectors(client, config).catch((err: Error) =>
    log.error(`could not ensure detectors (${err.message})`),
  );
  await ensureSsfReceivers(client, config).catch((err: Error) =>
    log.error(`could not start the SSF receivers (${err.message})`),
  );
  try {
    await running;
  } finally {
    await lab?.idp.stop();
    await connection.close();
    await tracing?.shutdown();
  }
}

main().catch((err) => {
  log.fatal(err instanceof Error ? err.message : String(err));
  process.exit(1);
});
