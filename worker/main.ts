/** Worker process: runs playbooks and their activities until SIGINT/SIGTERM. */
import { Connection } from '@temporalio/client';
import { DefaultLogger, LogLevel, Runtime } from '@temporalio/worker';
import { loadConfig } from '../config/config';
import { ensureSearchAttributes } from './search-attributes';
import { createWorker } from './worker';

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger((process.env.LOG_LEVEL as LogLevel | undefined) ?? 'WARN') });
  const config = loadConfig();
  if (!config.keycloak)
    console.warn('worker: KEYCLOAK_URL is not set; Keycloak incidents will fail until it is');
  const operator = await Connection.connect({ address: config.temporal.address });
  try {
    const added = await ensureSearchAttributes(operator, config.temporal.namespace);
    if (added.length) console.log(`worker: registered search attributes ${added.join(', ')}`);
  } catch (err) {
    console.warn(
      `worker: could not register search attributes (${(err as Error).message}); register them as the README says`,
    );
  } finally {
    await operator.close();
  }
  const worker = await createWorker(config);
  console.log(`worker: polling task queue '${config.temporal.taskQueue}' on ${config.temporal.address}`);
  await worker.run();
}

main().catch((err) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
