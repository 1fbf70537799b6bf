/**
 * Benchmark: mass containment. N accounts in Keycloak, each with a session; N critical incidents
 * opened through the API as a burst; the time until every one is verified as contained, beside the
 * same core Keycloak calls made directly for N other accounts at the same concurrency. Then the
 * same through a rate limiter in front of Keycloak (429 with Retry-After past the allowed rate):
 * the rate the engine achieves against the allowed one, failed incidents, and destructive actions
 * Keycloak recorded more than once for one account (its admin events). Prints figures; asserts
 * nothing. The API runs in a process of its own (as deployed: worker and API memory apart).
 * Uses running servers when TEMPORAL_ADDRESS / KEYCLOAK_URL are set, else starts them.
 *
 *   npm run bench:mass -- [N=200] [concurrency=50] [limited N=60] [allowed requests/s=20]
 */
import * as http from 'node:http';
import * as path from 'node:path';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Client, Connection } from '@temporalio/client';
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';
import { connectClient } from '../client/connect';
import type { EngineConfig } from '../config/config';
import { KeycloakProvider } from '../providers/keycloak/connector';
import type { Principal } from '../domain/incident';
import { KeycloakTestClient, REALM, type TestUser } from '../test/support/keycloak';
import { engineEnv } from '../test/support/engine-env';
import { freePort } from '../test/support/engine-process';
import { benchServers } from './servers';
import { ensureSearchAttributes } from '../worker/search-attributes';
import { createWorker } from '../worker/worker';
import { LogNotifier } from '../activities/notifier';
import { incidentStateQuery } from '../workflows/definitions';

const N = Number(process.argv[2] ?? 200);
const CONCURRENCY = Number(process.argv[3] ?? 50);
const LIMITED_N = Number(process.argv[4] ?? 60);
const ALLOWED_PER_S = Number(process.argv[5] ?? 20);

/** Runs `fn` over `items`, at most `limit` at a time. */
async function pool<T>(items: T[], limit: number, fn: (item: T, i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await fn(items[i], i);
      }
    }),
  );
}

/** Accounts with a live session each (their sessions and refresh tokens are what containment cuts). */
async function accounts(kc: KeycloakTestClient, n: number, prefix: string): Promise<TestUser[]> {
  const users: TestUser[] = [];
  await pool(
    Array.from({ length: n }, (_, i) => i),
    8,
    async () => {
      const u = await kc.createUser(prefix);
      await kc.login(u);
      users.push(u);
    },
  );
  return users;
}

const principalOf = (u: TestUser): Principal => ({
  provider: 'keycloak',
  realm: REALM,
  username: u.username,
});

/** Verified containment means the incident got past `verify`; `containment-unverified` is a failure. */
const AFTER_VERIFIED = ['contained', 'investigate', 'eradicate', 'recover', 'recovered', 'review', 'closed'];

interface EngineRun {
  ms: number;
  verified: number;
  failed: number;
  /** The worker's process (with the bench's own load generator) and the API's, apart. */
  memory: { rssMb: number; heapMb: number; apiRssMb: number };
}

/** Resident memory of a process, from /proc (bytes; 0 once it is gone). */
function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** The production API entry point (dist/api/main.js) in its own process, configured like the worker. */
async function startApi(
  config: EngineConfig,
): Promise<{ url: string; pid: number; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(process.execPath, [path.resolve(__dirname, '..', 'api', 'main.js')], {
    env: {
      ...engineEnv(config),
      AUTH_MODE: 'dev',
      API_HOST: '127.0.0.1',
      API_PORT: String(port),
      API_RATE_LIMIT: 'off',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (c: Buffer) => {
      output += c.toString();
      if (output.includes('listening on http')) resolve();
    });
    child.stderr!.on('data', (c: Buffer) => (output += c.toString()));
    child.once('exit', (code) => reject(new Error(`the API exited (${code}):\n${output}`)));
  });
  child.removeAllListeners('exit');
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    stop: async () => {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Opens one incident per account through the API as a burst and waits until all are verified. */
async function engineRun(config: EngineConfig, client: Client, users: TestUser[]): Promise<EngineRun> {
  const tuning = process.env.BENCH_WORKER_TUNING
    ? (JSON.parse(process.env.BENCH_WORKER_TUNING) as Record<string, unknown>)
    : {};
  const worker = await createWorker(config, client, {
    notifier: new LogNotifier(() => undefined),
    ...tuning,
  });
  const running = worker.run();
  // The API in a process of its own, as deployed, so worker and API memory are measured apart.
  const apiProcess = await startApi(config);
  const api = apiProcess.url;
  let peakRss = 0;
  let peakHeap = 0;
  let peakApiRss = 0;
  const sample = setInterval(() => {
    const m = process.memoryUsage();
    peakRss = Math.max(peakRss, m.rss);
    peakHeap = Math.max(peakHeap, m.heapUsed);
    peakApiRss = Math.max(peakApiRss, rssOf(apiProcess.pid));
  }, 250);
  const queue = `TaskQueue = '${config.temporal.taskQueue}'`;
  const count = async (phases: string[]) =>
    (await client.workflow.count(`${queue} AND IncidentPhase IN (${phases.map((p) => `'${p}'`).join(', ')})`))
      .count;

  const t0 = performance.now();
  let unconfirmed = 0;
  await pool(users, CONCURRENCY, async (u) => {
    const res = await fetch(`${api}/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-actor': 'bench' },
      body: JSON.stringify({
        playbook: 'compromised-credential',
        principal: principalOf(u),
        severity: 'critical',
        summary: 'mass containment benchmark',
      }),
    });
    // 202: started, but no worker confirmed the alert within the API's wait (counted, not an error).
    if (res.status === 202) unconfirmed++;
    else if (res.status !== 201 && res.status !== 200)
      throw new Error(`POST /incidents: ${res.status} ${await res.text()}`);
  });
  const openedMs = performance.now() - t0;
  let verified = 0;
  let failed = 0;
  for (;;) {
    const [ok, unverified, ended] = await Promise.all([
      count(AFTER_VERIFIED),
      count(['containment-unverified']),
      client.workflow.count(`${queue} AND ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut')`),
    ]);
    verified = ok;
    failed = unverified + ended.count;
    if (verified + failed >= users.length) break;
    if (performance.now() - t0 > 30 * 60_000) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const ms = performance.now() - t0;
  clearInterval(sample);
  // Why the ones that failed failed (their own words, from the timeline).
  const reasons = new Map<string, number>();
  for await (const wf of client.workflow.list({
    query: `${queue} AND IncidentPhase = 'containment-unverified'`,
  })) {
    const state = await client.workflow.getHandle(wf.workflowId).query(incidentStateQuery);
    const why =
      [...state.timeline].reverse().find((t) => /NOT verified|FAILED/.test(t.message))?.message ?? '?';
    const key = why.replace(/bench-\S+|mass\w*-[0-9a-f]+/g, '…').slice(0, 300);
    reasons.set(key, (reasons.get(key) ?? 0) + 1);
    for (const a of state.actions.filter((x) => x.status === 'failed')) {
      const error = `  ${a.action} failed: ${a.error ?? '?'}`
        .replace(/mass\w*-[0-9a-f]+/g, '…')
        .slice(0, 300);
      reasons.set(error, (reasons.get(error) ?? 0) + 1);
    }
  }
  for await (const wf of client.workflow.list({
    query: `${queue} AND ExecutionStatus IN ('Failed', 'Terminated', 'TimedOut')`,
  })) {
    const why = await client.workflow
      .getHandle(wf.workflowId)
      .result()
      .then(
        () => 'ended',
        (err: Error) =>
          `workflow ${wf.status.name}: ${String((err.cause as Error | undefined)?.message ?? err.message)}`,
      );
    reasons.set(why.slice(0, 300), (reasons.get(why.slice(0, 300)) ?? 0) + 1);
  }
  for (const [why, n] of reasons) console.log(`  not verified (${n}): ${why}`);
  console.log(
    `  opened ${users.length} incidents in ${openedMs.toFixed(0)} ms through the API (${unconfirmed} answered 202: started, not yet confirmed by a worker)`,
  );
  await apiProcess.stop();
  worker.shutdown();
  await running;
  return {
    ms,
    verified,
    failed,
    memory: { rssMb: peakRss / 2 ** 20, heapMb: peakHeap / 2 ** 20, apiRssMb: peakApiRss / 2 ** 20 },
  };
}

/** The same Keycloak calls as containment, made directly, for each account, at the same concurrency. */
async function directRun(provider: KeycloakProvider, users: TestUser[]): Promise<number> {
  const { ports } = provider;
  const t0 = performance.now();
  await pool(users, CONCURRENCY, async (u) => {
    const p = principalOf(u);
    await ports['audit-source'].snapshot(p, 7 * 24 * 3600_000);
    await ports['account-containment'].requireReauthentication(p);
    await Promise.all([
      ports['sessions-and-tokens'].revokeSessions(p),
      ports['sessions-and-tokens'].revokeOfflineAccess(p),
    ]);
    await ports['account-containment'].disableAccount(p);
    await ports['account-containment'].verifyContainment(p, {
      containedAt: new Date().toISOString(),
      accountDisabled: true,
      suspectTokens: [],
    });
  });
  return performance.now() - t0;
}

/**
 * An HTTP proxy in front of Keycloak allowing `perSecond` requests a second in all
 * (rate-limiter-flexible); past that, 429 with Retry-After in whole seconds, as IdPs answer.
 */
async function rateLimitedProxy(target: string, perSecond: number) {
  const upstream = new URL(target);
  const limiter = new RateLimiterMemory({ points: perSecond, duration: 1 });
  const forwarded: number[] = [];
  const refused: number[] = [];
  const server = http.createServer((req, res) => {
    limiter.consume('idp').then(
      () => {
        forwarded.push(Date.now());
        const up = http.request(
          {
            host: upstream.hostname,
            port: upstream.port,
            method: req.method,
            path: req.url,
            headers: req.headers,
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            answer.pipe(res);
          },
        );
        up.on('error', () => {
          res.writeHead(502);
          res.end();
        });
        req.pipe(up);
      },
      (limited: RateLimiterRes) => {
        refused.push(Date.now());
        req.resume();
        res.writeHead(429, { 'retry-after': String(Math.max(1, Math.ceil(limited.msBeforeNext / 1000))) });
        res.end();
      },
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    forwarded,
    refused,
    stop: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(resolve));
    },
  };
}

/** Admin events Keycloak recorded more than once for one account: logouts and password resets. */
async function duplicatedActions(kc: KeycloakTestClient, users: TestUser[]): Promise<number> {
  let duplicated = 0;
  await pool(users, 8, async (u) => {
    for (const what of ['logout', 'reset-password']) {
      const events = await kc.admin<unknown[]>(
        'GET',
        `/admin-events?resourcePath=${encodeURIComponent(`users/${u.id}/${what}`)}&max=100`,
      );
      if (events.length > 1) duplicated += events.length - 1;
    }
  });
  return duplicated;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const servers = await benchServers();
  // INVESTIGATIONS_PER_WORKER as the worker reads it (to compare bounds on the same servers).
  if (process.env.INVESTIGATIONS_PER_WORKER)
    servers.config.investigationConcurrency = Number(process.env.INVESTIGATIONS_PER_WORKER);
  const client = await connectClient(servers.config);
  await ensureSearchAttributes(client.connection as Connection, 'default');
  const kc = new KeycloakTestClient(servers.keycloakUrl);
  const provider = new KeycloakProvider(servers.config.keycloak!);
  const f = (n: number, d = 0) =>
    n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });

  console.log(
    `mass containment: ${N} accounts, ${CONCURRENCY} at a time (creating ${2 * N} accounts with sessions)`,
  );
  const [engineUsers, directUsers] = [await accounts(kc, N, 'mass'), await accounts(kc, N, 'massd')];

  const engine = await engineRun(servers.config, client, engineUsers);
  const directMs = await directRun(provider, directUsers);
  const engineRate = (engine.verified / engine.ms) * 1000;
  const directRate = (N / directMs) * 1000;
  console.log(
    `  engine: ${f(engine.ms)} ms to all verified (${engine.verified} verified, ${engine.failed} not), ${f(engineRate, 1)} incidents/s`,
  );
  console.log(`  direct: ${f(directMs)} ms for the same calls, ${f(directRate, 1)} accounts/s`);
  console.log(
    `  memory at peak: worker process (with the bench's load generator) RSS ${f(engine.memory.rssMb)} MB, heap ${f(engine.memory.heapMb)} MB; API process RSS ${f(engine.memory.apiRssMb)} MB`,
  );
  console.log(`throughput ratio (engine/direct): ${(engineRate / directRate).toFixed(2)}`);

  // Rate-limited: the engine's Keycloak calls through the limiter (a worker of its own, same API).
  const proxy = await rateLimitedProxy(servers.keycloakUrl, ALLOWED_PER_S);
  const limitedConfig: EngineConfig = {
    ...servers.config,
    temporal: { ...servers.config.temporal, taskQueue: `${servers.config.temporal.taskQueue}-limited` },
    keycloak: { ...servers.config.keycloak!, baseUrl: proxy.url },
  };
  const limitedUsers = await accounts(kc, LIMITED_N, 'massl');
  const limited = await engineRun(limitedConfig, client, limitedUsers);
  await proxy.stop();
  // The achieved rate while the engine had more to do than the limit allowed: over the seconds
  // in which the limiter refused something (the tail, where a few incidents are left with less
  // to ask than the limit allows, does not count), and over the whole run.
  const start = proxy.forwarded[0] ?? 0;
  const second = (t: number) => Math.floor((t - start) / 1000);
  const perSecond = new Map<number, number>();
  for (const t of proxy.forwarded) perSecond.set(second(t), (perSecond.get(second(t)) ?? 0) + 1);
  const busy = new Set(proxy.refused.map(second));
  const saturated = [...busy].reduce((n, s) => n + (perSecond.get(s) ?? 0), 0);
  const achieved = busy.size ? saturated / busy.size : 0;
  const from = start;
  const to = proxy.forwarded[proxy.forwarded.length - 1] ?? start;
  const duplicated = await duplicatedActions(kc, limitedUsers);
  console.log(
    `\nrate-limited (${ALLOWED_PER_S} requests/s, 429 + Retry-After past it): ${LIMITED_N} incidents, ${f(limited.ms)} ms to all verified (${limited.verified} verified, ${limited.failed} not)`,
  );
  console.log(
    `  ${proxy.forwarded.length} requests forwarded in ${f((to - from) / 1000, 1)} s (${f(proxy.forwarded.length / Math.max(1, (to - from) / 1000), 1)}/s), ${proxy.refused.length} answered 429; in the ${busy.size} seconds with a 429: ${f(achieved, 1)} requests/s`,
  );
  console.log(
    `  destructive actions Keycloak recorded twice for one account (logout, password reset): ${duplicated}`,
  );
  console.log(`  failed incidents: ${LIMITED_N - limited.verified}`);
  console.log(
    `  memory at peak: worker process RSS ${f(limited.memory.rssMb)} MB, heap ${f(limited.memory.heapMb)} MB; API process RSS ${f(limited.memory.apiRssMb)} MB`,
  );
  console.log(`rate ratio (achieved/allowed): ${(achieved / ALLOWED_PER_S).toFixed(2)}`);

  await (client.connection as Connection).close();
  await servers.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
