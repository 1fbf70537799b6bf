/**
 * Realm-wide eradication on the real Keycloak, in a throwaway realm shaped like the test realm (it
 * changes what every account of the realm lives with): when token forgery is suspected, the realm's
 * signing keys are rotated after a critical (two-person) approval — a token signed by the old key is
 * refused afterwards and everyone is logged out — and the settings that helped the attack are fixed
 * after their own approval. Keycloak assertions use the test's own calls.
 */
import { createPrivateKey, randomUUID } from 'node:crypto';
import { createLocalJWKSet, jwtVerify, SignJWT, type JSONWebKeySet } from 'jose';
import type { EngineConfig } from '../config/config';
import type { Finding } from '../domain/incident';
import { eventually, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { eradicate } from '../providers/remediation';
import { KeycloakProvider } from '../providers/keycloak/connector';
import { ENGINE_CLIENT, KeycloakTestClient } from './support/keycloak';
import { captureHistory } from './support/histories';

const RESPONDER = 'realm.responder';
const APPROVERS = ['realm.approver-1', 'realm.approver-2'];
const corp = new KeycloakTestClient(readTestEnv().keycloak.url);
let lab: KeycloakTestClient;
let config: EngineConfig;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  lab = await corp.createRealmLikeCorp(`lab-${randomUUID().slice(0, 8)}`);
  // Weak on purpose: long-lived access tokens.
  await lab.admin('PUT', '', { accessTokenLifespan: 7200 });
  config = testConfig();
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  await lab?.deleteRealm();
});

const decide = (id: string, approvalId: string, actor: string, decision = 'approve') =>
  api.call('POST', `/incidents/${id}/approvals`, { approvalId, decision }, actor);

it('rotates the signing keys after two approvals and fixes the realm settings after one', async () => {
  const victim = await lab.createUser('forged');
  const bystander = await lab.createUser('bystander');
  // The attacker's persistence: with user-management rights, a backdoor account created as the
  // victim; and someone adds an identity provider to the realm.
  const [management] = await lab.admin<{ id: string }[]>('GET', '/clients?clientId=realm-management');
  const manageUsers = await lab.admin<{ id: string; name: string }>(
    'GET',
    `/clients/${management.id}/roles/manage-users`,
  );
  // …and impersonation, which Keycloak lets only a realm admin take back.
  const impersonation = await lab.admin<{ id: string; name: string }>(
    'GET',
    `/clients/${management.id}/roles/impersonation`,
  );
  await lab.admin('POST', `/users/${victim.id}/role-mappings/clients/${management.id}`, [
    manageUsers,
    impersonation,
  ]);
  const asVictim = await lab.login(victim);
  const backdoor = `backdoor-${randomUUID().slice(0, 6)}`;
  const created = await fetch(`${lab.baseUrl}/admin/realms/${lab.realm}/users`, {
    method: 'POST',
    headers: { authorization: `Bearer ${asVictim.access_token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ username: backdoor, enabled: true }),
  });
  expect(created.status).toBe(201);
  await lab.admin('POST', '/identity-provider/instances', {
    alias: 'evil-idp',
    providerId: 'oidc',
    enabled: true,
    config: {
      authorizationUrl: 'https://idp.evil.example/auth',
      tokenUrl: 'https://idp.evil.example/token',
      clientId: 'x',
      clientSecret: 'y',
      clientAuthMethod: 'client_secret_post',
    },
  });
  // A client that authenticates with signed JWTs (Keycloak holds its certificate), used as the victim.
  const jwtClient = `signed-${randomUUID().slice(0, 6)}`;
  await lab.admin('POST', '/clients', {
    clientId: jwtClient,
    publicClient: false,
    clientAuthenticatorType: 'client-jwt',
    directAccessGrantsEnabled: true,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
  });
  const [jwtClientRep] = await lab.admin<{ id: string }[]>('GET', `/clients?clientId=${jwtClient}`);
  const keyPair = await lab.admin<{ privateKey: string }>(
    'POST',
    `/clients/${jwtClientRep.id}/certificates/jwt.credential/generate`,
  );
  const clientKey = createPrivateKey({
    key: Buffer.from(keyPair.privateKey, 'base64'),
    format: 'der',
    type: 'pkcs1',
  });
  const asJwtClient = async (user?: { username: string; password: string }) => {
    const assertion = await new SignJWT({ jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256' })
      .setIssuer(jwtClient)
      .setSubject(jwtClient)
      .setAudience(lab.issuer)
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(clientKey);
    const form = new URLSearchParams({
      grant_type: user ? 'password' : 'client_credentials',
      client_id: jwtClient,
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
      ...(user ? { username: user.username, password: user.password } : {}),
    });
    const res = await fetch(`${lab.issuer}/protocol/openid-connect/token`, { method: 'POST', body: form });
    return res.ok ? 'accepted' : ((await res.json()) as { error: string }).error;
  };
  expect(await asJwtClient(victim)).toBe('accepted');
  expect(await asJwtClient()).toBe('accepted');
  const stolen = await lab.login(victim);
  const bystanderTokens = await lab.login(bystander);
  expect(await lab.userinfo(stolen.access_token)).toBe(200);
  // A resource server that validates tokens itself, with the realm's published keys.
  const verifiesLocally = async (jwt: string) => {
    const jwks = createLocalJWKSet(
      (await (await fetch(`${lab.issuer}/protocol/openid-connect/certs`)).json()) as JSONWebKeySet,
    );
    return jwtVerify(jwt, jwks).then(
      () => true,
      () => false,
    );
  };
  expect(await verifiesLocally(bystanderTokens.access_token)).toBe(true);
  const kidOf = (jwt: string) =>
    (JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()) as { kid: string }).kid;
  const oldKid = kidOf(stolen.access_token);
  expect(await lab.publishedKids()).toContain(oldKid);

  const opened = await api.openIncident(victim.username, RESPONDER, {
    principal: { provider: 'keycloak', realm: lab.realm, username: victim.username },
    severity: 'critical',
    tokenForgerySuspected: true,
    policy: { rotateSigningKeys: { timeoutMs: 120_000 }, hardenRealm: { timeoutMs: 120_000 } },
  });
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;

  // Critical: two distinct approvers, never automatic even at severity critical.
  const rotation = await api.pendingApproval(id, 'rotateSigningKeys');
  expect(rotation.quorum).toBe(2);
  expect(rotation.summary).toMatch(/logs EVERYONE out/);
  let state = await api.incident(id);
  const keyFindings = state.investigation!.findings.filter(
    (f): f is Extract<Finding, { kind: 'signing-key' }> => f.kind === 'signing-key',
  );
  expect(keyFindings.map((k) => k.kid)).toContain(oldKid);
  // The persistence is found: the account the victim created (a candidate for the incident) and
  // the identity provider added in the window.
  expect(state.investigation!.findings).toContainEqual(
    expect.objectContaining({
      kind: 'related-principal',
      username: backdoor,
      via: expect.stringMatching(/^CREATE USER by the principal/),
    }),
  );
  expect(state.investigation!.findings).toContainEqual(
    expect.objectContaining({
      kind: 'realm-change',
      what: expect.stringMatching(/^CREATE IDENTITY_PROVIDER/),
    }),
  );
  // Nothing realm-wide changed before the approval: the bystander's session still works.
  expect(await lab.userinfo(bystanderTokens.access_token)).toBe(200);
  expect((await decide(id, rotation.id, APPROVERS[0])).status).toBe(200);
  expect((await decide(id, rotation.id, APPROVERS[0])).status).toBe(409); // same person twice
  expect((await api.incident(id)).approvals.find((a) => a.id === rotation.id)?.status).toBe('pending');
  expect((await decide(id, rotation.id, APPROVERS[1])).status).toBe(200);

  state = await eventually(async () => {
    const s = await api.incident(id);
    return s.actions.some((a) => a.action === 'rotateSigningKeys' && a.status !== 'skipped') ? s : undefined;
  }, 'the rotation');
  // The principal's own eradication ran first. Keycloak 26.7 lets the engine take back the admin
  // roles it holds itself (manage-users) but not impersonation, and the engine is no realm admin
  // here (least privilege): that step is recorded as refused, with what to do, the incident goes
  // on, and eradication is not called complete.
  const eradicated = state.actions.find((a) => a.action === 'eradicate');
  expect(eradicated).toMatchObject({
    status: 'done',
    outcome: {
      incomplete: true,
      detail: expect.stringMatching(/1 FAILED.*only realm admins.*'impersonation'/),
    },
  });
  expect(eradicated?.status === 'done' && eradicated.outcome.detail).toMatch(
    /removed role 'manage-users' of client 'realm-management'/,
  );
  expect(state.eradicatedAt).toBeUndefined();
  // The JWT client's key was replaced: the old key no longer gets a token.
  expect(state.investigation!.findings).toContainEqual(
    expect.objectContaining({
      kind: 'client-used',
      clientId: jwtClient,
      authentication: 'jwt-certificate',
      remedy: 'rotate-client-key',
    }),
  );
  expect(['invalid_client', 'unauthorized_client']).toContain(await asJwtClient());
  const rotated = state.actions.find((a) => a.action === 'rotateSigningKeys');
  expect(rotated?.status).toBe('done');
  const step = (rotated as unknown as { outcome: { steps: { proof?: string; after: string }[] } }).outcome
    .steps[0];
  expect(step.proof).toMatch(/no longer published in the JWKS; a token issued under the old key is refused/);

  // As Keycloak says: the old key is gone, a token it signed is refused (by Keycloak and by a
  // resource server checking signatures with the realm's keys), everyone is logged out.
  const published = await lab.publishedKids();
  expect(published).not.toContain(oldKid);
  expect(published.length).toBeGreaterThan(0);
  expect(await verifiesLocally(bystanderTokens.access_token)).toBe(false);
  expect(await lab.userinfo(bystanderTokens.access_token)).toBe(401);
  expect(await lab.introspect(bystanderTokens.access_token)).toBe(false);
  expect((await lab.refresh(bystanderTokens.refresh_token)).ok).toBe(false);
  // New logins work and are signed by the new key.
  const fresh = await lab.login(bystander);
  expect(kidOf(fresh.access_token)).not.toBe(oldKid);
  expect(published).toContain(kidOf(fresh.access_token));
  expect(await lab.userinfo(fresh.access_token)).toBe(200);
  expect(await verifiesLocally(fresh.access_token)).toBe(true);

  // A retried rotation (same incident) changes nothing: no second key, nobody logged out again.
  const provider = new KeycloakProvider({
    baseUrl: readTestEnv().keycloak.url,
    clientId: ENGINE_CLIENT.id,
    clientSecret: ENGINE_CLIENT.secret,
  });
  const keysBefore = await lab.admin<unknown[]>('GET', '/components?type=org.keycloak.keys.KeyProvider');
  const retried = await eradicate(provider, state.principal, keyFindings, { since: state.openedAt });
  expect(retried.changed).toBe(false);
  expect(await lab.admin<unknown[]>('GET', '/components?type=org.keycloak.keys.KeyProvider')).toHaveLength(
    keysBefore.length,
  );
  expect(await lab.userinfo(fresh.access_token)).toBe(200);

  // Realm hardening: its own approval; applied, as the realm now says.
  const hardening = await api.pendingApproval(id, 'hardenRealm');
  expect(hardening.summary).toMatch(/accessTokenLifespan/);
  expect((await decide(id, hardening.id, APPROVERS[0])).status).toBe(200);
  state = await eventually(async () => {
    const s = await api.incident(id);
    return s.actions.some((a) => a.action === 'hardenRealm') ? s : undefined;
  }, 'the hardening');
  expect(state.actions.find((a) => a.action === 'hardenRealm')?.status).toBe('done');
  const realm = await lab.realmSettings();
  expect(realm).toMatchObject({
    bruteForceProtected: true,
    accessTokenLifespan: 300,
    passwordPolicy: 'length(12) and notUsername',
  });
  const [app] = await lab.admin<{ directAccessGrantsEnabled: boolean }[]>(
    'GET',
    '/clients?clientId=corp-app',
  );
  expect(app.directAccessGrantsEnabled).toBe(false);
  const otp = await lab.admin<{ defaultAction: boolean }>(
    'GET',
    '/authentication/required-actions/CONFIGURE_TOTP',
  );
  expect(otp.defaultAction).toBe(true);

  // Before and after of both changes are in the evidence chain, which verifies.
  const evidence = await api.call('GET', `/incidents/${id}/evidence`);
  expect(evidence.body.verification.ok).toBe(true);
  const kinds = evidence.body.manifest.map((e: { kind: string }) => e.kind);
  expect(kinds).toEqual(expect.arrayContaining(['rotateSigningKeys', 'hardenRealm']));

  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  await api.untilPhase(id, ['closed']);
  captureHistory(id, 'signing-key-rotation-hardening');
});

it('signing-key compromise as its own playbook: one incident for the realm, rotated after two approvals', async () => {
  const realm2 = await corp.createRealmLikeCorp(`keys-${randomUUID().slice(0, 8)}`);
  try {
    const user = await realm2.createUser('anyone');
    const before = await realm2.login(user);
    const kidOf = (jwt: string) =>
      (JSON.parse(Buffer.from(jwt.split('.')[0], 'base64url').toString()) as { kid: string }).kid;
    const oldKid = kidOf(before.access_token);

    const open = () =>
      api.call(
        'POST',
        '/incidents',
        {
          playbook: 'signing-key-compromise',
          principal: { provider: 'keycloak', realm: realm2.realm, username: 'reported-by-siem' },
          severity: 'critical',
          summary: 'tokens with a valid signature but no matching session seen at the gateway',
          policy: { rotateSigningKeys: { timeoutMs: 120_000 } },
        },
        RESPONDER,
      );
    const opened = await open();
    expect(opened.status).toBe(201);
    const id: string = opened.body.incidentId;
    // One incident per realm: a second report joins it.
    expect((await open()).body).toMatchObject({ incidentId: id, joined: true });

    const approval = await api.pendingApproval(id, 'rotateSigningKeys');
    expect(approval.quorum).toBe(2);
    expect(await realm2.userinfo(before.access_token)).toBe(200); // nothing before the approvals
    expect((await decide(id, approval.id, APPROVERS[0])).status).toBe(200);
    expect((await decide(id, approval.id, APPROVERS[1])).status).toBe(200);

    const state = await api.untilPhase(id, ['review', 'containment-unverified']);
    expect(state.phase).toBe('review');
    expect(state.principal.username).toBe('(realm)');
    expect(state.verification?.checks[0]).toMatchObject({ name: 'old-keys-refused', ok: true });
    expect(await realm2.publishedKids()).not.toContain(oldKid);
    expect(await realm2.userinfo(before.access_token)).toBe(401);
    expect((await realm2.refresh(before.refresh_token)).ok).toBe(false);
    const after = await realm2.login(user);
    expect(kidOf(after.access_token)).not.toBe(oldKid);
    const evidence = await api.call('GET', `/incidents/${id}/evidence`);
    expect(evidence.body.verification.ok).toBe(true);
    expect(evidence.body.manifest.map((e: { kind: string }) => e.kind)).toEqual(
      expect.arrayContaining(['signing-keys', 'signing-key-rotation']),
    );

    await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
    await api.untilPhase(id, ['closed']);
    captureHistory(id, 'signing-key-compromise');
  } finally {
    await realm2.deleteRealm();
  }
});
