/**
 * Once per test run: a real Temporal (the dev server, or with IR_TEMPORAL=cluster go.temporal.io/server
 * on PostgreSQL from scripts/temporal-cluster.sh) and a real Keycloak (reused when TEMPORAL_ADDRESS /
 * KEYCLOAK_URL point at running ones), search attributes registered, the workflow bundle built.
 */
import { Connection } from '@temporalio/client';
import { bundleWorkflowCode } from '@temporalio/worker';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { startKeycloak, startTemporal, startTemporalCluster } from '../scripts/runtime/services';
import { FAILURE_CONVERTER_PATH } from '../codec/data-converter';
import { ensureSearchAttributes } from '../worker/search-attributes';
import { TEST_ENV_FILE, TestEnv } from './support/env';

export default async function globalSetup(): Promise<void> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'ir-test-'));
  mkdirSync(path.dirname(TEST_ENV_FILE), { recursive: true });
  const logDir = path.join(path.dirname(TEST_ENV_FILE), 'logs');
  mkdirSync(logDir, { recursive: true });

  const [temporal, keycloak] = await Promise.all([
    process.env.TEMPORAL_ADDRESS
      ? Promise.resolve({ url: process.env.TEMPORAL_ADDRESS })
      : process.env.IR_TEMPORAL === 'cluster'
        ? startTemporalCluster({
            port: 27433,
            pgPort: 25433,
            logFile: path.join(logDir, 'temporal-cluster.log'),
          })
        : startTemporal({
            port: 27233,
            uiPort: 28233,
            db: 'memory',
            headless: true,
            logFile: path.join(logDir, 'temporal.log'),
          }),
    process.env.KEYCLOAK_URL
      ? Promise.resolve({ url: process.env.KEYCLOAK_URL })
      : startKeycloak({
          port: 28080,
          managementPort: 29000,
          dataDir: path.join(work, 'keycloak'),
          logFile: path.join(logDir, 'keycloak.log'),
        }),
  ]);

  const connection = await Connection.connect({ address: temporal.url });
  await ensureSearchAttributes(connection, 'default');
  await connection.close();

  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../workflows'),
    failureConverterPath: FAILURE_CONVERTER_PATH,
    logger: quietLogger,
  });
  const bundlePath = path.join(work, 'workflow-bundle.js');
  writeFileSync(bundlePath, bundle.code);

  const env: TestEnv = { temporal, keycloak, workDir: work, workflowBundlePath: bundlePath };
  writeFileSync(TEST_ENV_FILE, JSON.stringify(env, null, 2));
}

const noop = () => undefined;
const quietLogger = {
  trace: noop,
  debug: noop,
  info: noop,
  warn: console.warn,
  error: console.error,
  log: noop,
};
