/** Worker process: runs playbooks, detectors and their activities until SIGINT/SIGTERM. */
import type { Connection } from '@temporalio/client';
import { connectClient } from '../client/connect';
import { S3EvidenceStore } from '../evidence/s3-store';
import { LogLevel, Runtime } from '@temporalio/worker';
import { redactingLogger } from './logger';
import { loadConfig } from '../config/config';
import { ensureDetectors } from './detectors';
import { ensureSearchAttributes } from './search-attributes';
import { createWorker } from './worker';
import { startDemoLab } from '../lab/demo';

async function main(): Promise<void> {
  Runtime.install({ logger: redactingLogger((process.env.LOG_LEVEL as LogLevel | undefined) ?? 'WARN') });
  const config = loadConfig();
  if (!config.keycloak && !config.lab)
    console.warn('worker: KEYCLOAK_URL is not set; Keycloak incidents will fail until it is');
  // The lab identity provider only when configured (LAB_IDP=on): never instead of Keycloak.
  const lab = config.lab
    ? await startDemoLab(config.lab, `http://${config.api.host}:${config.api.port}`)
    : undefined;
  if (config.evidenceS3) {
    // Evidence without a lock is not evidence: refuse to run rather than write it unprotected.
    await new S3EvidenceStore(config.evidenceS3).assertLocked();
  }
  const client = await connectClient(config);
  const connection = client.connection as Connection;
  try {
    const added = await ensureSearchAttributes(connection, config.temporal.namespace);
    if (added.length) console.log(`worker: registered search attributes ${added.join(', ')}`);
  } catch (err) {
    console.warn(
      `worker: could not register search attributes (${(err as Error).message}); register them as the README says`,
    );
  }
  // A bundle built ahead of time (WORKFLOW_BUNDLE_PATH) makes a restarted worker poll in about a
  // second instead of bundling the workflows again: it matters after a crash.
  const bundlePath = process.env.WORKFLOW_BUNDLE_PATH;
  const worker = await createWorker(config, client, {
    ...(bundlePath ? { workflowBundle: { codePath: bundlePath } } : {}),
    lab: lab?.connector,
  });
  console.log(`worker: polling task queue '${config.temporal.taskQueue}' on ${config.temporal.address}`);
  if (lab) console.log(`worker: ${lab.instructions}`);
  // Detectors are ensured once the worker runs: a running detector takes its new configuration
  // through an update that this worker answers.
  const running = worker.run();
  await ensureDetectors(client, config).catch((err: Error) =>
    console.error(`worker: could not ensure detectors (${err.message})`),
  );
  try {
    await running;
  } finally {
    await lab?.idp.stop();
    await connection.close();
  }
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
