/**
 * Detection end to end on the real Temporal server and the real Keycloak: events pushed over REST
 * or pulled by the Keycloak collector become alerts and, where the rule routes to a playbook,
 * incidents — with no manual call to open them.
 */
import { randomUUID } from 'node:crypto';
import { createDetectionActivities } from '../activities/detection';
import { detectorId, detectorStatusQuery } from '../workflows/detector';
import { ensureDetector, stopDetector } from '../worker/detectors';
import { eventually, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { KeycloakTestClient, REALM, TestUser } from './support/keycloak';
import { incidentIdFor } from '../domain/principal-key';
import type { EngineConfig } from '../config/config';
import { LocalEvidenceStore } from '../evidence/local-store';

let config: EngineConfig;
let worker: TestWorker;
let api: TestApi;
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);

beforeAll(async () => {
  // Push-only sources: their detectors start on first push; any other tenant is refused.
  config = {
    ...testConfig(),
    detectionSources: [
      { provider: 'keycloak', tenant: REALM },
      { provider: 'okta', tenant: 'acme' },
    ],
  };
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
  // A detector left running on a reused server (e.g. by `npm start`) polls another task queue:
  // pushed events would wait for a worker that never comes.
  await stopDetector(worker.client, { provider: 'keycloak', tenant: REALM }, 'fresh test run');
});

afterAll(async () => {
  // Detectors are long-lived; stop the ones this file started so the next file starts its own.
  for (const source of [
    { provider: 'keycloak' as const, tenant: REALM },
    { provider: 'okta' as const, tenant: 'acme' },
  ]) {
    if (worker) await stopDetector(worker.client, source, 'test done');
  }
  await api?.stop();
  await worker?.stop();
});

const oktaEvent = (id: string, eventType = 'user.session.start', user = 'pat@acme.example') =>
  JSON.stringify({
    uuid: id,
    published: new Date().toISOString(),
    eventType,
    outcome: { result: 'SUCCESS' },
    actor: { id: 'u1', alternateId: user, type: 'User' },
    client: { ipAddress: '198.51.100.4', userAgent: { rawUserAgent: 'Firefox' } },
    debugContext: { debugData: { orgId: 'acme' } },
  });

async function ingest(provider: string, body: string) {
  const res = await fetch(`${api.url}/events?provider=${provider}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', 'x-actor': 'siem-forwarder' },
    body,
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

describe('indicator watchlist', () => {
  it('raises watchlist-match for a later login from an address a review attributed to an attacker', async () => {
    const acts = createDetectionActivities({ client: worker.client, taskQueue: config.temporal.taskQueue });
    const run = randomUUID();
    const login = (id: string, ip: string) =>
      JSON.stringify({
        ...JSON.parse(oktaEvent(id, 'user.session.start', 'sam@acme.example')),
        client: { ipAddress: ip },
      });
    await ingest('okta', login(`${run}-warmup`, '198.51.100.20')); // the source's detector exists
    const published = await acts.publishIndicators({
      provider: 'okta',
      tenant: 'acme',
      ips: ['203.0.113.66', '8.8.8.8'],
      until: new Date(Date.now() + 3_600_000).toISOString(),
      incidentId: 'incident-0123456789abcdef01234567',
    });
    // Two addresses, and the autonomous system of the one the offline table knows (Google's).
    expect(published).toEqual({ published: true, watched: 3, asns: [15169] });

    const other = await ingest('okta', login(`${run}-other`, '198.51.100.21'));
    expect(other.body.alerts.map((a: { rule: string }) => a.rule)).not.toContain('watchlist-match');
    const watched = await ingest('okta', login(`${run}-watched`, '203.0.113.66'));
    const alert = watched.body.alerts.find((a: { rule: string }) => a.rule === 'watchlist-match');
    expect(alert).toMatchObject({
      severity: 'high',
      sourceIp: '203.0.113.66',
      summary: expect.stringContaining(
        'an address incident-0123456789abcdef01234567 attributed to an attacker',
      ),
    });

    const nowhere = await acts.publishIndicators({
      provider: 'okta',
      tenant: `no-detector-${run}`,
      ips: ['203.0.113.66'],
      until: new Date(Date.now() + 3_600_000).toISOString(),
      incidentId: 'incident-0123456789abcdef01234567',
    });
    expect(nowhere).toEqual({ published: false });
  });
});

describe('push ingest', () => {
  it('processes the good records of a batch and lists the bad ones with index and reason', async () => {
    const run = randomUUID();
    const body = [
      oktaEvent(`${run}-1`),
      '{"uuid": "broken", ',
      JSON.stringify({ uuid: 'x' }),
      oktaEvent(`${run}-2`),
    ].join('\n');
    const res = await ingest('okta', body);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ received: 4, accepted: 2, duplicates: 0 });
    expect(res.body.rejected).toEqual([
      { index: 1, reason: expect.stringContaining('line 2 is not valid JSON') },
      { index: 2, reason: 'an Okta System Log event needs an eventType' },
    ]);
  });

  it('never creates a detector for a tenant the configuration does not name', async () => {
    const tenant = `stranger-${randomUUID().slice(0, 8)}`;
    const event = JSON.stringify({
      ...JSON.parse(oktaEvent(`${tenant}-1`)),
      debugContext: { debugData: { orgId: tenant } },
    });
    const res = await ingest('okta', `${event}\n${oktaEvent(`${tenant}-ok`)}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      accepted: 1,
      rejected: [{ index: 0, reason: expect.stringContaining('DETECTION_SOURCES') }],
    });
    const described = await worker.client.workflow
      .getHandle(detectorId({ provider: 'okta', tenant }))
      .describe()
      .catch((e: Error) => e.name);
    expect(described).toBe('WorkflowNotFoundError');
  });

  it('counts a re-sent batch once (idempotent by vendor event id)', async () => {
    const body = [oktaEvent(`${randomUUID()}-a`), oktaEvent(`${randomUUID()}-b`)].join('\n');
    expect((await ingest('okta', body)).body).toMatchObject({ accepted: 2, duplicates: 0 });
    expect((await ingest('okta', body)).body).toMatchObject({ accepted: 0, duplicates: 2 });
  });

  it.each([
    ['an unknown provider', 'myspace', oktaEvent('z'), 400, 'provider must be one of'],
    ['an empty body', 'okta', '', 400, 'no events'],
    ['a batch with no usable record', 'okta', '{"nope": true}', 400, 'no record in the batch was usable'],
    ['a body over 5 MB', 'okta', 'x'.repeat(6 * 1024 * 1024), 413, 'larger than 5mb'],
    [
      'lines that are no Keycloak record',
      'keycloak',
      'x\n'.repeat(1000),
      400,
      'no record in the batch was usable',
    ],
    [
      'more than 10,000 records',
      'okta',
      `${oktaEvent('many')}\n`.repeat(10_001),
      413,
      'at most 10000 records',
    ],
  ])('rejects %s with a clear error', async (_what, provider, body, status, message) => {
    const res = await ingest(provider, body);
    expect(res.status).toBe(status);
    expect(res.body.message).toContain(message);
  });
});

/** Keycloak login events as its admin API returns them, for a user of the test realm. */
function keycloakEvents(user: TestUser, failures: number, success: boolean) {
  const t0 = Date.now() - 60_000;
  const events = Array.from({ length: failures }, (_, i) => ({
    id: randomUUID(),
    time: t0 + i * 1000,
    type: 'LOGIN_ERROR',
    realmId: REALM,
    clientId: 'corp-app',
    userId: user.id,
    ipAddress: '203.0.113.50',
    error: 'invalid_user_credentials',
    details: { username: user.username },
  }));
  if (success) {
    events.push({
      id: randomUUID(),
      time: t0 + failures * 1000,
      type: 'LOGIN',
      realmId: REALM,
      clientId: 'corp-app',
      userId: user.id,
      ipAddress: '203.0.113.50',
      details: { username: user.username },
    } as (typeof events)[number]);
  }
  return events.map((e) => JSON.stringify(e)).join('\n');
}

describe('alerts to incidents', () => {
  afterEach(() => stopDetector(worker.client, { provider: 'keycloak', tenant: REALM }, 'next test'));

  it('opens an incident from a pushed burst that ends in a success, and acts only once a person confirms', async () => {
    const user = await kc.createUser('pushed');
    const res = await ingest('keycloak', keycloakEvents(user, 10, true));
    expect(res.status).toBe(200);
    expect(res.body.alerts.map((a: { rule: string }) => a.rule)).toEqual([
      'failed-login-burst',
      'credential-compromise-after-burst',
    ]);
    expect(res.body.alerts[1].evidence).toBe('pushed');

    // Pushed evidence is forgeable by whoever holds an ingest credential: nothing happens by itself.
    const id = incidentIdFor({ provider: 'keycloak', realm: REALM, username: user.username });
    const confirm = await api.pendingApproval(id, 'confirmContainment');
    expect(confirm.summary).toContain('pushed to the API');
    const untouched = await kc.user(user.id);
    expect(untouched.enabled).toBe(true);
    expect(untouched.requiredActions).toEqual([]);
    expect((await kc.login(user)).access_token).toBeTruthy(); // the person's password still works
    expect(
      (
        await api.call(
          'POST',
          `/incidents/${id}/approvals`,
          { approvalId: confirm.id, decision: 'approve' },
          'alice',
        )
      ).status,
    ).toBe(200);

    const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
    expect(state.openedBy).toBe('detector');
    expect(state.severity).toBe('critical');
    expect(state.alerts[0]).toMatchObject({ source: 'detection:credential-compromise-after-burst' });
    expect(state.alerts[0].eventIds).toHaveLength(11);
    expect((await kc.user(user.id)).enabled).toBe(false);

    // The triggering events are in the incident's evidence chain, with the alert that opened it.
    const evidence = await api.call('GET', `/incidents/${id}/evidence`);
    expect(evidence.body.verification.ok).toBe(true);
    const alertItem = evidence.body.manifest.find((e: { kind: string }) => e.kind === 'alert');
    const stored = (await new LocalEvidenceStore(config.evidenceDir).read(alertItem.objectHash)) as {
      events: { vendorType: string; outcome: string }[];
    };
    expect(stored.events.map((e) => e.vendorType)).toEqual([...Array(10).fill('LOGIN_ERROR'), 'LOGIN']);

    const alerts = await api.call('GET', '/alerts?rule=credential-compromise-after-burst');
    expect(
      alerts.body.alerts.find(
        (a: { principal?: { username: string } }) => a.principal?.username === user.username,
      ),
    ).toMatchObject({
      routed: { action: 'opened', incidentId: id },
    });
    await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, 'alice');
  });

  it('an alert-only rule joins the open incident about its principal and raises its severity', async () => {
    const user = await kc.createUser('joinme');
    const opened = await api.openIncident(user.username, 'alice', { severity: 'low' });
    const id = opened.body.incidentId;
    await api.pendingApproval(id);

    const res = await ingest('keycloak', keycloakEvents(user, 10, false)); // a burst, no success
    expect(res.body.alerts.map((a: { rule: string }) => a.rule)).toEqual(['failed-login-burst']);
    const state = await eventually(async () => {
      const s = await api.incident(id);
      return s.alerts.length === 2 ? s : undefined;
    }, 'the alert to join the incident');
    expect(state.alerts[1]).toMatchObject({ source: 'detection:failed-login-burst', severity: 'medium' });
    expect(state.severity).toBe('medium');

    const other = await kc.createUser('nobody-open');
    const alone = await ingest('keycloak', keycloakEvents(other, 10, false));
    expect(alone.body.alerts).toHaveLength(1);
    const none = incidentIdFor({ provider: 'keycloak', realm: REALM, username: other.username });
    expect((await api.call('GET', `/incidents/${none}`)).status).toBe(404); // alert-only opens nothing
  });

  it('the Keycloak collector picks up a real burst and success and opens the incident with no API call', async () => {
    await ensureDetector(worker.client, config.temporal.taskQueue, {
      provider: 'keycloak',
      tenant: REALM,
      pull: { intervalMs: 300 },
    });
    const user = await kc.createUser('pulled');
    for (let i = 0; i < 10; i++)
      await kc.login({ ...user, password: 'wrong-password' }).catch(() => undefined);
    await kc.login(user);
    const loggedInAt = Date.now();

    const id = incidentIdFor({ provider: 'keycloak', realm: REALM, username: user.username });
    const started = await eventually(async () => {
      const res = await api.call('GET', `/incidents/${id}`);
      return res.status === 200 ? res.body : undefined;
    }, 'the incident opened by the collector');
    const latencyMs = Date.parse(started.openedAt) - loggedInAt;
    console.log(`collector detection latency (login → incident started): ${latencyMs} ms`);
    expect(started.alerts[0].source).toBe('detection:credential-compromise-after-burst');

    const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
    expect(state.containedAt).toBeDefined(); // verified containment (the lifecycle then goes on)
    expect(state.verification?.verified).toBe(true);
    expect((await kc.user(user.id)).enabled).toBe(false);
    await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, 'alice');
  });

  it('names the account by its login when an admin event names it by id: one account, one incident', async () => {
    await ensureDetector(worker.client, config.temporal.taskQueue, {
      provider: 'keycloak',
      tenant: REALM,
      pull: { intervalMs: 300 },
    });
    const user = await kc.createUser('granted');
    // Keycloak's admin event names the grantee by its id only (users/<uuid>/role-mappings/realm).
    await kc.grantRealmRole(user.id, 'ir-admin');
    const byLogin = incidentIdFor({ provider: 'keycloak', realm: REALM, username: user.username });
    const started = await eventually(async () => {
      const res = await api.call('GET', `/incidents/${byLogin}`);
      return res.status === 200 ? res.body : undefined;
    }, 'the incident about the login');
    expect(started.alerts[0].source).toBe('detection:privilege-escalation');
    expect(started.principal.username).toBe(user.username);
    const byId = incidentIdFor({ provider: 'keycloak', realm: REALM, username: user.id });
    expect((await api.call('GET', `/incidents/${byId}`)).status).toBe(404);
    await api.call('POST', `/incidents/${byLogin}/close`, { reason: 'test done' }, 'alice');
  });

  it('a password spray opens one incident for the account that fell, none for the others', async () => {
    await ensureDetector(
      worker.client,
      config.temporal.taskQueue,
      { provider: 'keycloak', tenant: REALM, pull: { intervalMs: 300 } },
      { passwordSpray: { distinctUsers: 8, maxTriesPerUser: 3, windowMs: 10 * 60_000 } },
    );
    const users = await Promise.all(Array.from({ length: 8 }, () => kc.createUser('sprayed')));
    for (const u of users) await kc.login({ ...u, password: 'Winter2026!' }).catch(() => undefined);
    const fell = users[3];
    await kc.login(fell);

    const fellId = incidentIdFor({ provider: 'keycloak', realm: REALM, username: fell.username });
    // High, not critical: sessions are cut at once, disabling the account waits for a human.
    const approval = await api.pendingApproval(fellId);
    const opened = await api.incident(fellId);
    expect(opened.alerts[0].source).toBe('detection:password-spray');
    expect(opened.severity).toBe('high');
    expect(await kc.sessions(fell.id)).toEqual([]);

    const status = await worker.client.workflow
      .getHandle(detectorId({ provider: 'keycloak', tenant: REALM }))
      .query(detectorStatusQuery);
    const spray = status.recentAlerts.filter((a) => a.rule === 'password-spray');
    expect(spray.map((a) => a.principal?.username ?? 'ip')).toEqual(['ip', fell.username]);
    expect(spray[0].routed).toEqual({ action: 'alert-only' });
    for (const u of users.filter((x) => x !== fell)) {
      const res = await api.call(
        'GET',
        `/incidents/${incidentIdFor({ provider: 'keycloak', realm: REALM, username: u.username })}`,
      );
      expect(res.status).toBe(404);
    }
    await api.call(
      'POST',
      `/incidents/${fellId}/approvals`,
      { approvalId: approval.id, decision: 'approve' },
      'bob',
    );
    await api.untilPhase(fellId, ['contained']);
    await api.call('POST', `/incidents/${fellId}/close`, { reason: 'test done' }, 'alice');
  });
});

describe('durable detection state', () => {
  afterEach(() => stopDetector(worker.client, { provider: 'keycloak', tenant: REALM }, 'next test'));

  it('detects a pushed burst split by a worker restart', async () => {
    const user = await kc.createUser('split');
    const events = keycloakEvents(user, 10, true).split('\n');
    const first = await ingest('keycloak', events.slice(0, 6).join('\n'));
    expect(first.body.alerts).toEqual([]);

    await worker.stop();
    worker = await TestWorker.start(config);

    const second = await ingest('keycloak', events.slice(6).join('\n'));
    expect(second.body.alerts.map((a: { rule: string }) => a.rule)).toEqual([
      'failed-login-burst',
      'credential-compromise-after-burst',
    ]);
    const id = incidentIdFor({ provider: 'keycloak', realm: REALM, username: user.username });
    // Pushed evidence: a person confirms before anything happens.
    const confirm = await api.pendingApproval(id, 'confirmContainment');
    await api.call(
      'POST',
      `/incidents/${id}/approvals`,
      { approvalId: confirm.id, decision: 'approve' },
      'bob',
    );
    await api.untilPhase(id, ['contained']);
    await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, 'alice');
  });

  it('the collector resumes after a worker restart with no gap and no duplicate', async () => {
    await ensureDetector(worker.client, config.temporal.taskQueue, {
      provider: 'keycloak',
      tenant: REALM,
      pull: { intervalMs: 300 },
    });
    const handle = worker.client.workflow.getHandle(detectorId({ provider: 'keycloak', tenant: REALM }));
    const user = await kc.createUser('resumed');
    for (let i = 0; i < 5; i++) await kc.login({ ...user, password: 'wrong' }).catch(() => undefined);
    await eventually(
      async () => (await handle.query(detectorStatusQuery)).counters.received >= 5,
      'the first failures pulled',
    );

    await worker.stop(); // the collector is down while the attack goes on
    for (let i = 0; i < 5; i++) await kc.login({ ...user, password: 'wrong' }).catch(() => undefined);
    await kc.login(user);
    worker = await TestWorker.start(config);

    const id = incidentIdFor({ provider: 'keycloak', realm: REALM, username: user.username });
    const state = await api.untilPhase(id, ['contained']);
    expect(state.alerts[0].source).toBe('detection:credential-compromise-after-burst');
    expect(state.alerts[0].eventIds).toHaveLength(11); // all ten failures and the success: no gap
    const status = await worker.client.workflow
      .getHandle(detectorId({ provider: 'keycloak', tenant: REALM }))
      .query(detectorStatusQuery);
    expect(status.counters.duplicates).toBe(0);
    await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, 'alice');
  });
});

describe('long-running detectors', () => {
  it('continue-as-new keeps windows, dedup and alerts', async () => {
    const source = { provider: 'okta' as const, tenant: `can-${randomUUID().slice(0, 8)}` };
    const handle = await worker.client.workflow.start('detector', {
      workflowId: detectorId(source),
      taskQueue: config.temporal.taskQueue,
      args: [{ source, eventsPerRun: 4 }],
    });
    const failure = (i: number) =>
      JSON.stringify({
        uuid: `${source.tenant}-${i}`,
        published: new Date(Date.now() - 60_000 + i * 1000).toISOString(),
        eventType: 'user.session.start',
        outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' },
        actor: { id: 'u9', alternateId: 'quinn@acme.example', type: 'User' },
        client: { ipAddress: '198.51.100.9' },
        debugContext: { debugData: { orgId: source.tenant } },
      });
    const batches = [
      [0, 1, 2, 3],
      [4, 5, 6],
      [7, 8, 9],
    ];
    const results = [];
    for (const b of batches) results.push((await ingest('okta', b.map(failure).join('\n'))).body);
    // The burst of ten failures spans three runs of the workflow and is still one burst.
    expect(results.map((r) => r.alerts.map((a: { rule: string }) => a.rule))).toEqual([
      [],
      [],
      ['failed-login-burst'],
    ]);
    const again = await ingest('okta', batches[0].map(failure).join('\n'));
    expect(again.body).toMatchObject({ accepted: 0, duplicates: 4 });

    const described = await worker.client.workflow.getHandle(handle.workflowId).describe();
    expect(described.runId).not.toBe(handle.firstExecutionRunId);
    const status = await worker.client.workflow.getHandle(handle.workflowId).query(detectorStatusQuery);
    expect(status.counters).toMatchObject({ received: 10, duplicates: 4, alerts: 1 });
    await worker.client.workflow.getHandle(handle.workflowId).terminate('test done');
  });

  it('continues-as-new under a steady stream of alerts, carrying their routing to the next run', async () => {
    const source = { provider: 'okta' as const, tenant: `can-${randomUUID().slice(0, 8)}` };
    const handle = await worker.client.workflow.start('detector', {
      workflowId: detectorId(source),
      taskQueue: config.temporal.taskQueue,
      args: [{ source, eventsPerRun: 20 }],
    });
    // Forty accounts each made a super administrator: an alert (privilege escalation) per event.
    const signIn = (i: number) =>
      JSON.stringify({
        uuid: `${source.tenant}-${i}`,
        published: new Date(Date.now() - 60_000 + i * 100).toISOString(),
        eventType: 'user.account.privilege.grant',
        outcome: { result: 'SUCCESS' },
        actor: { id: 'admin1', alternateId: 'admin@acme.example', type: 'User' },
        target: [{ id: `u${i}`, alternateId: `granted${i}@acme.example`, type: 'User' }],
        client: { ipAddress: '198.51.100.10' },
        debugContext: { debugData: { orgId: source.tenant, privilegeGranted: 'Super administrator' } },
      });
    const pushed = await ingest('okta', Array.from({ length: 40 }, (_, i) => signIn(i)).join('\n'));
    expect(pushed.body.accepted).toBe(40);
    const raised = pushed.body.alerts.length;
    expect(raised).toBeGreaterThan(20);
    // Every alert routed (none lost to a continue-as-new), across more than one run.
    const status = await eventually(async () => {
      const s = await worker.client.workflow.getHandle(handle.workflowId).query(detectorStatusQuery);
      return s.recentAlerts.length === raised && s.recentAlerts.every((a) => a.routed) ? s : undefined;
    }, 'every alert routed');
    expect(status.counters.alerts).toBe(raised);
    // The first run did not wait for its routing queue to empty: it handed the rest on.
    const first = await worker.client.workflow
      .getHandle(handle.workflowId, handle.firstExecutionRunId)
      .fetchHistory();
    const routedThere = (first.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes).length;
    expect(routedThere).toBeLessThan(raised);
    await worker.client.workflow.getHandle(handle.workflowId).terminate('test done');
  });
});
