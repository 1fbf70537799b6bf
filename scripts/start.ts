/**
 * `npm start`: the embedded default. Starts (or reuses) the Temporal dev server with its Web UI,
 * then the worker and the REST API, and says where everything is. Ctrl-C stops what it started.
 */
import { Connection } from '@temporalio/client';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { generatePayloadKeySpec } from '../codec/payload-codec';
import * as path from 'node:path';
import { ensureSearchAttributes } from '../worker/search-attributes';
import { StartedService, startTemporal, stopService } from './runtime/services';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.resolve(__dirname, '..');

async function main(): Promise<void> {
  const runtime = path.join(ROOT, '.runtime');
  mkdirSync(runtime, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  const lab = env.LAB_IDP === 'on';
  if (lab) {
    // The zero-dependency demo: the worker hosts the lab identity provider; no Keycloak needed.
    env.AUTH_MODE ??= 'dev';
    console.log('start: LAB_IDP=on: the worker hosts the in-process lab identity provider (a demo)');
  } else if (!env.KEYCLOAK_URL && !env.IR_CONFIG) {
    env.IR_CONFIG = path.join(ROOT, 'config', 'local-keycloak.json');
    console.log(
      `start: no KEYCLOAK_URL or IR_CONFIG set; using the local Keycloak settings in ${env.IR_CONFIG}`,
    );
    console.log('start: run `npm run keycloak` in another terminal to start that Keycloak');
  }
  const port = Number(env.TEMPORAL_PORT ?? 7233);
  const uiPort = Number(env.TEMPORAL_UI_PORT ?? 8233);
  env.TEMPORAL_ADDRESS ??= `127.0.0.1:${port}`;
  env.TEMPORAL_UI_URL ??= `http://127.0.0.1:${uiPort}`;
  env.EVIDENCE_DIR ??= path.join(runtime, 'evidence');
  if (!env.PAYLOAD_KEYS && !env.PAYLOAD_KEYS_FILE && !env.PAYLOAD_ENCRYPTION) {
    // A local key, made once: histories in .runtime/temporal.db stay readable across restarts.
    env.PAYLOAD_KEYS_FILE = path.join(runtime, 'payload-keys');
    if (!existsSync(env.PAYLOAD_KEYS_FILE)) {
      writeFileSync(env.PAYLOAD_KEYS_FILE, generatePayloadKeySpec('local-1') + '\n', { mode: 0o600 });
      console.log(`start: generated a payload encryption key in ${env.PAYLOAD_KEYS_FILE}`);
    }
  }
  if (!env.PRINCIPAL_KEY_SECRET && !env.PRINCIPAL_KEY_SECRET_FILE) {
    // Made once too: incident ids derived from it stay the same across restarts.
    env.PRINCIPAL_KEY_SECRET_FILE = path.join(runtime, 'principal-key-secret');
    if (!existsSync(env.PRINCIPAL_KEY_SECRET_FILE)) {
      writeFileSync(env.PRINCIPAL_KEY_SECRET_FILE, randomBytes(32).toString('base64') + '\n', {
        mode: 0o600,
      });
      console.log(`start: generated the principal-name key in ${env.PRINCIPAL_KEY_SECRET_FILE}`);
    }
  }
  const apiUrl = `http://${env.API_HOST ?? '127.0.0.1'}:${env.API_PORT ?? 3000}`;

  console.log('start: Temporal dev server (built on first use; this can take a few minutes once)');
  const temporal: StartedService = await startTemporal({
    port,
    uiPort,
    db: env.TEMPORAL_DB ?? path.join(runtime, 'temporal.db'),
    headless: false,
    logFile: path.join(runtime, 'temporal.log'),
    codecEndpoint: `${apiUrl}/codec`, // the UI decrypts through the API (authenticated, CORS)
  });
  const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
  await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE ?? 'default');
  await connection.close();

  const children: ChildProcess[] = [
    spawn(process.execPath, [path.join(DIST, 'worker', 'main.js')], { env, stdio: 'inherit' }),
    spawn(process.execPath, [path.join(DIST, 'api', 'main.js')], { env, stdio: 'inherit' }),
  ];
  console.log(
    [
      '',
      `  REST API      ${apiUrl}`,
      `  OpenAPI       ${apiUrl}/openapi.json  (browse: ${apiUrl}/docs)`,
      `  Temporal UI   ${env.TEMPORAL_UI_URL}/namespaces/default/workflows`,
      `  Temporal      ${env.TEMPORAL_ADDRESS}${temporal.pid ? '' : ' (reused a running server)'}`,
      `  Evidence      ${env.EVIDENCE_DIR}`,
      ...(lab ? [`  Lab IdP       http://127.0.0.1:${env.LAB_IDP_PORT ?? 18090}/realms/lab`] : []),
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    await stopService(temporal);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  for (const child of children) child.once('exit', (code) => void stop(code ?? 1));
}

main().catch((err) => {
  console.error(`start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
