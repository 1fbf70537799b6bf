/**
 * The engine's Entra ID credential as a certificate: its private key signs each token request
 * (nothing reusable is sent), for containment (Graph SDK) and the sign-in collector alike; an
 * assertion signed with a key the app registration does not hold gets no token.
 */
import { randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { EntraSignIns } from '../providers/entra/collector';
import { EntraProvider } from '../providers/entra/connector';
import type { EntraSettings } from '../providers/entra/settings';
import { FakeEntraTenant } from './support/fake-entra-tenant';

const PEM = path.join(__dirname, 'fixtures', 'tls', 'entra-engine-app.pem');
const CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(
  fs.readFileSync(PEM, 'utf8'),
)![0];
const TENANT = 'fabrikam';
const APP = randomUUID();

let tenant: FakeEntraTenant;
let settings: EntraSettings;

beforeAll(async () => {
  tenant = await FakeEntraTenant.start(TENANT, { id: APP, certificate: CERTIFICATE });
  settings = {
    tenantId: TENANT,
    clientId: APP,
    clientCertificateFile: PEM,
    authority: tenant.loginUrl,
    graphUrl: tenant.url,
  };
});

afterAll(() => tenant?.stop());

it('contains and collects with a certificate credential', async () => {
  const user = tenant.addUser(`cert.${randomUUID().slice(0, 6)}@fabrikam.example`, `Pw-${randomUUID()}`);
  const provider = new EntraProvider(settings);
  const principal = { provider: 'entra' as const, realm: TENANT, username: user.userPrincipalName };
  const outcome = await provider.ports['account-containment']!.disableAccount(principal);
  expect(outcome.changed).toBe(true);
  expect(tenant.users.get(user.id)!.accountEnabled).toBe(false);
  const doctor = await provider.checkPermissions(TENANT);
  expect(doctor.ports.find((p) => p.port === 'audit-source')?.status).toBe('ok');

  const page = await new EntraSignIns(settings).pull({ time: new Date(0).toISOString(), seenAtTime: [] }, 10);
  expect(Array.isArray(page.records)).toBe(true);
});

it('gets no token with a key the app registration does not hold, and says so', async () => {
  const other = await FakeEntraTenant.start('other', {
    id: APP,
    // Registered with some other certificate: the fake tenant's own TLS certificate.
    certificate: fs.readFileSync(path.join(__dirname, 'fixtures', 'tls', 'fake-idp.crt'), 'utf8'),
  });
  try {
    const wrong = { ...settings, tenantId: 'other', authority: other.loginUrl, graphUrl: other.url };
    await expect(
      new EntraSignIns(wrong).pull({ time: new Date(0).toISOString(), seenAtTime: [] }, 10),
    ).rejects.toMatchObject({ type: 'EntraAccessDenied', retryable: false });
    const report = await new EntraProvider(wrong).checkPermissions('other');
    const supported = report.ports.filter((p) => p.status !== 'not-supported');
    expect(supported.length).toBeGreaterThan(4);
    for (const p of supported)
      expect(p).toMatchObject({
        status: 'missing',
        detail: expect.stringMatching(/refused the engine's credential/),
      });
    expect(other.requests.filter((r) => r.path.startsWith('/v1.0/')).every((r) => r.status === 401)).toBe(
      true,
    );
  } finally {
    await other.stop();
  }
});
