/**
 * The lab identity provider behind the connector interface: the compromised-credential playbook
 * contains an account of the in-process lab exactly as it does a Keycloak one, and containment is
 * proven through the lab's real OIDC endpoints (the stolen token introspects inactive).
 */
import { randomUUID } from 'node:crypto';
import * as oidc from 'openid-client';
import { LabIdentityProvider } from '../activities/lab/lab-provider';
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

it('contains an account of the lab, proven by introspection against the lab', async () => {
  // A fresh name per run: incident ids follow the principal, and a reused dev server remembers them.
  const user = idp.addUser(`lab-victim-${randomUUID().slice(0, 8)}`, 'pw-lab');
  const app = await oidc.discovery(new URL(idp.issuer), 'lab-app', undefined, oidc.None(), {
    execute: [oidc.allowInsecureRequests],
  });
  const stolen = await oidc.genericGrantRequest(app, 'password', {
    username: user.username,
    password: 'pw-lab',
  });

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
  await api.call(
    'POST',
    `/incidents/${opened.body.incidentId}/close`,
    { reason: 'test done' },
    'lab.responder',
  );
});
