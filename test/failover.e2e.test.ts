/**
 * Deployed as in production: two worker processes and two API processes on one task queue, each from
 * its production entry point. A burst of critical incidents is opened through both APIs, one worker
 * is killed (SIGKILL) while they run, and every incident still ends verified-contained, each
 * destructive action recorded once, and readable through either API. Run on the dev server by
 * `npm test` and on go.temporal.io/server with PostgreSQL by `npm run test:cluster`.
 */
import { Client, Connection } from '@temporalio/client';
import { EngineProcess, freePort } from './support/engine-process';
import { eventually, testConfig } from './support/engine';
import { readTestEnv } from './support/env';
import { KeycloakTestClient, REALM, type TestUser } from './support/keycloak';
import { WorkerProcess } from './support/worker-process';

const INCIDENTS = 8;
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);

interface Api {
  url: string;
  process: EngineProcess;
}

async function call(
  api: Api,
  method: string,
  route: string,
  body?: unknown,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${api.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-actor': 'alice' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

it('two workers and two APIs: a worker killed mid-burst loses no incident and repeats no action', async () => {
  const config = testConfig();
  const workers = [new WorkerProcess(config), new WorkerProcess(config)];
  const apis: Api[] = [];
  const users: TestUser[] = [];
  const tokens: string[] = [];
  try {
    await Promise.all(workers.map((w) => w.start()));
    for (let i = 0; i < 2; i++) {
      const port = await freePort();
      const env = {
        ...workers[0].env(),
        AUTH_MODE: 'dev',
        API_HOST: '127.0.0.1',
        API_PORT: String(port),
        API_RATE_LIMIT: 'off',
      };
      apis.push({
        url: `http://127.0.0.1:${port}`,
        process: await EngineProcess.start('api/main.ts', env, 'listening on http'),
      });
    }
    for (let i = 0; i < INCIDENTS; i++) {
      const user = await kc.createUser('failover');
      users.push(user);
      tokens.push((await kc.login(user)).access_token);
    }

    // The burst, alternating APIs; the first worker dies while the incidents run.
    const opened = await Promise.all(
      users.map((u, i) =>
        call(apis[i % 2], 'POST', '/incidents', {
          playbook: 'compromised-credential',
          principal: { provider: 'keycloak', realm: REALM, username: u.username },
          severity: 'critical',
          summary: `credential of ${u.username} replayed from a known-bad address`,
          alertId: `failover-${u.id}`,
        }),
      ),
    );
    for (const o of opened) expect([201, 202]).toContain(o.status);
    const killed = workers[0].pid!;
    await workers[0].kill9();

    // Every incident verified, each read through the API that did not open it.
    const states = await Promise.all(
      opened.map((o, i) =>
        eventually(
          async () => {
            const res = await call(apis[(i + 1) % 2], 'GET', `/incidents/${o.body.incidentId}`);
            return res.status === 200 && res.body.containedAt && res.body.verification ? res.body : undefined;
          },
          `incident ${o.body.incidentId} verified after the worker was killed`,
          120_000,
        ),
      ),
    );
    for (const [i, state] of states.entries()) {
      expect(state.verification.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
      expect(state.verification.verified).toBe(true);
      const evidence = await call(apis[i % 2], 'GET', `/incidents/${state.incidentId}/evidence`);
      expect(evidence.body.verification.ok).toBe(true);
      const actions = state.actions.map((a: { action: string }) => a.action);
      expect(new Set(actions).size).toBe(actions.length); // each action once
      expect(actions).toEqual(
        expect.arrayContaining(['revokeSessions', 'revokeOfflineAccess', 'disableAccount']),
      );
      expect((await kc.user(users[i].id)).enabled).toBe(false);
      expect(await kc.introspect(tokens[i])).toBe(false);
      // Keycloak itself saw one logout per account.
      const logouts = await kc.admin<unknown[]>(
        'GET',
        `/admin-events?resourcePath=${encodeURIComponent(`users/${users[i].id}/logout`)}&max=10`,
      );
      expect(logouts).toHaveLength(1);
    }

    // The killed worker really had work: its identity is on tasks of these incidents' histories.
    const client = new Client({ connection: await Connection.connect({ address: config.temporal.address }) });
    try {
      const identities = new Set<string>();
      for (const o of opened) {
        const history = await client.workflow.getHandle(o.body.incidentId).fetchHistory();
        for (const e of history.events ?? []) {
          const id =
            e.workflowTaskStartedEventAttributes?.identity ?? e.activityTaskStartedEventAttributes?.identity;
          if (id) identities.add(id.split('@')[0]);
        }
      }
      expect(identities).toContain(String(killed));
      expect(identities).toContain(String(workers[1].pid));
    } finally {
      await client.connection.close();
    }
  } finally {
    await Promise.all(apis.map((a) => a.process.stop()));
    await Promise.all(workers.map((w) => w.stop()));
  }
});
