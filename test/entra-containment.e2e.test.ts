/**
 * The compromised-credential playbook on Microsoft Entra ID, end to end: a real Temporal server,
 * the engine's Entra connector (Microsoft Graph SDK, @azure/identity) and a stateful fake tenant
 * built from Graph's documented contract. What containment did is proven the way the attacker
 * would find out — the stolen password and refresh token refused — and what Entra does not end at
 * once (an access token already issued) is reported as residual access, not hidden.
 */
import { randomUUID } from 'node:crypto';
import type { EngineConfig } from '../config/config';
import { incidentIdFor } from '../domain/principal-key';
import { EntraProvider } from '../providers/entra/connector';
import { ensureDetector, stopDetector } from '../worker/detectors';
import { eventually, testConfig, TestApi, TestWorker } from './support/engine';
import { FakeEntraTenant } from './support/fake-entra-tenant';

const TENANT = 'contoso';
const ENGINE = { id: randomUUID(), secret: randomUUID() };
const APP = randomUUID();
const RESPONDER = 'alice.responder';
const APPROVER = 'bob.approver';

let tenant: FakeEntraTenant;
let config: EngineConfig;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  tenant = await FakeEntraTenant.start(TENANT, ENGINE);
  tenant.publicClients.add(APP);
  config = {
    ...testConfig(),
    entra: {
      tenantId: TENANT,
      clientId: ENGINE.id,
      clientSecret: ENGINE.secret,
      authority: tenant.loginUrl,
      graphUrl: tenant.url,
    },
  };
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  await tenant?.stop();
});

it('contains a compromised Entra user: password and refresh token refused, account disabled, residual access reported', async () => {
  const password = `Pw-${randomUUID()}`;
  const upn = `pat.${randomUUID().slice(0, 6)}@contoso.example`;
  const user = tenant.addUser(upn, password, ['softwareOath', 'microsoftAuthenticator']);
  const stolen = tenant.issueForTest(user.id, APP);
  expect(tenant.refreshWorks(stolen.refresh_token)).toBe(true);
  tenant.throttle = { times: 1, retryAfterSeconds: 1 }; // Graph's 429 once, mid-incident

  const opened = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'compromised-credential',
      principal: { provider: 'entra', realm: TENANT, username: upn },
      severity: 'high',
      summary: `credential of ${upn} seen on a phishing kit`,
      suspectTokens: [stolen.access_token],
    },
    RESPONDER,
  );
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;

  const approval = await api.pendingApproval(id, 'disableAccount');
  expect(tenant.passwordWorks(upn, password)).toBe(false);
  expect(tenant.refreshWorks(stolen.refresh_token)).toBe(false);
  expect(tenant.users.get(user.id)!.methods).toEqual([]);
  expect(tenant.users.get(user.id)!.accountEnabled).toBe(true);
  expect(
    (
      await api.call(
        'POST',
        `/incidents/${id}/approvals`,
        { approvalId: approval.id, decision: 'approve' },
        APPROVER,
      )
    ).status,
  ).toBe(200);

  const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
  expect(state.verification?.checks.filter((c) => !c.ok)).toEqual([]);
  expect(tenant.users.get(user.id)!.accountEnabled).toBe(false);
  // Identity Protection is told, so risk-based Conditional Access treats the account as compromised.
  expect(tenant.riskState.get(user.id)).toBe('confirmedCompromised');
  // Honest about Entra: the access token already issued lives on until it expires, and says until when.
  expect(tenant.accessWorks(stolen.access_token)).toBe(true);
  const residual = state.verification?.checks.find((c) => c.name === 'residual-access');
  expect(residual?.detail).toMatch(/^verified, residual access until \d{4}-/);
  expect(tenant.requests.some((r) => r.status === 429)).toBe(true);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});

it('the doctor reads the app permissions from its Graph token, and names what is missing', async () => {
  const provider = new EntraProvider(config.entra!);
  const byPort = async () =>
    Object.fromEntries((await provider.checkPermissions(TENANT)).ports.map((p) => [p.port, p]));
  const full = await byPort();
  expect(full['account-containment'].status).toBe('ok');
  expect(full['client-credentials']).toMatchObject({
    status: 'ok',
    detail: expect.stringMatching(/Application\.ReadWrite\.All/),
  });
  expect(full['signing-keys']).toMatchObject({
    status: 'not-supported',
    detail: expect.stringMatching(/^not supported by entra/),
  });
  const roles = tenant.appRoles;
  tenant.appRoles = roles.filter((r) => r !== 'UserAuthenticationMethod.ReadWrite.All');
  try {
    const fresh = new EntraProvider(config.entra!); // a new token with the new roles
    const less = Object.fromEntries((await fresh.checkPermissions(TENANT)).ports.map((p) => [p.port, p]));
    expect(less.factors).toMatchObject({
      status: 'missing',
      grant: expect.stringMatching(/UserAuthenticationMethod/),
    });
    expect(less['audit-source'].status).toBe('ok');
  } finally {
    tenant.appRoles = roles;
  }
});

it('MFA fatigue on Entra ID: nobody could ask the user, a person decides, then every way in is cut', async () => {
  const password = `Pw-${randomUUID()}`;
  const upn = `sam.${randomUUID().slice(0, 6)}@contoso.example`;
  const user = tenant.addUser(upn, password, ['microsoftAuthenticator']);
  const stolen = tenant.issueForTest(user.id, APP);
  const opened = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'mfa-fatigue',
      principal: { provider: 'entra', realm: TENANT, username: upn },
      severity: 'high',
      summary: `push prompts flooding ${upn}`,
    },
    RESPONDER,
  );
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  const approval = await api.pendingApproval(id, 'containWithoutAnswer');
  expect(tenant.refreshWorks(stolen.refresh_token)).toBe(true); // nothing changes before the decision
  await api.call(
    'POST',
    `/incidents/${id}/approvals`,
    { approvalId: approval.id, decision: 'approve' },
    APPROVER,
  );
  const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
  expect(state.verification?.checks.filter((c) => !c.ok)).toEqual([]);
  expect(tenant.users.get(user.id)!.accountEnabled).toBe(false);
  expect(tenant.users.get(user.id)!.methods).toEqual([]);
  expect(tenant.refreshWorks(stolen.refresh_token)).toBe(false);
  expect(tenant.passwordWorks(upn, password)).toBe(false);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});

it('session hijack on Entra ID: Graph cannot end one session, so every session ends and the account stays usable', async () => {
  const upn = `lee.${randomUUID().slice(0, 6)}@contoso.example`;
  const password = `Pw-${randomUUID()}`;
  const user = tenant.addUser(upn, password);
  const stolen = tenant.issueForTest(user.id, APP);
  expect(tenant.refreshWorks(stolen.refresh_token)).toBe(true);
  const opened = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'session-hijack',
      principal: { provider: 'entra', realm: TENANT, username: upn },
      severity: 'high',
      summary: `session of ${upn} replayed from another country`,
      sessionId: randomUUID(),
    },
    RESPONDER,
  );
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
  expect(state.phase).toBe('contained');
  expect(state.verification?.checks).toEqual([
    expect.objectContaining({ name: 'stolen-session-ended', ok: true }),
  ]);
  expect(state.actions.map((a) => [a.action, a.status])).toEqual([
    ['revokeSession', 'failed'],
    ['revokeSessions', 'done'],
  ]);
  const notes = state.timeline.filter((e) => e.kind === 'note').map((e) => e.message);
  expect(notes).toContainEqual(expect.stringMatching(/^finding: revokeSession .*not supported by entra/));
  expect(notes).toContainEqual(expect.stringMatching(/entra cannot end one session: ending every session/));
  // As the attacker finds out: the hijacked refresh token is refused. The person is not locked out.
  expect(tenant.refreshWorks(stolen.refresh_token)).toBe(false);
  expect(tenant.users.get(user.id)!.accountEnabled).toBe(true);
  expect(tenant.passwordWorks(upn, password)).toBe(true);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});

it('replaces a password and revokes sessions even when the attacker changed or revoked them after the incident began', async () => {
  const upn = `max.${randomUUID().slice(0, 6)}@contoso.example`;
  const user = tenant.addUser(upn, `Pw-${randomUUID()}`);
  const since = new Date(Date.now() - 30_000).toISOString();
  // The attacker reset the password through self-service and signed out everywhere after `since`,
  // then signed in again: a refresh token newer than that revocation.
  user.password = 'attackers-own-password';
  user.lastPasswordChangeDateTime = new Date(Date.now() - 10_000).toISOString();
  user.signInSessionsValidFromDateTime = new Date(Date.now() - 10_000).toISOString();
  const fresh = tenant.issueForTest(user.id, APP);
  expect(tenant.refreshWorks(fresh.refresh_token)).toBe(true);
  const provider = new EntraProvider(config.entra!);
  const p = { provider: 'entra' as const, realm: TENANT, username: upn };
  await provider.ports['sessions-and-tokens']!.revokeSessions(p, { since });
  expect(tenant.refreshWorks(fresh.refresh_token)).toBe(false);
  await provider.ports['account-containment']!.requireReauthentication(p, { since });
  expect(tenant.passwordWorks(upn, 'attackers-own-password')).toBe(false);
});

it('privilege escalation on Entra ID: the directory role comes back off, the grantor is disabled; "authorised" puts both back', async () => {
  const grantee = tenant.addUser(`eve.${randomUUID().slice(0, 6)}@contoso.example`, `Pw-${randomUUID()}`);
  const grantor = tenant.addUser(`ops.${randomUUID().slice(0, 6)}@contoso.example`, `Pw-${randomUUID()}`);
  tenant.assignRole(grantee.id, 'Global Administrator');
  tenant.assignRole(grantor.id, 'Privileged Role Administrator');
  const opened = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'privilege-escalation',
      principal: { provider: 'entra', realm: TENANT, username: grantee.userPrincipalName },
      severity: 'critical',
      summary: `Global Administrator granted to ${grantee.userPrincipalName}`,
      escalation: { role: 'Global Administrator', container: 'realm', grantedBy: grantor.userPrincipalName },
    },
    RESPONDER,
  );
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  const confirm = await api.pendingApproval(id, 'confirmIncident');
  const contained = await api.incident(id);
  expect(contained.phase).toBe('contained');
  expect(contained.verification?.checks.map((c) => [c.name, c.ok])).toEqual([
    ['grant-reverted', true],
    ['sessions-revoked', true],
    ['actor-suspended', true],
  ]);
  expect(tenant.rolesOf(grantee.id)).toEqual([]);
  expect(tenant.users.get(grantor.id)!.accountEnabled).toBe(false);
  await api.call(
    'POST',
    `/incidents/${id}/approvals`,
    { approvalId: confirm.id, decision: 'reject' },
    APPROVER,
  );
  await api.untilPhase(id, ['review']);
  expect(tenant.rolesOf(grantee.id)).toEqual(['Global Administrator']);
  expect(tenant.users.get(grantor.id)!.accountEnabled).toBe(true);
  // The grantor was not compromised after all: Identity Protection's risk is dismissed again.
  expect(tenant.riskState.get(grantor.id)).toBe('dismissed');
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});

/** The client-credentials grant with an application's secret, as a daemon app (or its thief) asks. */
async function appToken(appId: string, secret: string) {
  const res = await fetch(`${tenant.loginUrl}/${TENANT}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: appId,
      client_secret: secret,
      scope: 'https://graph.microsoft.com/.default',
    }),
  });
  return { status: res.status, body: (await res.json()) as { access_token?: string; error?: string } };
}

it('leaked client secret on Entra ID: the old secret is removed and refused; tokens Entra cannot revoke are residual access', async () => {
  const app = tenant.addConfidentialApp(`payroll-daemon-${randomUUID().slice(0, 6)}`);
  const stolen = await appToken(app.appId, app.secret);
  expect(stolen.status).toBe(200);

  const opened = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'leaked-client-secret',
      principal: { provider: 'entra', realm: TENANT, username: app.appId },
      clientId: app.appId,
      severity: 'high',
      summary: `secret of ${app.appId} in a pasted build log`,
    },
    RESPONDER,
  );
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  const state = await api.untilPhase(id, ['review', 'containment-unverified']);
  expect(state.phase).toBe('review');
  expect(state.verification?.checks.map((c) => [c.name, c.ok])).toEqual([
    ['secret-rotated', true],
    ['tokens-revoked', true],
    ['old-secrets-gone', true],
    ['residual-access', true],
  ]);
  // As the thief finds out: the leaked secret gets no token any more.
  expect(await appToken(app.appId, app.secret)).toMatchObject({
    status: 401,
    body: { error: 'invalid_client' },
  });
  const registration = [...tenant.applications.values()].find((a) => a.appId === app.appId)!;
  expect(registration.passwordCredentials).toEqual([]);
  // Honest: the access token minted before stays valid until it expires, and the incident says until when.
  expect(tenant.accessWorks(stolen.body.access_token!)).toBe(true);
  const tokens = state.actions.find((a) => a.action === 'revokeClientTokens');
  expect(tokens).toMatchObject({ status: 'done', outcome: { changed: false } });
  const residual = state.verification!.checks.find((c) => c.name === 'residual-access')!;
  const until = Date.parse(/residual access until (\S+):/.exec(residual.detail)![1]);
  expect(until).toBeGreaterThan(Date.now() + 80 * 60_000);

  // A bad client id is refused before it reaches a Graph URL.
  const bad = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'leaked-client-secret',
      principal: { provider: 'entra', realm: TENANT, username: "x')/owners" },
      clientId: "x')/owners",
      severity: 'high',
      summary: 'not a client id',
    },
    RESPONDER,
  );
  if (bad.status === 201) {
    const refused = await api.untilPhase(bad.body.incidentId, ['review', 'containment-unverified']);
    expect(refused.verification?.verified).toBe(false);
    expect(refused.timeline.map((t) => t.message)).toContain("client 'x')/owners' NOT contained");
    expect(refused.actions.find((a) => a.action === 'rotateClientSecret')).toMatchObject({
      status: 'failed',
      error: expect.stringMatching(/EntraClientId/),
    });
  } else expect(bad.status).toBe(400);
  expect(tenant.requests.some((r) => r.path.includes('owners'))).toBe(false);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});

/** The password grant as anyone holding (or guessing) the password would use it. */
async function passwordGrant(upn: string, password: string): Promise<number> {
  const res = await fetch(`${tenant.loginUrl}/${TENANT}/oauth2/v2.0/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: APP,
      username: upn,
      password,
      scope: 'openid offline_access User.Read',
    }),
  });
  return res.status;
}

it('detection on Entra sign-ins: a failed-password burst then a success opens the incident and contains the account', async () => {
  const source = {
    provider: 'entra' as const,
    tenant: TENANT,
    pull: { intervalMs: 300, lookbackMs: 60_000 },
  };
  await ensureDetector(worker.client, config.temporal.taskQueue, source);
  try {
    const upn = `max.${randomUUID().slice(0, 6)}@contoso.example`;
    const password = `Pw-${randomUUID()}`;
    const user = tenant.addUser(upn, password);
    for (let i = 0; i < 10; i++) expect(await passwordGrant(upn, `wrong-${i}`)).toBe(400);
    expect(await passwordGrant(upn, password)).toBe(200);

    const id = incidentIdFor({ provider: 'entra', realm: TENANT, username: upn });
    const started = await eventually(async () => {
      const res = await api.call('GET', `/incidents/${id}`);
      return res.status === 200 ? res.body : undefined;
    }, 'the incident opened by the sign-in collector');
    expect(started.alerts[0].source).toBe('detection:credential-compromise-after-burst');

    const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
    expect(state.verification?.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(tenant.users.get(user.id)!.accountEnabled).toBe(false);
    expect(await passwordGrant(upn, password)).toBe(400);
    await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  } finally {
    await stopDetector(worker.client, source, 'test done');
  }
});

it('privilege escalation on Entra ID through a PIM eligible assignment: not called contained while it stands', async () => {
  const grantee = tenant.addUser(`pim.${randomUUID().slice(0, 6)}@contoso.example`, `Pw-${randomUUID()}`);
  const grantor = tenant.addUser(`adm.${randomUUID().slice(0, 6)}@contoso.example`, `Pw-${randomUUID()}`);
  // Eligible, not active: the grantee can activate Global Administrator whenever they like.
  tenant.makeEligible(grantee.id, 'Global Administrator');
  const opened = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'privilege-escalation',
      principal: { provider: 'entra', realm: TENANT, username: grantee.userPrincipalName },
      severity: 'critical',
      summary: `Global Administrator made eligible for ${grantee.userPrincipalName}`,
      escalation: { role: 'Global Administrator', container: 'realm', grantedBy: grantor.userPrincipalName },
    },
    RESPONDER,
  );
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  const state = await api.untilPhase(id, ['containment-unverified']);
  expect(state.containedAt).toBeUndefined();
  expect(state.verification?.checks.find((c) => c.name === 'grant-reverted')).toMatchObject({
    ok: false,
    detail: 'role still mapped',
  });
  expect(tenant.roleEligibilities.size).toBeGreaterThan(0);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});
