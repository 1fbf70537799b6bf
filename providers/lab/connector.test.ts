/**
 * The lab connector's realm-wide and client operations against the running lab provider: each
 * change is proven through the lab's OIDC endpoints, a retry within the incident changes nothing,
 * and injected faults surface as the retryable errors a real provider's would.
 */
import * as oidc from 'openid-client';
import { LabIdp } from '../../lab/idp';
import { IdentityProviderError } from '../ports';
import { LabIdentityProvider, type LabFault } from './connector';

const ENGINE = { clientId: 'ir-engine', clientSecret: 'engine-secret' };
let idp: LabIdp;
let lab: LabIdentityProvider;
let fault: LabFault | undefined;
const principal = { provider: 'lab' as const, realm: 'lab', username: 'svc' };

beforeAll(async () => {
  idp = await LabIdp.start({ realm: 'lab' });
  idp.addClient(ENGINE.clientId, ENGINE.clientSecret);
  idp.addClient('lab-app');
  lab = new LabIdentityProvider(idp, ENGINE, () => fault);
});
afterAll(() => idp.stop());

const asClient = async (clientId: string, secret: string) => {
  const config = await oidc.discovery(
    new URL(idp.issuer),
    clientId,
    undefined,
    oidc.ClientSecretPost(secret),
    { execute: [oidc.allowInsecureRequests] },
  );
  return config;
};
const introspect = async (token: string) =>
  (await oidc.tokenIntrospection(await asClient(ENGINE.clientId, ENGINE.clientSecret), token)).active;

it('rotates a client secret once per incident, the old secret refused', async () => {
  idp.addClient('billing', 'old-billing-secret');
  const billing = { kind: 'client-used' as const, clientId: 'billing', confidential: true, uses: 1 };
  const since = new Date(Date.now() - 1000).toISOString();
  const rotated = await lab.rotateSecret(principal, billing, { since });
  expect(rotated.changed).toBe(true);
  expect(JSON.stringify(rotated)).not.toContain('old-billing-secret');
  await expect(
    oidc.clientCredentialsGrant(await asClient('billing', 'old-billing-secret')),
  ).rejects.toThrow();
  const fresh = idp.clients.get('billing')!.secret!;
  expect((await oidc.clientCredentialsGrant(await asClient('billing', fresh))).access_token).toBeDefined();
  // The retry of the same activity: nothing changes, the new secret stays.
  expect((await lab.rotateSecret(principal, billing, { since })).changed).toBe(false);
  expect(idp.clients.get('billing')!.secret).toBe(fresh);
});

it("revokes a client's tokens issued so far, once per incident", async () => {
  idp.addClient('reports', 'reports-secret');
  const token = (await oidc.clientCredentialsGrant(await asClient('reports', 'reports-secret'))).access_token;
  expect(await introspect(token)).toBe(true);
  const since = new Date().toISOString();
  expect((await lab.revokeClientTokens(principal, 'reports', { since })).changed).toBe(true);
  expect(await introspect(token)).toBe(false);
  expect((await lab.revokeClientTokens(principal, 'reports', { since })).changed).toBe(false);
});

it('rotates the signing keys: the old kid leaves the JWKS, earlier tokens die, a retry changes nothing', async () => {
  const user = idp.addUser('kim', 'pw-kim');
  const app = await oidc.discovery(new URL(idp.issuer), 'lab-app', undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  const before = await oidc.genericGrantRequest(app, 'password', {
    username: user.username,
    password: 'pw-kim',
  });
  const oldKid = idp.activeKey.kid;
  const since = new Date().toISOString();
  const rotated = await lab.rotateSigningKeys('lab', [], { since, oldKeys: 'disable' });
  expect(rotated.changed).toBe(true);
  expect(idp.publishedKids).not.toContain(oldKid);
  expect(await introspect(before.access_token)).toBe(false);
  const after = await oidc.genericGrantRequest(app, 'password', {
    username: user.username,
    password: 'pw-kim',
  });
  expect(await introspect(after.access_token)).toBe(true);
  const kid = idp.activeKey.kid;
  expect((await lab.rotateSigningKeys('lab', [], { since, oldKeys: 'disable' })).changed).toBe(false);
  expect(idp.activeKey.kid).toBe(kid);
});

it('answers injected faults as retryable errors, a 429 with its Retry-After', async () => {
  idp.addUser('svc', 'pw-svc');
  fault = { status: 429, retryAfterS: 2 };
  const throttled = await lab.disableAccount(principal).catch((e: unknown) => e);
  expect(throttled).toBeInstanceOf(IdentityProviderError);
  expect(throttled).toMatchObject({ retryable: true, retryAfterMs: 2000 });
  fault = { status: 503 };
  expect(() => lab.pullEvents({ since: 0 }, 10)).toThrow(/503/);
  fault = undefined;
  expect((await lab.disableAccount(principal)).changed).toBe(true);
});
