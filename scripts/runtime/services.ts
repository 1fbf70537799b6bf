/**
 * Starts (or reuses) the local Temporal dev server and Keycloak for `npm start` and the test suite.
 * Both are real servers provisioned by this project's scripts; nothing is mocked.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

const ROOT = path.resolve(__dirname, '..', '..').replace(/[\\/]dist$/, '');

export interface StartedService {
  url: string;
  /** Undefined when an already running server was reused. */
  pid?: number;
}

export async function portOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.setTimeout(1000, () => (socket.destroy(), resolve(false)));
  });
}

/** The last non-empty lines of a log, for a failure or progress line. */
export function logTail(logFile: string | undefined, lines = 1): string {
  if (!logFile || !existsSync(logFile)) return '';
  const text = readFileSync(logFile, 'utf8').slice(-8192);
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(-lines)
    .join('\n');
}

/** Where a starting service's progress goes (nothing in the test suite, a line a while in `npm start`). */
export type Progress = (line: string) => void;

async function waitFor(
  what: string,
  check: () => Promise<boolean>,
  timeoutMs: number,
  child?: ChildProcess,
  watch: { logFile?: string; progress?: Progress } = {},
): Promise<void> {
  const started = Date.now();
  const deadline = started + timeoutMs;
  let nextNote = started + 15_000;
  const seeLog = watch.logFile ? ` (log: ${watch.logFile})` : '';
  const lastLines = () => {
    const tail = logTail(watch.logFile, 5);
    return tail ? `; last lines:\n${tail.replace(/^/gm, '    ')}` : '';
  };
  while (Date.now() < deadline) {
    if (child && child.exitCode !== null)
      throw new Error(
        `${what} exited with code ${child.exitCode} before it was ready${seeLog}${lastLines()}`,
      );
    if (await check().catch(() => false)) return;
    if (watch.progress && Date.now() >= nextNote) {
      const last = logTail(watch.logFile).slice(0, 160);
      watch.progress(
        `${what}: still starting after ${Math.round((Date.now() - started) / 1000)} s${last ? ` — ${last}` : ''}`,
      );
      nextNote = Date.now() + 15_000;
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${what} was not ready after ${Math.round(timeoutMs / 1000)} s${seeLog}${lastLines()}`);
}

function launch(script: string, env: Record<string, string>, logFile: string): ChildProcess {
  const out = openSync(logFile, 'w'); // this start's output only: a failure's last lines are its own
  const child = spawn('bash', [path.join(ROOT, 'scripts', script)], {
    cwd: ROOT,
    env: { ...process.env, ...env },
    detached: true, // its own process group, so stopping it also stops the JVM / server it execs
    stdio: ['ignore', out, out],
  });
  child.unref();
  return child;
}

export async function startTemporal(opts: {
  port: number;
  uiPort: number;
  db: string;
  headless: boolean;
  logFile: string;
  /** Remote codec the Web UI calls to decrypt payloads (the API's /codec). */
  codecEndpoint?: string;
  progress?: Progress;
}): Promise<StartedService> {
  const url = `127.0.0.1:${opts.port}`;
  if (await portOpen('127.0.0.1', opts.port)) return { url };
  const child = launch(
    'temporal.sh',
    {
      TEMPORAL_PORT: String(opts.port),
      TEMPORAL_UI_PORT: String(opts.uiPort),
      TEMPORAL_DB: opts.db,
      TEMPORAL_HEADLESS: opts.headless ? '1' : '0',
      TEMPORAL_UI_CODEC_ENDPOINT: opts.codecEndpoint ?? '',
    },
    opts.logFile,
  );
  // The first run may build the Temporal CLI with Go (minutes); later runs start in seconds.
  await waitFor('Temporal dev server', () => portOpen('127.0.0.1', opts.port), 20 * 60_000, child, opts);
  return { url, pid: child.pid };
}

/**
 * The production-shaped Temporal (scripts/temporal-cluster.sh): go.temporal.io/server on its own
 * PostgreSQL, from a fresh database each time. Ready once the frontend answers and `default` exists.
 */
export async function startTemporalCluster(opts: {
  port: number;
  pgPort: number;
  logFile: string;
}): Promise<StartedService> {
  const url = `127.0.0.1:${opts.port}`;
  if (await portOpen('127.0.0.1', opts.port)) return { url };
  const child = launch(
    'temporal-cluster.sh',
    {
      TEMPORAL_PORT: String(opts.port),
      TEMPORAL_PG_PORT: String(opts.pgPort),
      TEMPORAL_CLUSTER_DIR: 'fresh',
    },
    opts.logFile,
  );
  // The first run builds the server with Go (minutes); it prints "ready" once `default` exists.
  await waitFor(
    'Temporal server on PostgreSQL',
    async () => readFileSync(opts.logFile, 'utf8').includes(`temporal-cluster: ready on ${url}`),
    20 * 60_000,
    child,
    { logFile: opts.logFile },
  );
  return { url, pid: child.pid };
}

export async function startKeycloak(opts: {
  port: number;
  managementPort: number;
  dataDir: string;
  logFile: string;
  progress?: Progress;
}): Promise<StartedService> {
  const url = `http://127.0.0.1:${opts.port}`;
  const ready = async () => (await fetch(`http://127.0.0.1:${opts.managementPort}/health/ready`)).ok;
  if (await ready().catch(() => false)) return { url };
  const child = launch(
    'keycloak.sh',
    {
      KEYCLOAK_PORT: String(opts.port),
      KEYCLOAK_MANAGEMENT_PORT: String(opts.managementPort),
      KEYCLOAK_DATA_DIR: opts.dataDir,
    },
    opts.logFile,
  );
  // First run downloads Keycloak from Maven Central; start-up itself takes 20-60 s on 2 cores.
  await waitFor('Keycloak', ready, 10 * 60_000, child, opts);
  await waitFor(
    'Keycloak realm corp',
    async () => (await fetch(`${url}/realms/corp`)).ok,
    60_000,
    child,
    opts,
  );
  return { url, pid: child.pid };
}

/** Stops a service this module started (its whole process group). */
export async function stopService(service: StartedService): Promise<void> {
  if (!service.pid) return;
  try {
    process.kill(-service.pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    try {
      process.kill(-service.pid, 0);
    } catch {
      return;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  try {
    process.kill(-service.pid, 'SIGKILL');
  } catch {
    /* already gone */
  }
}
