/**
 * The compromised-credential playbook on Okta, end to end: a real Temporal server, the engine's
 * Okta connector (the official SDK) and a stateful fake Okta org built from Okta's documented
 * contracts. Every assertion about the org is made the way an attacker holding the password and the
 * tokens would find out: a sign-in, a refresh, an introspection — not through the engine.
 */
import { randomUUID } from 'node:crypto';
import type { EngineConfig } from '../config/config';
import { incidentIdFor } from '../domain/principal-key';
import { OktaProvider } from '../providers/okta/connector';
import { ensureDetector, stopDetector } from '../worker/detectors';
import { eventually, testConfig, TestApi, TestWorker } from './support/engine';
import { FakeOktaOrg } from './support/fake-okta-org';

const TOKEN = `00${randomUUID().replace(/-/g, '')}`;
const ORG = 'acme';
const APP = 'okta-native-app';
const RESPONDER = 'alice.responder';
const APPROVER = 'bob.approver';

let org: FakeOktaOrg;
let config: EngineConfig;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  org = await FakeOktaOrg.start(TOKEN);
  org.addClient(APP);
  config = { ...testConfig(), okta: { orgUrl: org.url, apiToken: TOKEN, introspectionClientId: APP } };
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  await org?.stop();
});

/** What anyone holding the password can do with it: Okta's primary authentication. */
async function signIn(login: string, password: string) {
  const res = await fetch(`${org.url}/api/v1/authn`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: login, password }),
  });
  return { status: res.status, body: (await res.json()) as { status?: string; sessionToken?: string } };
}

async function tokens(login: string, password: string) {
  const res = await fetch(`${org.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: APP,
      username: login,
      password,
      scope: 'openid offline_access',
    }),
  });
  return (await res.json()) as { access_token: string; refresh_token: string };
}

async function introspect(token: string): Promise<boolean> {
  const res = await fetch(`${org.url}/oauth2/v1/introspect`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token, client_id: APP }),
  });
  return ((await res.json()) as { active: boolean }).active;
}

/** The Management API as the holder of an API token (SSWS) would call it. */
function asApiToken(token: string) {
  return fetch(`${org.url}/api/v1/users/me`, { headers: { authorization: `SSWS ${token}` } });
}

async function refreshes(refreshToken: string): Promise<boolean> {
  const res = await fetch(`${org.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', client_id: APP, refresh_token: refreshToken }),
  });
  return res.ok;
}

it('contains a compromised Okta user: the stolen password, sessions and tokens stop working, the account is suspended', async () => {
  const password = `Pw-${randomUUID()}`;
  const login = `pat.${randomUUID().slice(0, 6)}@acme.example`;
  const user = org.addUser(login, password);
  const stolen = await tokens(login, password);
  expect(await introspect(stolen.access_token)).toBe(true);
  // Persistence: an API token made with the user's session outlives every session and password.
  const persistence = org.addApiToken(user.id, 'backup-sync');
  const another = org.addUser(`other.${randomUUID().slice(0, 6)}@acme.example`, `Pw-${randomUUID()}`);
  const othersToken = org.addApiToken(another.id, 'someone else');
  expect((await asApiToken(persistence)).status).toBe(200);
  org.throttle = { times: 1, resetInSeconds: 1 }; // Okta's rate limit once, mid-incident

  const opened = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'compromised-credential',
      principal: { provider: 'okta', realm: ORG, username: login },
      severity: 'high',
      summary: `credential of ${login} seen on a phishing kit`,
      suspectTokens: [stolen.refresh_token, stolen.access_token],
    },
    RESPONDER,
  );
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  expect(id).toBe(incidentIdFor({ provider: 'okta', realm: ORG, username: login }));

  // The password, sessions and tokens are cut at once; suspending waits for a second person.
  const approval = await api.pendingApproval(id, 'disableAccount');
  expect((await signIn(login, password)).status).toBe(401);
  expect(await introspect(stolen.access_token)).toBe(false);
  expect(await refreshes(stolen.refresh_token)).toBe(false);
  expect(org.users.get(user.id)!.status).toBe('ACTIVE');
  const decided = await api.call(
    'POST',
    `/incidents/${id}/approvals`,
    { approvalId: approval.id, decision: 'approve', comment: 'called the user' },
    APPROVER,
  );
  expect(decided.status).toBe(200);

  const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
  expect(state.verification?.checks.filter((c) => !c.ok)).toEqual([]);
  expect(state.verification?.checks.map((c) => c.name)).toEqual(
    expect.arrayContaining([
      'account-state',
      'stolen-password-replaced',
      'factors-removed',
      'no-tokens',
      'token-1-inactive',
    ]),
  );
  expect(state.containedAt).toBeDefined();
  expect(org.users.get(user.id)!.status).toBe('SUSPENDED');
  expect((await signIn(login, password)).status).toBe(401);
  // The user's API token is revoked; another user's is not.
  expect((await asApiToken(persistence)).status).toBe(401);
  expect((await asApiToken(othersToken)).status).toBe(200);
  expect(state.actions.find((a) => a.action === 'revokeOfflineAccess')).toMatchObject({
    outcome: { detail: expect.stringMatching(/1 API token\(s\) of the user revoked/) },
  });
  // The 429 was waited out, not failed on.
  expect(org.requests.some((r) => r.status === 429)).toBe(true);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});

it('identifies an Okta user by id or login, and nobody by a name no account has', async () => {
  const login = `kim.${randomUUID().slice(0, 6)}@acme.example`;
  const user = org.addUser(login, `Pw-${randomUUID()}`);
  const provider = new OktaProvider(config.okta!);
  const identity = await provider.ports['audit-source']!.identify({
    provider: 'okta',
    realm: ORG,
    username: user.id,
  });
  expect(identity).toEqual({ id: user.id, username: login, aliases: [user.id] });
  expect(
    await provider.ports['audit-source']!.identify({
      provider: 'okta',
      realm: ORG,
      username: 'nobody@acme.example',
    }),
  ).toBeUndefined();
  // Okta resolves `me` to the API token's owner, the engine's own admin: never a principal, by any name.
  expect(
    await provider.ports['audit-source']!.identify({ provider: 'okta', realm: ORG, username: 'me' }),
  ).toBeUndefined();
  const owner = { provider: 'okta' as const, realm: ORG, username: org.tokenOwner.profile.login };
  expect(await provider.ports['audit-source']!.identify(owner)).toBeUndefined();
  await expect(provider.ports['account-containment']!.disableAccount(owner)).rejects.toMatchObject({
    type: 'OktaEngineAccount',
    retryable: false,
  });
  expect(org.tokenOwner.status).toBe('ACTIVE');
});

it('the doctor reads the token owner roles: a Super Administrator may contain; a read-only admin may not', async () => {
  const provider = new OktaProvider(config.okta!);
  const ok = Object.fromEntries((await provider.checkPermissions(ORG)).ports.map((p) => [p.port, p]));
  expect(ok['account-containment'].status).toBe('ok');
  expect(ok['client-credentials'].status).toBe('ok');
  expect(ok['signing-keys']).toMatchObject({
    status: 'not-supported',
    detail: expect.stringMatching(/^not supported by okta/),
  });
  org.tokenOwner.roles = [{ ...org.tokenOwner.roles[0], type: 'READ_ONLY_ADMIN' }];
  try {
    const ro = Object.fromEntries((await provider.checkPermissions(ORG)).ports.map((p) => [p.port, p]));
    expect(ro['audit-source'].status).toBe('ok');
    expect(ro['account-containment']).toMatchObject({
      status: 'missing',
      grant: expect.stringMatching(/Organization Administrator/),
    });
    expect(ro['client-credentials']).toMatchObject({
      status: 'missing',
      grant: expect.stringMatching(/Application Administrator|okta\.apps\.manage/),
    });
  } finally {
    org.tokenOwner.roles = [{ ...org.tokenOwner.roles[0], type: 'SUPER_ADMIN' }];
  }
});

it('MFA fatigue on Okta: nobody could ask the user, a person decides, then every way in is cut', async () => {
  const password = `Pw-${randomUUID()}`;
  const login = `sam.${randomUUID().slice(0, 6)}@acme.example`;
  const user = org.addUser(login, password, { factors: ['push'] });
  const opened = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'mfa-fatigue',
      principal: { provider: 'okta', realm: ORG, username: login },
      severity: 'high',
      summary: `push prompts flooding ${login}`,
    },
    RESPONDER,
  );
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  const approval = await api.pendingApproval(id, 'containWithoutAnswer');
  expect(org.users.get(user.id)!.factors).toHaveLength(1); // nothing changes before the decision
  await api.call(
    'POST',
    `/incidents/${id}/approvals`,
    { approvalId: approval.id, decision: 'approve' },
    APPROVER,
  );
  const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
  expect(state.verification?.checks.filter((c) => !c.ok)).toEqual([]);
  expect(org.users.get(user.id)!.status).toBe('SUSPENDED');
  expect(org.users.get(user.id)!.factors).toEqual([]);
  expect((await signIn(login, password)).status).toBe(401);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});

it('session hijack on Okta: only the stolen session ends, proven by reading it back; the other stays', async () => {
  const password = `Pw-${randomUUID()}`;
  const login = `lee.${randomUUID().slice(0, 6)}@acme.example`;
  org.addUser(login, password);
  const laptop = (await signIn(login, password)).body as { sessionToken: string };
  const stolen = (await signIn(login, password)).body as { sessionToken: string };
  const opened = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'session-hijack',
      principal: { provider: 'okta', realm: ORG, username: login },
      severity: 'high',
      summary: `session of ${login} replayed from another country`,
      sessionId: stolen.sessionToken,
    },
    RESPONDER,
  );
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  await api.pendingApproval(id, 'escalateToAccount');
  const state = await api.incident(id);
  expect(state.phase).toBe('contained');
  expect(state.verification?.checks).toEqual([
    expect.objectContaining({ name: 'stolen-session-ended', ok: true }),
  ]);
  expect(org.sessions.has(stolen.sessionToken)).toBe(false);
  expect(org.sessions.has(laptop.sessionToken)).toBe(true);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});

it('replaces a password the attacker changed after the incident began (a change since then proves nothing)', async () => {
  const login = `max.${randomUUID().slice(0, 6)}@acme.example`;
  const user = org.addUser(login, `Pw-${randomUUID()}`);
  const since = new Date(Date.now() - 60_000).toISOString();
  // The attacker, holding the stolen password, set their own through self-service after `since`.
  user.password = 'attackers-own-password';
  user.passwordChanged = new Date().toISOString();
  const provider = new OktaProvider(config.okta!);
  const p = { provider: 'okta' as const, realm: ORG, username: login };
  await provider.ports['account-containment']!.requireReauthentication(p, { since });
  expect((await signIn(login, 'attackers-own-password')).status).toBe(401);
  // A retry writes yet another random password: as unknown as the first.
  await provider.ports['account-containment']!.requireReauthentication(p, { since });
  expect((await signIn(login, 'attackers-own-password')).status).toBe(401);
});

it('privilege escalation on Okta: the admin role comes back off, the grantor is suspended; a person saying it was authorised puts both back', async () => {
  const grantee = org.addUser(`eve.${randomUUID().slice(0, 6)}@acme.example`, `Pw-${randomUUID()}`, {
    roles: ['SUPER_ADMIN'],
  });
  const grantor = org.addUser(`ops.${randomUUID().slice(0, 6)}@acme.example`, `Pw-${randomUUID()}`, {
    roles: ['ORG_ADMIN'],
  });
  const opened = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'privilege-escalation',
      principal: { provider: 'okta', realm: ORG, username: grantee.profile.login },
      severity: 'critical',
      summary: `Super Administrator granted to ${grantee.profile.login}`,
      escalation: { role: 'Super Administrator', container: 'realm', grantedBy: grantor.profile.login },
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
  expect(org.users.get(grantee.id)!.roles).toEqual([]);
  expect(org.users.get(grantor.id)!.status).toBe('SUSPENDED');

  // The grantor may not decide; another person says the grant was authorised: everything goes back.
  expect(
    (
      await api.call(
        'POST',
        `/incidents/${id}/approvals`,
        { approvalId: confirm.id, decision: 'reject' },
        grantor.profile.login,
      )
    ).status,
  ).toBe(403);
  await api.call(
    'POST',
    `/incidents/${id}/approvals`,
    { approvalId: confirm.id, decision: 'reject' },
    APPROVER,
  );
  await api.untilPhase(id, ['review']);
  expect(org.users.get(grantee.id)!.roles.map((r) => r.type)).toEqual(['SUPER_ADMIN']);
  expect(org.users.get(grantor.id)!.status).toBe('ACTIVE');
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});

/** The client-credentials grant with an app's secret (HTTP Basic, as a service app sends it). */
async function appToken(clientId: string, secret: string) {
  const res = await fetch(`${org.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
    },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'api' }),
  });
  return { status: res.status, body: (await res.json()) as { access_token?: string; error?: string } };
}

it('leaked client secret on Okta: the old secret is refused, refresh tokens through the app die, residual access is said', async () => {
  const app = org.addServiceApp(`billing-sync-${randomUUID().slice(0, 6)}`);
  const stolen = await appToken(app.clientId, app.secret);
  expect(stolen.status).toBe(200);
  // A user signed in through the app: the leaked secret would let its refresh token be used.
  const login = `lee.${randomUUID().slice(0, 6)}@acme.example`;
  const password = `Pw-${randomUUID()}`;
  org.addUser(login, password);
  const viaApp = await fetch(`${org.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'password',
      client_id: app.clientId,
      client_secret: app.secret,
      username: login,
      password,
      scope: 'openid offline_access',
    }),
  }).then((r) => r.json() as Promise<{ refresh_token: string }>);

  const opened = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'leaked-client-secret',
      principal: { provider: 'okta', realm: ORG, username: app.clientId },
      clientId: app.clientId,
      severity: 'high',
      summary: `secret of ${app.clientId} pushed to a public repository`,
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

  // As the attacker finds out: the leaked secret is refused, and so is the refresh token.
  expect(await appToken(app.clientId, app.secret)).toMatchObject({
    status: 401,
    body: { error: 'invalid_client' },
  });
  const refreshed = await fetch(`${org.url}/oauth2/v1/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'refresh_token',
      client_id: app.clientId,
      client_secret: org.clients.get(app.clientId)!.secrets[0].value,
      refresh_token: viaApp.refresh_token,
    }),
  });
  expect(refreshed.status).toBe(400);
  // One new secret, made during the incident (its owner reads it in Okta; the engine never held it).
  const secrets = org.clients.get(app.clientId)!.secrets;
  expect(secrets).toHaveLength(1);
  expect(secrets[0]).toMatchObject({ status: 'ACTIVE' });
  expect(Date.parse(secrets[0].created)).toBeGreaterThanOrEqual(Date.parse(state.openedAt) - 1000);
  expect((await appToken(app.clientId, secrets[0].value)).status).toBe(200);
  // Honest: the access token minted with the leaked secret still introspects active until it expires.
  expect(await introspect(stolen.body.access_token!)).toBe(true);
  const residual = state.verification!.checks.find((c) => c.name === 'residual-access')!;
  const until = Date.parse(/residual access until (\S+):/.exec(residual.detail)![1]);
  expect(until).toBeGreaterThan(Date.now() + 50 * 60_000);
  expect(state.timeline.map((t) => t.message)).toContainEqual(
    expect.stringMatching(/finding: client '.+' acts as no account in okta/),
  );
  // No secret value reached the incident's history or state.
  expect(JSON.stringify(state)).not.toContain(app.secret);
  expect(JSON.stringify(state)).not.toContain(secrets[0].value);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});

it('detection on the Okta System Log: a failed-password burst then a success opens the incident and contains the account', async () => {
  const source = { provider: 'okta' as const, tenant: ORG, pull: { intervalMs: 300, lookbackMs: 60_000 } };
  await ensureDetector(worker.client, config.temporal.taskQueue, source);
  try {
    const password = `Pw-${randomUUID()}`;
    const login = `kai.${randomUUID().slice(0, 6)}@acme.example`;
    const user = org.addUser(login, password);
    for (let i = 0; i < 10; i++) expect((await signIn(login, `wrong-${i}`)).status).toBe(401);
    expect((await signIn(login, password)).body.status).toBe('SUCCESS');

    // Nobody called the API: the collector pulled the System Log and the detector opened it.
    const id = incidentIdFor({ provider: 'okta', realm: ORG, username: login });
    const started = await eventually(async () => {
      const res = await api.call('GET', `/incidents/${id}`);
      return res.status === 200 ? res.body : undefined;
    }, 'the incident opened by the System Log collector');
    expect(started.alerts[0].source).toBe('detection:credential-compromise-after-burst');
    expect(started.playbook).toBe('compromised-credential');

    const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
    expect(state.verification?.checks.filter((c: { ok: boolean }) => !c.ok)).toEqual([]);
    expect(org.users.get(user.id)!.status).toBe('SUSPENDED');
    expect((await signIn(login, password)).status).toBe(401);
    await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  } finally {
    await stopDetector(worker.client, source, 'test done');
  }
});
