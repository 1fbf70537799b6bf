/**
 * The permissions doctor on the real Keycloak: the engine's client (the test realm's grants) and a
 * client holding only read roles, each checked port by port with read-only probes; and the same
 * report through GET /providers, answered by the worker (the API holds no provider credentials).
 */
import { KeycloakProvider } from '../providers/keycloak/connector';
import type { PortCheck } from '../domain/ports';
import { readTestEnv } from './support/env';
import { ENGINE_CLIENT, KeycloakTestClient, REALM } from './support/keycloak';
import { useEngine } from './support/use-engine';

const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
const engine = useEngine();
const byPort = (ports: PortCheck[]) => Object.fromEntries(ports.map((p) => [p.port, p]));

it("finds what the engine's client may do, and names realm-admin as what admin-role removal lacks", async () => {
  const provider = new KeycloakProvider({
    baseUrl: kc.baseUrl,
    clientId: ENGINE_CLIENT.id,
    clientSecret: ENGINE_CLIENT.secret,
  });
  const report = await provider.checkPermissions(REALM);
  const ports = byPort(report.ports);
  for (const port of [
    'audit-source',
    'account-containment',
    'sessions-and-tokens',
    'factors',
    'client-credentials',
    'signing-keys',
  ])
    expect(ports[port].status).toBe('ok');
  expect(ports['roles-and-grants']).toMatchObject({
    status: 'partial',
    grant: expect.stringContaining('realm-admin'),
  });
});

it('names every port a read-only client cannot serve, and what to grant', async () => {
  // A client whose service account may only read users and events.
  const client = await kc.createConfidentialClient('readonly');
  const sa = await kc.admin<{ id: string }>('GET', `/clients/${client.uuid}/service-account-user`);
  const [mgmt] = await kc.admin<{ id: string }[]>('GET', '/clients?clientId=realm-management');
  const roles = await Promise.all(
    ['view-users', 'query-users', 'view-events'].map((r) =>
      kc.admin<{ id: string; name: string }>('GET', `/clients/${mgmt.id}/roles/${r}`),
    ),
  );
  await kc.admin('POST', `/users/${sa.id}/role-mappings/clients/${mgmt.id}`, roles);

  const provider = new KeycloakProvider({
    baseUrl: kc.baseUrl,
    clientId: client.id,
    clientSecret: client.secret,
  });
  const ports = byPort((await provider.checkPermissions(REALM)).ports);
  expect(ports['audit-source'].status).toBe('ok');
  expect(ports['account-containment']).toMatchObject({
    status: 'missing',
    grant: expect.stringContaining('manage-users'),
  });
  expect(ports['client-credentials']).toMatchObject({
    status: 'missing',
    detail: expect.stringContaining('refused: clients (HTTP 403)'),
    grant: expect.stringContaining('manage-clients, view-clients'),
  });
  expect(ports['signing-keys']).toMatchObject({
    status: 'missing',
    grant: expect.stringContaining('manage-realm'),
  });
});

it('answers GET /providers through the worker, and refuses a realm name that is not one', async () => {
  const res = await engine.api.call('GET', `/providers?realm=${REALM}`);
  expect(res.status).toBe(200);
  expect(res.body.ok).toBe(false);
  const [report] = res.body.providers as { provider: string; tenant: string; ports: PortCheck[] }[];
  expect(report).toMatchObject({ provider: 'keycloak', tenant: REALM });
  expect(byPort(report.ports)['roles-and-grants'].status).toBe('partial');
  expect((await engine.api.call('GET', '/providers?realm=../x')).status).toBe(400);
});
