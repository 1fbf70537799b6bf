/**
 * The lab identity provider speaks real OIDC: tokens verify against its JWKS; introspection,
 * revocation, refresh and userinfo answer as a production provider would after a logout, a
 * disabled account, a revoked refresh token, a client's not-before or a key rotation. Checked with
 * openid-client, the library the engine uses against Keycloak.
 */
import * as oidc from 'openid-client';
import { createRemoteJWKSet, jwtVerify } from 'jose';
import { LabIdp } from './idp';

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
});
