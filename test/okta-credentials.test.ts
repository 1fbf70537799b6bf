/**
 * The engine's Okta credential as an OAuth 2.0 service app (private_key_jwt, Okta's recommended
 * way): the official SDK signs a client assertion with the app's key and calls the Management API
 * with the scoped access token; the System Log collector uses the same app. A scope the app lacks
 * is refused by the org and named by the doctor.
 */
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { OktaSystemLog } from '../providers/okta/collector';
import { OktaProvider } from '../providers/okta/connector';
import { OKTA_ENGINE_SCOPES } from '../providers/okta/settings';
import { FakeOktaOrg } from './support/fake-okta-org';

const { privateKey, publicKey } = generateKeyPairSync('rsa', {
  modulusLength: 2048,
  privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
  publicKeyEncoding: { type: 'spki', format: 'pem' },
});
let org: FakeOktaOrg;

beforeAll(async () => {
  org = await FakeOktaOrg.start(`00${randomUUID().replace(/-/g, '')}`);
});
afterAll(() => org?.stop());

const principalOf = (login: string) => ({ provider: 'okta' as const, realm: 'acme', username: login });

it('contains, collects and passes the doctor as a service app with the scopes it needs', async () => {
  const clientId = org.addServiceAppWithKey(publicKey, OKTA_ENGINE_SCOPES);
  const settings = { orgUrl: org.url, oauth: { clientId, privateKey, scopes: OKTA_ENGINE_SCOPES } };
  const login = `svc.${randomUUID().slice(0, 6)}@acme.example`;
  const user = org.addUser(login, `Pw-${randomUUID()}`);
  const provider = new OktaProvider(settings);
  expect((await provider.ports['account-containment']!.disableAccount(principalOf(login))).changed).toBe(
    true,
  );
  expect(org.users.get(user.id)!.status).toBe('SUSPENDED');

  const page = await new OktaSystemLog(settings).pull(
    { since: new Date(Date.now() - 60_000).toISOString() },
    100,
  );
  expect(page.records.some((e) => (e as { eventType?: string }).eventType === 'user.lifecycle.suspend')).toBe(
    true,
  );

  const report = await provider.checkPermissions('acme');
  const byPort = Object.fromEntries(report.ports.map((p) => [p.port, p]));
  expect(byPort['account-containment']).toMatchObject({
    status: 'ok',
    detail: expect.stringMatching(/okta\.users\.manage/),
  });
  expect(byPort['client-credentials'].status).toBe('ok');
  // No API token was used: every Management API call carried the service app's Bearer token.
  expect(org.requests.filter((r) => r.path.startsWith('/api/v1/')).every((r) => r.status !== 401)).toBe(true);
});

it('a service app without a scope gets 403 for that action, and the doctor names the scope to grant', async () => {
  const readOnly = ['okta.users.read', 'okta.logs.read'];
  const clientId = org.addServiceAppWithKey(publicKey, readOnly);
  const provider = new OktaProvider({ orgUrl: org.url, oauth: { clientId, privateKey, scopes: readOnly } });
  const login = `ro.${randomUUID().slice(0, 6)}@acme.example`;
  const user = org.addUser(login, `Pw-${randomUUID()}`);
  await expect(
    provider.ports['account-containment']!.disableAccount(principalOf(login)),
  ).rejects.toMatchObject({
    type: 'OktaAccessDenied',
    retryable: false,
  });
  expect(org.users.get(user.id)!.status).toBe('ACTIVE');
  const byPort = Object.fromEntries((await provider.checkPermissions('acme')).ports.map((p) => [p.port, p]));
  expect(byPort['audit-source'].status).toBe('ok');
  expect(byPort['account-containment']).toMatchObject({
    status: 'missing',
    grant: expect.stringMatching(/okta\.users\.manage/),
  });
});

it('an assertion signed with another key gets no token: nothing is called, the doctor says why', async () => {
  const other = generateKeyPairSync('rsa', {
    modulusLength: 2048,
    privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    publicKeyEncoding: { type: 'spki', format: 'pem' },
  });
  const clientId = org.addServiceAppWithKey(other.publicKey, OKTA_ENGINE_SCOPES);
  const settings = { orgUrl: org.url, oauth: { clientId, privateKey, scopes: OKTA_ENGINE_SCOPES } };
  await expect(
    new OktaSystemLog(settings).pull({ since: new Date().toISOString() }, 10),
  ).rejects.toMatchObject({
    type: 'OktaAccessDenied',
  });
  const report = await new OktaProvider(settings).checkPermissions('acme');
  for (const p of report.ports.filter((x) => x.status !== 'not-supported'))
    expect(p).toMatchObject({
      status: 'missing',
      detail: expect.stringMatching(/access failed|invalid_client|401/),
    });
});
