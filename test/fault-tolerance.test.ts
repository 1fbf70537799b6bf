/**
 * Fault tolerance, proven on the real servers: incidents run concurrently while
 *  - the worker process is killed with SIGKILL at random moments and started again,
 *  - the Temporal server (a dev server on a persistent SQLite file) is killed and started again,
 *  - a fault proxy in front of Keycloak answers 5xx, 429 with Retry-After, resets connections,
 *    hangs requests and cuts responses after Keycloak applied the change.
 * Every incident must reach verified containment; every destructive action must take effect once
 * (Keycloak's own admin-event log, compared with a calm run's); every evidence chain must verify
 * with nothing missing. The figures go to .runtime/reports/fault-tolerance.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import type { EngineConfig } from '../config/config';
import { LocalEvidenceStore } from '../evidence/local-store';
import { StartedService, startTemporal, stopService } from '../scripts/runtime/services';
import { ensureSearchAttributes } from '../worker/search-attributes';
import { eventually, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { FaultProxy, Injected } from './support/fault-proxy';
import { KeycloakTestClient, REALM, TestUser } from './support/keycloak';
import { WorkerProcess } from './support/worker-process';

const RESPONDER = 'ft.responder';
const APPROVER = 'ft.approver';
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
const report: Record<string, unknown> = {};
let realmId: string;

interface Victim {
  user: TestUser;
  accessToken: string;
  incidentId?: string;
}

beforeAll(async () => {
  realmId = (await kc.admin<{ id: string }>('GET', '')).id;
});

afterAll(() => {
  const dir = path.resolve(__dirname, '..', '.runtime', 'reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'fault-tolerance.json'), JSON.stringify(report, null, 2));
  process.stdout.write(`\nfault-tolerance figures: ${JSON.stringify(report)}\n`);
});

/** A user as an attacker would leave them: a browser session, an offline token, an enrolled OTP. */
async function victim(prefix: string): Promise<Victim> {
  const user = await kc.createUser(prefix, { otp: true });
  const browser = await kc.login(user);
  await kc.login(user, 'openid offline_access');
  return { user, accessToken: browser.access_token };
}

/**
 * What the engine changed in Keycloak for one user, from Keycloak's admin-event log: operation and
 * resource, ids normalised, sorted. Reads by the engine leave no admin event; the test's own setup
 * is done from the master realm and is left out.
 */
async function engineWrites(userId: string): Promise<string[]> {
  const events = await kc.admin<
    { operationType: string; resourcePath: string; authDetails: { realmId: string } }[]
  >('GET', `/admin-events?resourcePath=users/${userId}*&max=1000`);
  return events
    .filter((e) => e.authDetails.realmId === realmId)
    .map((e) => `${e.operationType} ${e.resourcePath.replace(/[0-9a-f-]{36}/g, '{id}')}`)
    .sort();
}

/** Extra and missing writes of `actual` against the calm run's `expected`. */
function compareWrites(expected: string[], actual: string[]) {
  const count = (xs: string[]) =>
    xs.reduce((m, x) => m.set(x, (m.get(x) ?? 0) + 1), new Map<string, number>());
  const want = count(expected);
  const got = count(actual);
  let duplicated = 0;
  let missing = 0;
  for (const key of new Set([...want.keys(), ...got.keys()])) {
    const diff = (got.get(key) ?? 0) - (want.get(key) ?? 0);
    if (diff > 0) duplicated += diff;
    else missing -= diff;
  }
  return { duplicated, missing };
}

/** Checks every outcome of a chaos run against the calm baseline; returns the figures. */
async function audit(api: TestApi, config: EngineConfig, victims: Victim[], baseline: Baseline) {
  const store = new LocalEvidenceStore(config.evidenceDir);
  let completed = 0;
  let duplicatedActions = 0;
  let missingActions = 0;
  let lostEvidence = 0;
  for (const v of victims) {
    const state = await api.incident(v.incidentId!);
    if (state.containedAt && state.verification?.verified) completed += 1;
    const actual = await engineWrites(v.user.id);
    const writes = compareWrites(baseline.writes, actual);
    if (writes.duplicated || writes.missing) {
      process.stdout.write(
        `writes of ${v.user.username}: expected ${JSON.stringify(baseline.writes)}, got ${JSON.stringify(actual)}\n`,
      );
    }
    duplicatedActions += writes.duplicated;
    missingActions += writes.missing;
    const chain = await store.verify(state.evidenceId);
    const kinds = (await store.manifest(state.evidenceId)).map((e) => e.kind);
    lostEvidence += chain.ok ? compareWrites(baseline.evidenceKinds, kinds).missing : kinds.length;
    expect(chain.ok).toBe(true);
    expect(kinds).toEqual(baseline.evidenceKinds);
    // What the responders care about, checked with the test's own calls.
    expect((await kc.user(v.user.id)).enabled).toBe(false);
    expect(await kc.sessions(v.user.id)).toEqual([]);
    expect(await kc.offlineSessions(v.user.id)).toEqual([]);
    expect(await kc.introspect(v.accessToken)).toBe(false);
  }
  return { incidents: victims.length, completed, duplicatedActions, missingActions, lostEvidence };
}

interface Baseline {
  writes: string[];
  evidenceKinds: string[];
}

/** One incident with no fault at all: what "each action once" and "all evidence" look like. */
async function calmRun(api: TestApi, config: EngineConfig): Promise<Baseline> {
  const v = await victim('calm');
  const opened = await api.openIncident(v.user.username, RESPONDER, { severity: 'critical' });
  const state = await api.untilPhase(opened.body.incidentId, ['recover']);
  const store = new LocalEvidenceStore(config.evidenceDir);
  return {
    writes: await engineWrites(v.user.id),
    evidenceKinds: (await store.manifest(state.evidenceId)).map((e) => e.kind),
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const between = (lo: number, hi: number) => lo + Math.floor(Math.random() * (hi - lo));

describe('worker killed with SIGKILL while incidents run', () => {
  const config = testConfig();
  const worker = new WorkerProcess(config);
  let api: TestApi;

  beforeAll(async () => {
    api = await TestApi.start(config);
    await worker.start();
  });
  afterAll(async () => {
    await worker.stop();
    await api?.stop();
  });

  it('completes every incident, applies each action once and loses no evidence', async () => {
    const baseline = await calmRun(api, config);
    expect(baseline.writes.length).toBeGreaterThanOrEqual(4); // logout, consents, required actions, OTP, disable

    const victims = await Promise.all(Array.from({ length: 8 }, (_, i) => victim(`kill${i}`)));
    const opening = victims.map(async (v, i) => {
      await sleep(i * 150); // staggered, so kills land in every step of the playbook
      const res = await api.openIncident(v.user.username, RESPONDER, { severity: 'critical' });
      expect([201, 202]).toContain(res.status); // 202: started, but the worker was down to confirm it
      v.incidentId = res.body.incidentId;
    });
    const killsAt: number[] = [];
    const started = Date.now();
    for (let k = 0; k < 5; k++) {
      await sleep(between(200, 1500));
      killsAt.push(Date.now() - started);
      await worker.kill9();
      await sleep(between(0, 400));
      await worker.start();
    }
    await Promise.all(opening);
    await Promise.all(victims.map((v) => api.untilPhase(v.incidentId!, ['recover'], 150_000)));
    const recoveredMs = Date.now() - started;

    const outcome = await audit(api, config, victims, baseline);
    report.workerKill = {
      ...outcome,
      kills: worker.kills,
      killsAtMs: killsAt,
      allContainedAfterMs: recoveredMs,
    };
    expect(outcome).toMatchObject({ completed: 8, duplicatedActions: 0, missingActions: 0, lostEvidence: 0 });
  });
});

describe('Temporal server killed and restarted on its database', () => {
  const work = mkdtempSync(path.join(os.tmpdir(), 'ir-restart-'));
  const serverOptions = {
    port: 27400,
    uiPort: 28400,
    db: path.join(work, 'temporal.db'),
    headless: true,
    logFile: path.join(work, 'temporal.log'),
  };
  const config: EngineConfig = {
    ...testConfig(),
    temporal: { ...testConfig().temporal, address: `127.0.0.1:${serverOptions.port}` },
  };
  let server: StartedService;
  const worker = new WorkerProcess(config);
  let api: TestApi;

  beforeAll(async () => {
    server = await startTemporal(serverOptions);
    const connection = await Connection.connect({ address: config.temporal.address });
    await ensureSearchAttributes(connection, 'default');
    await connection.close();
    api = await TestApi.start(config);
    await worker.start();
  });
  afterAll(async () => {
    await worker.stop();
    await api?.stop();
    await stopService(server);
    rmSync(work, { recursive: true, force: true });
  });

  async function killServer() {
    process.kill(-server.pid!, 'SIGKILL');
    await eventually(
      async () => {
        try {
          process.kill(-server.pid!, 0);
          return false;
        } catch {
          return true;
        }
      },
      'the Temporal server to die',
      10_000,
    );
  }

  it('resumes every incident — waiting for approval or mid-containment — after the restart', async () => {
    const baseline = await calmRun(api, config);
    const waiting = await Promise.all(Array.from({ length: 3 }, (_, i) => victim(`wait${i}`)));
    for (const v of waiting) {
      // High: disabling waits for approval (eradication runs without one, as for the critical ones).
      const res = await api.openIncident(v.user.username, RESPONDER, {
        policy: { eradicate: { autoApproveAt: 'high' } },
      });
      v.incidentId = res.body.incidentId;
    }
    const approvals = await Promise.all(waiting.map((v) => api.pendingApproval(v.incidentId!)));
    const running = await Promise.all(Array.from({ length: 4 }, (_, i) => victim(`flight${i}`)));
    await Promise.all(
      running.map(async (v) => {
        const res = await api.openIncident(v.user.username, RESPONDER, { severity: 'critical' });
        v.incidentId = res.body.incidentId;
      }),
    );

    const killedAt = Date.now();
    await killServer(); // mid-flight: the critical incidents are containing
    const down = Date.now();
    await sleep(1000);
    server = await startTemporal(serverOptions);
    const downMs = Date.now() - down;

    for (const [i, v] of waiting.entries()) {
      const decided = await eventually(async () => {
        const res = await api.call(
          'POST',
          `/incidents/${v.incidentId}/approvals`,
          { approvalId: approvals[i].id, decision: 'approve' },
          APPROVER,
        );
        return res.status === 200 ? res : undefined;
      }, 'the approval to be accepted after the restart');
      expect(decided.status).toBe(200);
    }
    const victims = [...waiting, ...running];
    await Promise.all(victims.map((v) => api.untilPhase(v.incidentId!, ['recover'], 150_000)));
    const outcome = await audit(api, config, victims, baseline);
    report.serverRestart = {
      ...outcome,
      restarts: 1,
      serverDownMs: downMs,
      allContainedAfterKillMs: Date.now() - killedAt,
      workerRestarts: worker.starts - 1,
    };
    expect(outcome).toMatchObject({ completed: 7, duplicatedActions: 0, missingActions: 0, lostEvidence: 0 });
  });
});

describe('identity-provider faults between the engine and Keycloak', () => {
  const RETRY_AFTER_S = 2;
  let proxy: FaultProxy;
  let worker: TestWorker;
  let api: TestApi;
  let config: EngineConfig;
  const seen = new Set<string>();
  const once = (key: string) => !seen.has(key) && Boolean(seen.add(key));
  const budget: Record<string, number> = { status5xx: 12, reset: 6, hang: 2 };
  let chaosOn = false;
  let seed = 7;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;

  /**
   * Per user: the first logout gets a 429 (to measure Retry-After); the first write of every kind
   * is applied by Keycloak and its answer lost (the idempotency case); other calls get 5xx, resets
   * and hangs at random, within a budget.
   */
  function chaos(method: string, urlPath: string): Injected | undefined {
    const user = new RegExp(`^/admin/realms/${REALM}/users/([0-9a-f-]{36})`).exec(urlPath)?.[1];
    if (!chaosOn || !user) return undefined;
    const kind = `${method} ${urlPath.split('?')[0].replace(/[0-9a-f-]{36}/g, '{id}')}`;
    if (method === 'POST' && urlPath.endsWith('/logout') && once(`429 ${user}`)) {
      return { kind: 'status', status: 429, headers: { 'retry-after': String(RETRY_AFTER_S) } };
    }
    if (method !== 'GET' && once(`lost ${user} ${kind}`)) return { kind: 'lost-response' };
    if (random() > 0.2) return undefined;
    const pick = random();
    if (pick < 0.5 && budget.status5xx-- > 0)
      return { kind: 'status', status: [500, 502, 503][Math.floor(random() * 3)] };
    if (pick < 0.85 && budget.reset-- > 0) return { kind: 'reset' };
    if (method === 'GET' && budget.hang-- > 0) return { kind: 'hang' };
    return undefined;
  }

  beforeAll(async () => {
    proxy = await FaultProxy.start(readTestEnv().keycloak.url, [], chaos);
    const direct = testConfig();
    config = { ...direct, keycloak: { ...direct.keycloak!, baseUrl: proxy.url } };
    worker = await TestWorker.start(config);
    api = await TestApi.start(config);
  });
  afterAll(async () => {
    await api?.stop();
    await worker?.stop();
    await proxy?.stop();
  });

  it('contains every incident through the faults, once, honouring Retry-After', async () => {
    const baseline = await calmRun(api, config); // through the proxy, chaos off
    chaosOn = true;

    const victims = await Promise.all(Array.from({ length: 6 }, (_, i) => victim(`fault${i}`)));
    const started = Date.now();
    await Promise.all(
      victims.map(async (v) => {
        const res = await api.openIncident(v.user.username, RESPONDER, { severity: 'critical' });
        v.incidentId = res.body.incidentId;
      }),
    );
    await Promise.all(victims.map((v) => api.untilPhase(v.incidentId!, ['recover'], 150_000)));
    const containedMs = Date.now() - started;

    // Retry-After: after each 429 on a user's logout, how long until the engine asked again.
    const waits = victims.map((v) => {
      const logouts = proxy.hits.filter(
        (h) => h.method === 'POST' && h.path.endsWith(`/users/${v.user.id}/logout`),
      );
      const throttled = proxy.injected.find(
        (f) =>
          f.fault.kind === 'status' &&
          f.fault.status === 429 &&
          f.path.endsWith(`/users/${v.user.id}/logout`),
      )!;
      const next = logouts.find((h) => h.at > throttled.at);
      return next ? next.at - throttled.at : Infinity;
    });
    const outcome = await audit(api, config, victims, baseline);
    const injected: Record<string, number> = {};
    for (const f of proxy.injected) {
      const name = f.fault.kind === 'status' ? String(f.fault.status) : f.fault.kind;
      injected[name] = (injected[name] ?? 0) + 1;
    }
    report.idpFaults = {
      ...outcome,
      faultsInjected: injected,
      faultsTotal: proxy.injected.length,
      retryAfterS: RETRY_AFTER_S,
      waitAfter429Ms: waits,
      allContainedAfterMs: containedMs,
    };
    expect(outcome).toMatchObject({ completed: 6, duplicatedActions: 0, missingActions: 0, lostEvidence: 0 });
    expect(Math.min(...waits)).toBeGreaterThanOrEqual(RETRY_AFTER_S * 1000 - 50);
    expect(Math.max(...waits)).toBeLessThan(60_000);
    expect(proxy.injected.filter((f) => f.fault.kind !== 'status').length).toBeGreaterThan(0);
  });
});
