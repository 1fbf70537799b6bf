/**
 * The lab identity provider speaks real OIDC: tokens verify against its JWKS; introspection,
 * revocation, refresh and userinfo answer as a production provider would after a logout, a
 * disabled account, a revoked refresh token, a client's not-before or a key rotation. Checked with
 * openid-client, the library the engine uses against Keycloak.
 */
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify, SignJWT } from 'jose';
import { randomUUID } from 'node:crypto';
import { LabIdp, type PushAnswer } from './idp';
import { normalizeBatch } from '../detection/normalize';
import { DEFAULT_DETECTION_CONFIG, Detector } from '../detection/rules';

let idp: LabIdp;
let app: oidc.Configuration;
let engine: oidc.Configuration;

beforeAll(async () => {
  idp = await LabIdp.start({ realm: 'lab' });
  idp.addClient('lab-app');
  idp.addClient('ir-engine', 'engine-secret');
  const insecure = { execute: [oidc.allowInsecureRequests] };
  app = await oidc.discovery(new URL(idp.issuer), 'lab-app', undefined, oidc.None(), insecure);
  engine = await oidc.discovery(
    new URL(idp.issuer),
    'ir-engine',
    undefined,
    oidc.ClientSecretPost('engine-secret'),
    insecure,
  );
});

afterAll(() => idp.stop());

const login = (username: string, password: string) =>
  oidc.genericGrantRequest(app, 'password', { username, password });
const active = async (token: string) => (await oidc.tokenIntrospection(engine, token)).active;
const refreshes = (refresh: string) =>
  oidc.refreshTokenGrant(app, refresh).then(
    () => true,
    () => false,
  );

it('issues RS256 tokens that verify against its JWKS, with introspection and userinfo', async () => {
  idp.addUser('ann', 'pw-ann', ['staff']);
  const tokens = await login('ann', 'pw-ann');
  const { payload } = await jwtVerify(
    tokens.access_token,
    createRemoteJWKSet(new URL(`${idp.issuer}/protocol/openid-connect/certs`)),
    {
      issuer: idp.issuer,
    },
  );
  expect(payload).toMatchObject({ preferred_username: 'ann', realm_access: { roles: ['staff'] } });
  expect(await active(tokens.access_token)).toBe(true);
  const info = await fetch(`${idp.issuer}/protocol/openid-connect/userinfo`, {
    headers: { authorization: `Bearer ${tokens.access_token}` },
  });
  expect(await info.json()).toMatchObject({ preferred_username: 'ann' });
  expect(idp.events.map((e) => e.type)).toContain('LOGIN');
});

it('refuses a wrong password and a disabled account, recording LOGIN_ERROR events', async () => {
  const bob = idp.addUser('bob', 'pw-bob');
  await expect(login('bob', 'wrong')).rejects.toThrow();
  bob.enabled = false;
  await expect(login('bob', 'pw-bob')).rejects.toThrow();
  expect(
    idp.events.filter((e) => e.type === 'LOGIN_ERROR' && e.userId === bob.id).map((e) => e.error),
  ).toEqual(['invalid_user_credentials', 'user_disabled']);
});

it('kills tokens with the session on logout, and refresh tokens on revocation', async () => {
  const cat = idp.addUser('cat', 'pw-cat');
  const first = await login('cat', 'pw-cat');
  expect(await refreshes(first.refresh_token!)).toBe(true);
  expect(idp.logout(cat.id)).toBe(1);
  expect(await active(first.access_token)).toBe(false);
  expect(await refreshes(first.refresh_token!)).toBe(false);

  const second = await login('cat', 'pw-cat');
  await oidc.tokenRevocation(app, second.refresh_token!);
  expect(await refreshes(second.refresh_token!)).toBe(false);
  expect(await active(second.access_token)).toBe(false); // its session ended with it
});

it('refuses client tokens issued before the client not-before, and tokens of a disabled key', async () => {
  const token = (await oidc.clientCredentialsGrant(engine)).access_token;
  expect(await active(token)).toBe(true);
  const dan = idp.addUser('dan', 'pw-dan');
  const user = await login(dan.username, 'pw-dan');

  const oldKid = idp.publishedKids[0];
  await idp.rotateKeys('disabled');
  expect(idp.publishedKids).not.toContain(oldKid);
  expect(await active(user.access_token)).toBe(false);
  expect(await active(token)).toBe(false);
  const fresh = await login(dan.username, 'pw-dan');
  expect(await active(fresh.access_token)).toBe(true);

  idp.clients.get('lab-app')!.notBefore = Math.floor(Date.now() / 1000) + 5;
  expect(await active(fresh.access_token)).toBe(false);
  idp.clients.get('lab-app')!.notBefore = 0; // the next tests log in with it
});

it('asks the push device after the right password; only an approval logs in, each answer an MFA_PUSH event', async () => {
  const eve = idp.addUser('eve', 'pw-eve');
  const answers: PushAnswer[] = ['deny', 'ignore', 'approve'];
  eve.pushDevice = () => answers.shift()!;
  await expect(login('eve', 'pw-eve')).rejects.toMatchObject({ error_description: 'push denied' });
  await expect(login('eve', 'pw-eve')).rejects.toMatchObject({ error_description: 'push timeout' });
  expect((await login('eve', 'pw-eve')).access_token).toBeDefined();
  await expect(login('eve', 'wrong')).rejects.toThrow(); // no push without the password
  const mine = idp.events.filter((e) => e.userId === eve.id);
  expect(mine.map((e) => [e.type, e.details.result ?? e.error])).toEqual([
    ['MFA_PUSH', 'denied'],
    ['MFA_PUSH', 'timeout'],
    ['MFA_PUSH', 'approved'],
    ['LOGIN', undefined],
    ['LOGIN_ERROR', 'invalid_user_credentials'],
  ]);
});

it('maps realm roles over its admin API for a manage-users holder only, recording who granted what', async () => {
  const boss = idp.addUser('boss', 'pw-boss', ['manage-users']);
  const intern = idp.addUser('intern', 'pw-intern');
  const grant = (token: string) =>
    fetch(`${new URL(idp.issuer).origin}/admin/realms/lab/users/${intern.id}/role-mappings/realm`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ name: 'ir-admin' }]),
    });
  expect((await grant((await login('intern', 'pw-intern')).access_token)).status).toBe(403);
  expect(intern.roles.has('ir-admin')).toBe(false);
  expect((await grant((await login('boss', 'pw-boss')).access_token)).status).toBe(204);
  expect(intern.roles.has('ir-admin')).toBe(true);
  expect(idp.adminEvents.at(-1)).toMatchObject({
    operationType: 'CREATE',
    resourceType: 'REALM_ROLE_MAPPING',
    resourcePath: `users/${intern.id}/role-mappings/realm`,
    authDetails: { userId: boss.id },
  });
});

it('pages its events to a collector from a time or a cursor, as lab events the detector reads', async () => {
  const since = Date.now();
  const fay = idp.addUser('fay', 'pw-fay');
  for (let i = 0; i < 3; i++) await login('fay', 'wrong').catch(() => undefined);
  await login('fay', 'pw-fay');
  const first = idp.pullEvents({ since }, 2);
  expect(first.records).toHaveLength(2);
  expect(first.more).toBe(true);
  const rest = idp.pullEvents(first.cursor, 100);
  expect(rest.more).toBe(false);
  expect(idp.pullEvents(rest.cursor, 100).records).toEqual([]);
  // A cursor of an earlier run of the lab (a restarted worker) reads this run from its start.
  const restarted = idp.pullEvents({ run: 'an-earlier-run', events: 999, adminEvents: 999 }, 1);
  expect(restarted.records).toContain(idp.events[0]);
  expect(restarted.cursor).toMatchObject({ run: idp.run, events: 1 });
  const mine = [...first.records, ...rest.records].filter((r) => 'userId' in r && r.userId === fay.id);
  expect(mine.map((r) => ('type' in r ? r.type : ''))).toEqual([
    'LOGIN_ERROR',
    'LOGIN_ERROR',
    'LOGIN_ERROR',
    'LOGIN',
  ]);
  const { events, rejected } = normalizeBatch('lab', mine, { receivedAt: new Date().toISOString() });
  expect(rejected).toEqual([]);
  expect(events.map((e) => [e.provider, e.tenant, e.outcome, e.actor?.name])).toEqual([
    ...Array(3).fill(['lab', 'lab', 'failure', 'fay']),
    ['lab', 'lab', 'success', 'fay'],
  ]);
});

it("its push events raise mfa-fatigue and mfa-fatigue-accepted, about the lab's account", async () => {
  const gus = idp.addUser('gus', 'pw-gus');
  const answers: PushAnswer[] = ['deny', 'deny', 'ignore', 'deny', 'deny', 'approve'];
  gus.pushDevice = () => answers.shift()!;
  for (let i = 0; i < 6; i++) await login('gus', 'pw-gus').catch(() => undefined);
  const records = idp.events.filter((e) => e.userId === gus.id);
  const { events } = normalizeBatch('lab', records, { receivedAt: new Date().toISOString() });
  expect(events.filter((e) => e.category === 'authentication' && e.activity === 'mfa')).toHaveLength(6);
  const detector = new Detector(DEFAULT_DETECTION_CONFIG);
  const alerts = events.flatMap((e) => detector.process(e));
  expect(alerts.map((a) => [a.rule, a.principal?.provider, a.principal?.username])).toEqual([
    ['mfa-fatigue', 'lab', 'gus'],
    ['mfa-fatigue-accepted', 'lab', 'gus'],
  ]);
});

it('refuses tokens forged with its stolen key for sessions it never issued, and detection sees the pattern', async () => {
  const victims = ['hal', 'ida', 'jon'].map((n) => idp.addUser(n, `pw-${n}`));
  const { kid, privateKey } = idp.stealSigningKey();
  const since = Date.now();
  for (const v of victims) {
    const forged = await new SignJWT({
      typ: 'Bearer',
      sub: v.id,
      sid: randomUUID(),
      azp: 'lab-app',
      preferred_username: v.username,
    })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(idp.issuer)
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(privateKey);
    const res = await fetch(`${idp.issuer}/protocol/openid-connect/userinfo`, {
      headers: { authorization: `Bearer ${forged}`, 'x-forwarded-for': '203.0.113.99' },
    });
    expect(res.status).toBe(401);
  }
  const records = idp.events.filter((e) => e.time >= since);
  expect(records.map((e) => [e.type, e.error, e.details.username])).toEqual(
    victims.map((v) => ['USER_INFO_REQUEST_ERROR', 'user_session_not_found', v.username]),
  );
  const { events } = normalizeBatch('lab', records, { receivedAt: new Date().toISOString() });
  const detector = new Detector({
    ...DEFAULT_DETECTION_CONFIG,
    forgedToken: { ...DEFAULT_DETECTION_CONFIG.forgedToken, armAfterMs: 0 },
  });
  const alerts = events.flatMap((e) => detector.process(e));
  expect(alerts.map((a) => [a.rule, a.principal?.provider, a.principal?.username])).toEqual([
    ['forged-token', 'lab', '(realm)'],
  ]);
});
