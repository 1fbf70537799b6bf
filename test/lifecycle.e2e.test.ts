/**
 * The whole lifecycle on the real Keycloak: after the credential is stolen, the attacker has a
 * second factor enrolled, is granted an admin role and uses a confidential client. The playbook
 * contains, finds all three, removes the factor and the grant, rotates the client's secret (the old
 * one stops working), reinstates the person after a quiet watch window and an approval, and writes
 * a review that lists all of it with its times. Every Keycloak assertion uses the test's own calls.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineConfig } from '../config/config';
import type { Finding } from '../domain/incident';
import { eventually, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { Received, startReceiver } from './support/receiver';
import { KeycloakTestClient } from './support/keycloak';
import { captureHistory } from './support/histories';
import {
  approvalDecidedSchema,
  evidenceSchema,
  incidentReceiptSchema,
  incidentStateSchema,
  noteAddedSchema,
} from '../api/common/responses';

const RESPONDER = 'lc.responder';
const APPROVER = 'lc.approver';
let config: EngineConfig;
let worker: TestWorker;
let api: TestApi;
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let hooks: Received[];

beforeAll(async () => {
  // A local receiver stands in for the responders' webhook and Slack channel.
  receiver = await startReceiver();
  hooks = receiver.received;
  const hookUrl = receiver.url;
  config = {
    ...testConfig(),
    notifyWebhookUrl: `${hookUrl}/hook`,
    notifySlackWebhookUrl: `${hookUrl}/slack`,
  };
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  await receiver?.close();
});

it('investigates, eradicates, reinstates after approval and reviews', async () => {
  const compromisedSince = new Date(Date.now() - 1000).toISOString();
  // The attacker's work: a phone enrolled as second factor, an admin role, a confidential client.
  const victim = await kc.createUser('lifecycle', { otp: true });
  await kc.grantRealmRole(victim.id, 'ir-admin');
  const client = await kc.createConfidentialClient('billing');
  await kc.login(victim, 'openid', { id: client.id, secret: client.secret });
  expect(await kc.clientCredentials(client.id, client.secret)).toBe('accepted');

  const opened = await api.openIncident(victim.username, RESPONDER, {
    severity: 'critical',
    compromisedSince,
    policy: { recoveryWatchMs: 1500, reinstate: { timeoutMs: 120_000 } },
  });
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;

  // Recovery waits for a human after the watch window: by then investigation and eradication ran.
  const approval = await api.pendingApproval(id, 'reinstateAccount');
  let state = await api.incident(id);
  expect(state.phase).toBe('recover');

  const findings = state.investigation!.findings;
  const grant = findings.find((f) => f.kind === 'role-grant') as Extract<Finding, { kind: 'role-grant' }>;
  expect(grant).toMatchObject({
    role: 'ir-admin',
    container: 'realm',
    remedy: 'remove-grant',
    privileged: true,
  });
  // The test's setup grants as the master-realm admin: named as an account of another realm.
  expect(grant.grantedBy).toMatch(/^user [0-9a-f-]{36} of realm [0-9a-f-]{36}$/);
  expect(findings).toContainEqual(
    expect.objectContaining({
      kind: 'factor',
      type: 'otp',
      label: 'attacker phone',
      remedy: 'remove-factor',
    }),
  );
  expect(findings).toContainEqual(
    expect.objectContaining({
      kind: 'client-used',
      clientId: client.id,
      confidential: true,
      remedy: 'rotate-secret',
    }),
  );

  // Realm settings that helped: proposed on their own approval (realm-wide); rejected here, so the
  // shared test realm keeps brute-force protection off (test/realm-eradication covers applying them).
  const hardening = await api.pendingApproval(id, 'hardenRealm');
  expect(hardening.summary).toMatch(/^harden keycloak realm 'corp': .*bruteForceProtected/);
  expect(
    (
      await api.call(
        'POST',
        `/incidents/${id}/approvals`,
        { approvalId: hardening.id, decision: 'reject', comment: 'change window needed' },
        APPROVER,
      )
    ).status,
  ).toBe(200);
  await eventually(async () => {
    const s = await api.incident(id);
    return s.actions.some((a) => a.action === 'hardenRealm' && a.status === 'skipped') ? s : undefined;
  }, 'hardening skipped');
  expect((await kc.realmSettings()).bruteForceProtected).toBe(false);
  expect(findings).toContainEqual(
    expect.objectContaining({ kind: 'realm-setting', setting: 'bruteForceProtected', current: 'off' }),
  );
  expect(findings).toContainEqual(
    expect.objectContaining({
      kind: 'realm-setting',
      setting: "client 'corp-app' directAccessGrantsEnabled",
    }),
  );

  // Eradicated, as Keycloak itself says.
  const realmRoles = await kc.admin<{ name: string }[]>('GET', `/users/${victim.id}/role-mappings/realm`);
  expect(realmRoles.map((r) => r.name)).not.toContain('ir-admin');
  expect((await kc.credentials(victim.id)).map((c) => c.type)).not.toContain('otp');
  expect(['invalid_client', 'unauthorized_client']).toContain(
    await kc.clientCredentials(client.id, client.secret),
  );
  const eradication = state.actions.find((a) => a.action === 'eradicate');
  expect(eradication?.status).toBe('done');
  const steps = (eradication as unknown as { outcome: { steps: { after: string; proof?: string }[] } })
    .outcome.steps;
  expect(steps.map((s) => s.after)).toEqual(
    expect.arrayContaining([
      "removed realm role 'ir-admin'",
      `rotated the secret of client '${client.id}'`,
      expect.stringMatching(/^removed otp factor 'attacker phone'/),
    ]),
  );
  expect(steps.find((s) => s.proof)?.proof).toMatch(
    /^old secret refused by the token endpoint \((invalid|unauthorized)_client\); new secret accepted$/,
  );
  expect((await kc.user(victim.id)).enabled).toBe(false);

  const investigation = await api.call('GET', `/incidents/${id}/investigation`);
  expect(investigation.status).toBe(200);
  expect(investigation.body.authTimeline.map((e: { client?: string }) => e.client)).toContain(client.id);
  expect(investigation.body.blastRadius.realmRoles).toContainEqual({ name: 'ir-admin', privileged: true });

  // Reinstatement: four-eyes, then the account is back with a reset and MFA enrolment pending.
  const note = await api.call(
    'POST',
    `/incidents/${id}/notes`,
    { text: 'user confirmed the phishing mail' },
    RESPONDER,
  );
  expect(note.status).toBe(200);
  const decided = await api.call(
    'POST',
    `/incidents/${id}/approvals`,
    { approvalId: approval.id, decision: 'approve', comment: 'manager called the user' },
    APPROVER,
  );
  expect(decided.status).toBe(200);
  state = await api.untilPhase(id, ['review']);
  const user = await kc.user(victim.id);
  expect(user.enabled).toBe(true);
  expect(user.requiredActions).toEqual(expect.arrayContaining(['UPDATE_PASSWORD', 'CONFIGURE_TOTP']));
  expect(state.recoveredAt).toBeDefined();

  const closed = await api.call('POST', `/incidents/${id}/close`, { reason: 'recovered' }, RESPONDER);
  expect(closed.status).toBe(200);
  state = await api.untilPhase(id, ['closed']);
  const review = await api.writtenReview(id, (r) => r.status === 'closed');
  expect(review.status).toBe('closed');
  expect(review.metrics.timeToContainMs).toBeGreaterThan(0);
  expect(review.metrics.timeToEradicateMs).toBeGreaterThanOrEqual(review.metrics.timeToContainMs!);
  expect(review.metrics.timeToRecoverMs).toBeGreaterThanOrEqual(review.metrics.timeToEradicateMs!);
  expect(review.metrics.approvals).toContainEqual(
    expect.objectContaining({
      action: 'reinstateAccount',
      resolution: 'approved',
      decidedBy: [`${APPROVER} (approve)`],
    }),
  );
  expect(review.actions.map((a) => a.action)).toEqual(
    expect.arrayContaining(['revokeSessions', 'disableAccount', 'eradicate', 'reinstateAccount']),
  );
  expect(review.findings).toEqual(findings);
  expect(review.notes.map((n) => n.text)).toEqual(['user confirmed the phishing mail']);
  expect(review.evidence.verified).toBe(true);
  expect(review.indicators.clients).toContain(client.id);
  // What eradication and recovery wrote to the chain is anchored in history like the rest.
  const anchored = (await api.incident(id)).evidence.map((e) => e.kind);
  expect(anchored).toEqual(expect.arrayContaining(['eradication', 'reinstatement']));
  const evidence = await api.call('GET', `/incidents/${id}/evidence`);
  // The answers are what the OpenAPI document says they are (api/common/responses.ts).
  for (const [schema, body] of [
    [incidentReceiptSchema, opened.body],
    [noteAddedSchema, note.body],
    [approvalDecidedSchema, decided.body],
    [incidentStateSchema, closed.body],
    [incidentStateSchema, (await api.call('GET', `/incidents/${id}`)).body],
    [evidenceSchema, evidence.body],
  ] as const) {
    const check = schema.safeParse(body);
    expect(check.success ? [] : check.error.issues).toEqual([]);
  }
  expect(evidence.body.verification).toMatchObject({ ok: true, problems: [] });

  // Responders were told at every milestone, on both channels.
  const generic = hooks.filter((h) => h.path === '/hook' && h.body.incidentId === id).map((h) => h.body);
  expect(generic.filter((b) => b.kind === 'phase').map((b) => b.phase)).toEqual(
    expect.arrayContaining(['investigate', 'eradicate', 'recover', 'recovered', 'closed']),
  );
  expect(generic).toContainEqual(expect.objectContaining({ kind: 'approval-requested' }));
  const slack = hooks
    .filter((h) => h.path === '/slack')
    .map((h) => h.body as { text: string; blocks: unknown[] });
  expect(slack.some((b) => b.text.includes('reinstated') && b.blocks.length === 2)).toBe(true);

  const markdown = await fetch(`${api.url}/incidents/${id}/review?format=markdown`);
  expect(markdown.headers.get('content-type')).toMatch(/text\/markdown/);
  const text = await markdown.text();
  for (const heading of [
    '## Times',
    '## Approvals',
    '## Findings',
    '## Actions',
    '## Evidence',
    '## Recommendations',
  ]) {
    expect(text).toContain(heading);
  }
  expect(text).toContain(`rotated the secret of client '${client.id}'`);
  const dir = path.resolve(__dirname, '..', '.runtime', 'reports');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'review-example.md'), text);
  writeFileSync(path.join(dir, 'review-example.json'), JSON.stringify(review, null, 2));
  captureHistory(id, 'lifecycle-eradicate-recover');
});

it('holds recovery when a new detection arrives during the watch window', async () => {
  const victim = await kc.createUser('relapse');
  const opened = await api.openIncident(victim.username, RESPONDER, {
    severity: 'critical',
    policy: { recoveryWatchMs: 60_000 },
  });
  const id = opened.body.incidentId;
  await api.untilPhase(id, ['recover']);
  const again = await api.openIncident(victim.username, 'detector.keycloak', {
    summary: 'login from a new country after containment',
  });
  expect({ status: again.status, body: again.body }).toMatchObject({ status: 200, body: { joined: true } });
  const state = await api.untilPhase(id, ['review']);
  expect(state.timeline.map((t) => t.message)).toContainEqual(
    expect.stringContaining('held: a new detection arrived during the watch window'),
  );
  expect(state.recoveredAt).toBeUndefined();
  expect((await kc.user(victim.id)).enabled).toBe(false);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  await api.untilPhase(id, ['closed']);
  captureHistory(id, 'recovery-held-by-detection');
});

it('holds recovery while eradication is incomplete until a person accepts the risk', async () => {
  const compromisedSince = new Date(Date.now() - 1000).toISOString();
  // Realm administration granted to the victim: the engine (manage-users, not realm-admin) cannot
  // take it back, so eradication stays incomplete.
  const victim = await kc.createUser('realmadmin');
  const [mgmt] = await kc.admin<{ id: string }[]>('GET', '/clients?clientId=realm-management');
  const realmAdmin = await kc.admin<{ id: string; name: string }>(
    'GET',
    `/clients/${mgmt.id}/roles/realm-admin`,
  );
  await kc.admin('POST', `/users/${victim.id}/role-mappings/clients/${mgmt.id}`, [realmAdmin]);

  const opened = await api.openIncident(victim.username, RESPONDER, {
    severity: 'critical',
    compromisedSince,
    policy: { recoveryWatchMs: 500, reinstate: { timeoutMs: 120_000 } },
  });
  const id: string = opened.body.incidentId;
  const risk = await api.pendingApproval(id, 'acceptRisk');
  expect(risk.summary).toContain('eradication is incomplete');
  let state = await api.incident(id);
  expect(state.eradicatedAt).toBeUndefined();
  expect(state.approvals.some((a) => a.action === 'reinstateAccount')).toBe(false);
  expect((await kc.user(victim.id)).enabled).toBe(false);

  const rejected = await api.call(
    'POST',
    `/incidents/${id}/approvals`,
    { approvalId: risk.id, decision: 'reject' },
    APPROVER,
  );
  expect(rejected.status).toBe(200);
  state = await eventually(async () => {
    const s = await api.incident(id);
    return s.timeline.some((t) => t.message.startsWith('recovery held')) ? s : undefined;
  }, 'recovery to be held');
  expect(state.approvals.some((a) => a.action === 'reinstateAccount')).toBe(false);
  expect((await kc.user(victim.id)).enabled).toBe(false);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});
