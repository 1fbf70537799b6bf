/**
 * Black-box security checks against the engine as it is deployed: the API and the worker run from
 * their production entry points in their own processes, configured only by their environment
 * (OIDC against the real Keycloak, encrypted payloads, a keyed principal secret), and everything
 * is judged from outside — over HTTP, through Keycloak's own login page and a raw connection to
 * Temporal — the way an attacker of the engine would try it. Each case's result goes to
 * .runtime/reports/blackbox.json and is printed at the end.
 */
import { Client, Connection } from '@temporalio/client';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer, connect as netConnect, type AddressInfo, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { browserLogin } from './support/browser-login';
import { EngineProcess, freePort } from './support/engine-process';
import { eventually } from './support/engine';
import { readTestEnv } from './support/env';
import { unfinishedPost } from './support/unfinished-post';
import { APP_CLIENT, ENGINE_CLIENT, KeycloakTestClient, REALM, type TestUser } from './support/keycloak';

const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
const temporalAddress = readTestEnv().temporal.url.replace(/^\w+:\/\//, '');
const AUDIENCE = 'ir-api';
const PUSH_TENANT = `blackbox-${randomUUID().slice(0, 8)}`;

interface CaseResult {
  item: string;
  check: string;
  result: 'pass' | 'fail';
  detail: string;
}
const report: CaseResult[] = [];

/** Runs one check, records what it found, and fails the test when the check does. */
async function check(item: string, name: string, body: () => Promise<string>): Promise<void> {
  try {
    const detail = await body();
    report.push({ item, check: name, result: 'pass', detail });
  } catch (err) {
    report.push({ item, check: name, result: 'fail', detail: (err as Error).message.slice(0, 300) });
    throw err;
  }
}

function expectThat(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

const taskQueue = `blackbox-${randomUUID()}`;
const evidenceDir = path.join(tmpdir(), `ir-blackbox-${randomUUID().slice(0, 8)}`);
const secrets = {
  PAYLOAD_KEYS: `bb-1:${randomBytes(32).toString('base64')}`,
  PRINCIPAL_KEY_SECRET: randomBytes(32).toString('base64'),
};
let apiUrl = '';
let api: EngineProcess;
let worker: EngineProcess;
const tokens: Record<string, string> = {};
const users: Record<string, TestUser> = {};

function engineEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_TASK_QUEUE: taskQueue,
    EVIDENCE_DIR: evidenceDir,
    AUTH_ISSUER: kc.issuer,
    AUTH_AUDIENCE: AUDIENCE,
    AUTH_AUTHORIZED_PARTIES: APP_CLIENT,
    DETECTION_SOURCES: `okta:${PUSH_TENANT}:push`,
    API_RATE_LIMIT: 'off',
    WORKER_METRICS_PORT: 'off',
    ...secrets,
    ...extra,
  };
}

async function call(who: string | undefined, method: string, route: string, body?: unknown, raw?: string) {
  const headers: Record<string, string> = {
    'content-type': raw ? 'application/x-ndjson' : 'application/json',
  };
  if (who) headers.authorization = `Bearer ${tokens[who] ?? who}`;
  const res = await fetch(`${apiUrl}${route}`, {
    method,
    headers,
    body: raw ?? (body === undefined ? undefined : JSON.stringify(body)),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, body: parsed as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

beforeAll(async () => {
  await kc.ensureRolesInTokens();
  await kc.ensureAudience(APP_CLIENT, AUDIENCE);
  const roles: Record<string, string[]> = {
    // A lead who may both open and approve: four-eyes, not a missing role, must stop them.
    responder: ['ir-responder', 'ir-approver'],
    viewer: ['ir-viewer'],
    ingest: ['ir-ingest'],
    lookalike: ['admin', 'viewer', 'responder'],
    // The victim holds approver rights: their stolen token must not approve their own case.
    victim: ['ir-approver'],
  };
  for (const [name, r] of Object.entries(roles)) {
    users[name] = await kc.createUser(`bb-${name}`, { roles: r });
    tokens[name] = (await kc.login(users[name])).access_token;
  }
  const port = await freePort();
  apiUrl = `http://127.0.0.1:${port}`;
  worker = await EngineProcess.start(
    'worker/main.ts',
    engineEnv({
      KEYCLOAK_URL: readTestEnv().keycloak.url,
      KEYCLOAK_CLIENT_ID: ENGINE_CLIENT.id,
      KEYCLOAK_CLIENT_SECRET: ENGINE_CLIENT.secret,
      WORKFLOW_BUNDLE_PATH: readTestEnv().workflowBundlePath,
      LOG_LEVEL: 'ERROR',
    }),
    'polling task queue',
  );
  api = await EngineProcess.start('api/main.ts', engineEnv({ API_PORT: String(port) }), 'listening on http');
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  const dir = path.resolve(__dirname, '..', '.runtime', 'reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(
    path.join(dir, 'blackbox.json'),
    JSON.stringify({ at: new Date().toISOString(), report }, null, 2),
  );
  process.stdout.write(
    `\nblack-box checks (${report.filter((r) => r.result === 'pass').length}/${report.length} pass):\n` +
      report.map((r) => `  [${r.result}] #${r.item} ${r.check}: ${r.detail}`).join('\n') +
      '\n',
  );
});

it('refuses to start in dev mode off loopback or beside an issuer (#4)', async () => {
  await check('4', 'AUTH_MODE=dev on 0.0.0.0 refused', async () => {
    const out = await EngineProcess.refusal('api/main.ts', {
      ...secrets,
      AUTH_MODE: 'dev',
      API_HOST: '0.0.0.0',
    });
    expectThat(
      out.code === 1 && out.output.includes('loopback'),
      `exit ${out.code}: ${out.output.slice(0, 200)}`,
    );
    return 'exit 1, names the loopback rule';
  });
  await check('4', 'AUTH_MODE=dev with AUTH_ISSUER refused', async () => {
    const out = await EngineProcess.refusal('api/main.ts', {
      ...secrets,
      AUTH_MODE: 'dev',
      AUTH_ISSUER: kc.issuer,
    });
    expectThat(
      out.code === 1 && out.output.includes('contradicts'),
      `exit ${out.code}: ${out.output.slice(0, 200)}`,
    );
    return 'exit 1';
  });
});

it('grants roles only by their exact names, for this audience and client (#2, #4)', async () => {
  await check('2', "realm roles 'admin'/'viewer' grant nothing", async () => {
    const res = await call('lookalike', 'GET', '/incidents');
    expectThat(res.status === 403, `GET /incidents answered ${res.status}`);
    return 'GET /incidents → 403';
  });
  await check('4', 'token without the API audience refused', async () => {
    const t = (await kc.login(users.viewer, 'openid', { id: 'admin-cli' })).access_token;
    const res = await call(t, 'GET', '/incidents');
    expectThat(res.status === 401, `answered ${res.status}`);
    return '401';
  });
  await check('11', '/codec/encode needs more than viewer', async () => {
    const res = await call('viewer', 'POST', '/codec/encode', { payloads: [] });
    expectThat(res.status === 403, `answered ${res.status}`);
    return '403 for a viewer';
  });
});

it('answers an unauthenticated large push before reading its body (#6)', async () => {
  await check('6', 'unauthenticated 4 MB POST /events answered early', async () => {
    const started = Date.now();
    const status = await unfinishedPost(`${apiUrl}/events?provider=okta`);
    expectThat(status === 401, `answered ${status}`);
    return `401 after ${Date.now() - started} ms with 1 kB of 4 MB sent`;
  });
});

it('ingests linearly, rejecting lines that are no record of the provider (#6, #11)', async () => {
  const timed = async (lines: number) => {
    const started = process.hrtime.bigint();
    const res = await call('ingest', 'POST', '/events?provider=keycloak', undefined, 'x\n'.repeat(lines));
    return { res, ms: Number(process.hrtime.bigint() - started) / 1e6 };
  };
  await check(
    '6',
    "lines of 'x' rejected one by one (timings; bench:ingest measures the scaling)",
    async () => {
      await timed(100); // warm-up (the offline address tables load on first use)
      const small = await timed(2_500);
      const large = await timed(10_000);
      expectThat(
        small.res.status === 400 && large.res.status === 400,
        `statuses ${small.res.status}/${large.res.status}`,
      );
      expectThat(large.res.body.rejected?.length === 10_000, 'every line rejected with its index');
      expectThat(large.res.body.accepted === 0, 'nothing accepted');
      return `2,500 lines ${small.ms.toFixed(0)} ms, 10,000 lines ${large.ms.toFixed(0)} ms (ratio ${(large.ms / small.ms).toFixed(1)} for 4× the lines; 10,000 is the per-request cap)`;
    },
  );
  await check('6', 'a 64 kB Keycloak log line parses in linear time', async () => {
    // The shape that made the old expression backtrack: a long word run after ', ' with no '='.
    const line = `type=x, ${'a'.repeat(60_000)}`;
    const started = Date.now();
    const res = await call('ingest', 'POST', '/events?provider=keycloak', undefined, line);
    expectThat([200, 400].includes(res.status), `answered ${res.status}`);
    return `answered ${res.status} in ${Date.now() - started} ms`;
  });
  await check('11', 'a push for an unconfigured tenant creates no detector', async () => {
    const tenant = `stranger-${randomUUID().slice(0, 8)}`;
    const event = JSON.stringify({
      uuid: `${tenant}-1`,
      published: new Date().toISOString(),
      eventType: 'user.session.start',
      outcome: { result: 'FAILURE' },
      actor: { id: 'u1', alternateId: 'x@y.example', type: 'User' },
      debugContext: { debugData: { orgId: tenant } },
    });
    const res = await call('ingest', 'POST', '/events?provider=okta', undefined, event);
    expectThat(
      res.status === 400 && String(res.body.rejected?.[0]?.reason).includes('DETECTION_SOURCES'),
      `answered ${res.status}`,
    );
    return '400, rejected: no detector for that tenant';
  });
});

it('contains without handing the account over, and keeps four-eyes (#1, #3, #10)', async () => {
  const victim = users.victim;
  const opened = await call('responder', 'POST', '/incidents', {
    playbook: 'compromised-credential',
    principal: { provider: 'keycloak', realm: REALM, username: victim.username },
    severity: 'high',
    summary: 'black-box: credential on a phishing kit',
  });
  expect(opened.status).toBe(201);
  const id = opened.body.incidentId as string;
  const approval = await eventually(async () => {
    const s = await call('viewer', 'GET', `/incidents/${id}`);
    return (s.body.approvals as { id: string; status: string; action: string }[] | undefined)?.find(
      (a) => a.status === 'pending' && a.action === 'disableAccount',
    );
  }, 'the disableAccount approval');

  await check('1', 'known password at the browser login while disabling waits', async () => {
    const result = await browserLogin(kc.issuer, victim.username, victim.password);
    expectThat(result.ended === 'refused', `login ended at ${result.ended}`);
    return `refused: ${'message' in result ? result.message : ''}`;
  });
  await check('3', 'the requester cannot approve', async () => {
    const own = await call('responder', 'POST', `/incidents/${id}/approvals`, {
      approvalId: approval.id,
      decision: 'approve',
    });
    expectThat(
      own.status === 403 && own.body.error === 'FourEyesViolation',
      `answered ${own.status} ${own.body.error}`,
    );
    return '403 FourEyesViolation';
  });
  await check('3', "the principal's own (stolen) token cannot approve", async () => {
    const res = await call('victim', 'POST', `/incidents/${id}/approvals`, {
      approvalId: approval.id,
      decision: 'approve',
    });
    expectThat(
      res.status === 403 && res.body.error === 'InvolvedPartyRefused',
      `answered ${res.status} ${res.body.error}`,
    );
    return '403 InvolvedPartyRefused';
  });
  await check('10', 'evidence files are not readable by other users', async () => {
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? files(path.join(dir, d.name)) : [path.join(dir, d.name)],
      );
    const all = files(evidenceDir);
    const open = all.filter((f) => (statSync(f).mode & 0o007) !== 0);
    expectThat(all.length > 0 && open.length === 0, `${open.length} of ${all.length} world-accessible`);
    return `${all.length} file(s), none world-accessible`;
  });
  await call('responder', 'POST', `/incidents/${id}/close`, { reason: 'black-box done' });
});

it('ignores a workflow started on Temporal directly with a plaintext input (#7)', async () => {
  await check('7', 'side-door start refused by the worker', async () => {
    const target = await kc.createUser('bb-sidedoor');
    const raw = new Client({ connection: await Connection.connect({ address: temporalAddress }) });
    const workflowId = `incident-sidedoor-${randomUUID().slice(0, 8)}`;
    await raw.workflow.start('compromisedCredential', {
      workflowId,
      taskQueue,
      args: [
        {
          playbook: 'compromised-credential',
          principal: { provider: 'keycloak', realm: REALM, username: target.username },
          principalKey: 'forged',
          severity: 'critical',
          summary: 'forged',
          openedBy: 'attacker',
          alert: {
            id: 'f',
            source: 'x',
            severity: 'critical',
            summary: 'x',
            raisedAt: new Date().toISOString(),
            reportedBy: 'x',
          },
        },
      ],
    });
    await new Promise((r) => setTimeout(r, 3000));
    const account = await kc.user(target.id);
    await raw.workflow.getHandle(workflowId).terminate('black-box done');
    await raw.connection.close();
    expectThat(account.enabled && account.requiredActions.length === 0, 'the account was touched');
    return 'account untouched';
  });
});

it('answers /health 503 when Temporal is unreachable (#11)', async () => {
  await check('11', '/health follows Temporal', async () => {
    // The API reaches Temporal through a relay the check can cut.
    const [host, port] = temporalAddress.split(':');
    const sockets = new Set<import('node:net').Socket>();
    const relay: Server = createServer((s) => {
      const up = netConnect(Number(port), host);
      sockets.add(s).add(up);
      s.pipe(up).pipe(s);
      s.on('error', () => up.destroy());
      up.on('error', () => s.destroy());
    });
    await new Promise<void>((r) => relay.listen(0, '127.0.0.1', r));
    const apiPort = await freePort();
    const relayed = await EngineProcess.start(
      'api/main.ts',
      engineEnv({
        API_PORT: String(apiPort),
        TEMPORAL_ADDRESS: `127.0.0.1:${(relay.address() as AddressInfo).port}`,
      }),
      'listening on http',
    );
    try {
      const up = await fetch(`http://127.0.0.1:${apiPort}/health`);
      relay.close();
      for (const s of sockets) s.destroy();
      const down = await eventually(
        async () => {
          const r = await fetch(`http://127.0.0.1:${apiPort}/health`);
          return r.status === 503 ? r : undefined;
        },
        '503',
        20_000,
      );
      expectThat(up.status === 200 && down.status === 503, `${up.status} then ${down.status}`);
      return '200 with Temporal, 503 without';
    } finally {
      await relayed.stop();
    }
  });
});
