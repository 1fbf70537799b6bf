/**
 * `npm start`: everything the default needs, on this machine. Starts (or reuses) the Temporal dev
 * server with its Web UI and, unless another identity provider is configured, the pinned local
 * Keycloak with the `corp` realm; then the worker and the REST API, each waited for until ready.
 * Progress goes to the terminal while first-time builds and downloads run; a failure is one line
 * naming what failed and the log to read. Ctrl-C stops what it started.
 */
import { Connection } from '@temporalio/client';
import { ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createInterface } from 'node:readline';
import { generatePayloadKeySpec } from '../codec/payload-codec';
import { ensureSearchAttributes } from '../worker/search-attributes';
import { StartedService, startKeycloak, startTemporal, stopService } from './runtime/services';

const ROOT = path.resolve(__dirname, '..', '..');
const DIST = path.resolve(__dirname, '..');
const say = (line: string) => console.log(`start: ${line}`);

/** Makes a local secret once (mode 0600), so what is derived from it survives restarts. */
function localSecret(file: string, make: () => string, what: string): string {
  if (!existsSync(file)) {
    writeFileSync(file, make() + '\n', { mode: 0o600 });
    say(`generated ${what} in ${file}`);
  }
  return file;
}

/** Runs an engine process, its output passed through; resolves when `ready` is seen in it. */
function engineProcess(
  name: string,
  env: NodeJS.ProcessEnv,
  ready: RegExp,
): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, [path.join(DIST, name, 'main.js')], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ready$ = new Promise<void>((resolve, reject) => {
    const pass = (stream: NodeJS.ReadableStream, out: NodeJS.WriteStream) =>
      createInterface({ input: stream }).on('line', (line) => {
        out.write(line + '\n');
        if (ready.test(line)) resolve();
      });
    pass(child.stdout!, process.stdout);
    pass(child.stderr!, process.stderr);
    child.once('exit', (code) =>
      reject(new Error(`the ${name} exited with code ${code} before it was ready (its output is above)`)),
    );
  });
  return { child, ready: ready$ };
}

async function main(): Promise<void> {
  const runtime = path.join(ROOT, '.runtime');
  mkdirSync(runtime, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Readable lines in a terminal; production keeps the default JSON (LOG_FORMAT=json).
  env.LOG_FORMAT ??= 'pretty';
  const lab = env.LAB_IDP === 'on';
  const localKeycloak = !lab && !env.KEYCLOAK_URL && !env.IR_CONFIG;
  if (lab) {
    // The zero-dependency demo: the worker hosts the lab identity provider; no Keycloak needed.
    env.AUTH_MODE ??= 'dev';
    say('LAB_IDP=on: the worker hosts the in-process lab identity provider (a demo)');
  } else if (localKeycloak) {
    env.IR_CONFIG = path.join(ROOT, 'config', 'local-keycloak.json');
    say(`no KEYCLOAK_URL or IR_CONFIG set: starting the local Keycloak, settings in ${env.IR_CONFIG}`);
  }
  const port = Number(env.TEMPORAL_PORT ?? 7233);
  const uiPort = Number(env.TEMPORAL_UI_PORT ?? 8233);
  env.TEMPORAL_ADDRESS ??= `127.0.0.1:${port}`;
  env.TEMPORAL_UI_URL ??= `http://127.0.0.1:${uiPort}`;
  env.EVIDENCE_DIR ??= path.join(runtime, 'evidence');
  if (!env.PAYLOAD_KEYS && !env.PAYLOAD_KEYS_FILE && !env.PAYLOAD_ENCRYPTION)
    // A local key: histories in .runtime/temporal.db stay readable across restarts.
    env.PAYLOAD_KEYS_FILE = localSecret(
      path.join(runtime, 'payload-keys'),
      () => generatePayloadKeySpec('local-1'),
      'a payload encryption key',
    );
  if (!env.PRINCIPAL_KEY_SECRET && !env.PRINCIPAL_KEY_SECRET_FILE)
    // Incident ids derived from it stay the same across restarts.
    env.PRINCIPAL_KEY_SECRET_FILE = localSecret(
      path.join(runtime, 'principal-key-secret'),
      () => randomBytes(32).toString('base64'),
      'the principal-name key',
    );
  const apiUrl = `http://${env.API_HOST ?? '127.0.0.1'}:${env.API_PORT ?? 3000}`;

  const started: StartedService[] = [];
  const children: ChildProcess[] = [];
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(
      children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    for (const service of started.reverse()) await stopService(service);
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));

  try {
    const temporalLog = path.join(runtime, 'temporal.log');
    say(
      `Temporal dev server on ${env.TEMPORAL_ADDRESS} (the CLI is built with Go on first use: minutes, once; log ${temporalLog})`,
    );
    const keycloakLog = path.join(runtime, 'keycloak.log');
    // Both at once: Keycloak's first download and start overlap the Temporal build.
    const [temporal, keycloak] = await Promise.all([
      startTemporal({
        port,
        uiPort,
        db: env.TEMPORAL_DB ?? path.join(runtime, 'temporal.db'),
        headless: false,
        logFile: temporalLog,
        codecEndpoint: `${apiUrl}/codec`, // the UI decrypts through the API (authenticated, CORS)
        progress: say,
      }).then((s) => (started.push(s), s)),
      localKeycloak
        ? (say(
            `Keycloak on http://127.0.0.1:18080 (downloaded from Maven Central on first use; log ${keycloakLog})`,
          ),
          startKeycloak({
            port: 18080,
            managementPort: 19000,
            dataDir: path.join(runtime, 'keycloak'),
            logFile: keycloakLog,
            progress: say,
          }).then((s) => (started.push(s), s)))
        : undefined,
    ]);
    say(`Temporal ready${temporal.pid ? '' : ' (reused a running server)'}`);
    if (keycloak) say(`Keycloak ready, realm corp${keycloak.pid ? '' : ' (reused a running server)'}`);
    const connection = await Connection.connect({ address: env.TEMPORAL_ADDRESS });
    await ensureSearchAttributes(connection, env.TEMPORAL_NAMESPACE ?? 'default');
    await connection.close();

    const worker = engineProcess('worker', env, /polling task queue/);
    children.push(worker.child);
    await worker.ready;
    const api = engineProcess('api', env, /listening on http/);
    children.push(api.child);
    await api.ready;
    for (const child of children) child.once('exit', (code) => void stop(code ?? 1));

    console.log(
      [
        '',
        '  Ready.',
        `  REST API      ${apiUrl}`,
        `  OpenAPI       ${apiUrl}/openapi.json  (browse: ${apiUrl}/docs)`,
        `  Metrics       ${apiUrl}/metrics  (API)   http://${env.WORKER_METRICS_HOST ?? '127.0.0.1'}:${env.WORKER_METRICS_PORT ?? 9464}/metrics  (worker)`,
        `  Temporal UI   ${env.TEMPORAL_UI_URL}/namespaces/default/workflows`,
        `  Temporal      ${env.TEMPORAL_ADDRESS}`,
        ...(keycloak
          ? [`  Keycloak      ${keycloak.url}/admin/master/console/#/corp  (admin / admin, loopback only)`]
          : []),
        ...(lab ? [`  Lab IdP       http://127.0.0.1:${env.LAB_IDP_PORT ?? 18090}/realms/lab`] : []),
        `  Evidence      ${env.EVIDENCE_DIR}`,
        '  Ctrl-C stops everything started here.',
        '',
      ].join('\n'),
    );
  } catch (err) {
    console.error(`start: ${err instanceof Error ? err.message : String(err)}`);
    await stop(1);
  }
}

main().catch((err) => {
  console.error(`start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
