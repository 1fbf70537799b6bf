/**
 * The servers a benchmark measures against: the running ones named by TEMPORAL_ADDRESS and
 * KEYCLOAK_URL, or fresh ones on the test ports (stopped by `stop`).
 */
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes } from 'node:crypto';
import type { EngineConfig } from '../config/config';
import { startKeycloak, startTemporal, stopService } from '../scripts/runtime/services';
import { ENGINE_CLIENT } from '../test/support/keycloak';

export async function benchServers(opts: { keycloak?: boolean } = {}) {
  const work = mkdtempSync(path.join(os.tmpdir(), 'ir-bench-'));
  const temporal = process.env.TEMPORAL_ADDRESS
    ? { url: process.env.TEMPORAL_ADDRESS }
    : await startTemporal({
        port: 27233,
        uiPort: 28233,
        db: 'memory',
        headless: true,
        logFile: path.join(work, 'temporal.log'),
      });
  const keycloak = process.env.KEYCLOAK_URL
    ? { url: process.env.KEYCLOAK_URL }
    : opts.keycloak === false
      ? { url: 'http://127.0.0.1:9' } // not needed (ingest); nothing listens there
      : await startKeycloak({
          port: 28080,
          managementPort: 29000,
          dataDir: path.join(work, 'kc'),
          logFile: path.join(work, 'kc.log'),
        });
  const config: EngineConfig = {
    temporal: { address: temporal.url, namespace: 'default', taskQueue: `bench-${Date.now()}` },
    keycloak: { baseUrl: keycloak.url, clientId: ENGINE_CLIENT.id, clientSecret: ENGINE_CLIENT.secret },
    evidenceDir: path.join(work, 'evidence'),
    api: { host: '127.0.0.1', port: 0, corsOrigins: [] },
    detectionSources: [],
    auth: { mode: 'dev' },
    // Measured as production runs: payloads encrypted.
    principalKeySecret: Buffer.from(randomBytes(32).toString('base64')), // a text secret, as the environment gives it
    payloads: { mode: 'encrypted', keys: [{ id: 'bench', key: randomBytes(32) }] },
  };
  return {
    config,
    keycloakUrl: keycloak.url,
    stop: async () => {
      await stopService(temporal);
      await stopService(keycloak);
    },
  };
}
