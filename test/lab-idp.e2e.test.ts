/**
 * The lab identity provider behind the connector interface: the compromised-credential playbook
 * contains an account of the in-process lab exactly as it does a Keycloak one, and containment is
 * proven through the lab's real OIDC endpoints (the stolen token introspects inactive).
 */
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { LabIdentityProvider } from '../providers/lab/connector';
import { LabIdp } from '../lab/idp';
import { testConfig, TestApi, TestWorker } from './support/engine';

const ENGINE = { clientId: 'ir-engine', clientSecret: 'lab-engine-secret' };
let idp: LabIdp;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  idp = await LabIdp.start({ realm: 'lab' });
  idp.addClient('lab-app');
  idp.addClient(ENGINE.clientId, ENGINE.clientSecret);
  const config = testConfig();
  // Selected explicitly, as a connector of its own ('lab'), never in place of Keycloak.
  worker = await TestWorker.start(config, new LabIdentityProvider(idp, ENGINE));
  api = await TestApi.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  await idp?.stop();
});

it('contains an account of the lab, proven by introspection, and removes the admin role it was given', async () => {
  // A fresh name per run: incident ids follow the principal, and a reused dev server remembers them.
  const user = idp.addUser(`lab-victim-${randomUUID().slice(0, 8)}`, 'pw-lab');
  const boss = idp.addUser(`lab-boss-${randomUUID().slice(0, 8)}`, 'pw-boss', ['manage-users']);
  const app = await oidc.discovery(new URL(idp.issuer), 'lab-app', undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  const stolen = await oidc.genericGrantRequest(app, 'password', {
    username: user.username,
    password: 'pw-lab',
  });
  // The attacker talked the boss into granting the account an admin role (the lab's admin API).
  const bossToken = await oidc.genericGrantRequest(app, 'password', {
    username: boss.username,
    password: 'pw-boss',
  });
  const granted = await fetch(
    `${new URL(idp.issuer).origin}/admin/realms/lab/users/${user.id}/role-mappings/realm`,
    {
      method: 'POST',
      headers: { authorization: `Bearer ${bossToken.access_token}`, 'content-type': 'application/json' },
      body: JSON.stringify([{ name: 'ir-admin' }]),
    },
  );
  expect(granted.status).toBe(204);

  const opened = await api.call(
    'POST',
    '/incidents',
    {
      playbook: 'compromised-credential',
      principal: { provider: 'lab', realm: 'lab', username: user.username },
      severity: 'critical',
      summary: 'lab exercise: password seen on a phishing kit',
      suspectTokens: [stolen.access_token],
    },
    'lab.responder',
  );
  expect(opened.status).toBe(201);
  const state = await api.untilPhase(opened.body.incidentId, ['contained', 'containment-unverified']);
  expect(state.containedAt).toBeDefined();
  expect(state.verification?.checks).toContainEqual(
    expect.objectContaining({ name: 'suspect-token-1-inactive', ok: true }),
  );
  expect(user.enabled).toBe(false);
  await expect(oidc.refreshTokenGrant(app, stolen.refresh_token!)).rejects.toThrow();
  await expect(
    oidc.genericGrantRequest(app, 'password', { username: user.username, password: 'pw-lab' }),
  ).rejects.toThrow();

  // Investigated from the lab's admin events, eradicated (critical: no approval needed).
  const recovering = await api.untilPhase(opened.body.incidentId, ['recover', 'review']);
  expect(recovering.investigation?.findings).toContainEqual(
    expect.objectContaining({ kind: 'role-grant', role: 'ir-admin', grantedBy: boss.username }),
  );
  expect(user.roles.has('ir-admin')).toBe(false);
  await api.call(
    'POST',
    `/incidents/${opened.body.incidentId}/close`,
    { reason: 'test done' },
    'lab.responder',
  );
});
