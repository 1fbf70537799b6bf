/**
 * The engine as a receiver of Keycloak's own SSF transmitter (Keycloak 26.7, feature `ssf`): the
 * engine makes its push stream at Keycloak with its receiver client, and what Keycloak signals —
 * a forced logout, a password reset — reaches the realm's detector within seconds, with no event
 * pull configured at all. A push without the engine's authorization, or a SET that does not
 * verify, is refused.
 */
import { randomUUID } from 'node:crypto';
import type { EngineConfig } from '../config/config';
import { detectorId, detectorStatusQuery } from '../workflows/detector';
import { receiverStateQuery, receiverWorkflowId } from '../workflows/ssf-receiver-definitions';
import { ensureSsfReceivers } from '../worker/detectors';
import { eventually, freePort, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { KeycloakTestClient } from './support/keycloak';

const root = new KeycloakTestClient(readTestEnv().keycloak.url);
const REALM = `ssf-${randomUUID().slice(0, 8)}`;
let kc: KeycloakTestClient;
let config: EngineConfig;
let api: TestApi;
let worker: TestWorker;
const receiver = { id: `ir-receiver-${randomUUID().slice(0, 8)}`, secret: `secret-${randomUUID()}` };

beforeAll(async () => {
  kc = await root.createRealmLikeCorp(REALM);
  const realm = await kc.realmSettings();
  await kc.admin('PUT', '', {
    ...realm,
    attributes: { ...(realm.attributes as object), 'ssf.transmitterEnabled': 'true' },
  });
  const port = await freePort();
  const apiUrl = `http://127.0.0.1:${port}`;
  // The engine's receiver client at Keycloak: client credentials, marked as an SSF receiver that
  // may push to this API only.
  await kc.admin('POST', '/clients', {
    clientId: receiver.id,
    enabled: true,
    publicClient: false,
    secret: receiver.secret,
    serviceAccountsEnabled: true,
    standardFlowEnabled: false,
    attributes: {
      'ssf.enabled': 'true',
      'ssf.validPushUrls': `${apiUrl}/ssf/receiver/*`,
      'ssf.defaultSubjects': 'ALL',
      // So the test can make Keycloak signal what it would not by itself (RISC credential-compromise).
      'ssf.allowEmitEvents': 'true',
      'ssf.emitEventsRole': 'ssf-emitter',
    },
  });
  const [client] = await kc.admin<{ id: string }[]>('GET', `/clients?clientId=${receiver.id}`);
  // Its service account may emit synthetic events through the admin API.
  const sa = await kc.admin<{ id: string }>('GET', `/clients/${client.id}/service-account-user`);
  await kc.grantRealmRole(sa.id, 'ssf-emitter');
  const [management] = await kc.admin<{ id: string }[]>('GET', '/clients?clientId=realm-management');
  const manage = await kc.admin<{ id: string; name: string }[]>('GET', `/clients/${management.id}/roles`);
  await kc.admin(
    'POST',
    `/users/${sa.id}/role-mappings/clients/${management.id}`,
    manage.filter((r) => ['manage-clients', 'view-clients', 'view-users'].includes(r.name)),
  );
  const scopes = await kc.admin<{ id: string; name: string }[]>('GET', '/client-scopes');
  for (const name of ['ssf.manage', 'ssf.read']) {
    const scope = scopes.find((s) => s.name === name);
    if (scope) await kc.admin('PUT', `/clients/${client.id}/default-client-scopes/${scope.id}`);
  }
  config = {
    ...testConfig(),
    publicApiUrl: apiUrl,
    ssfTransmitters: [
      {
        name: 'keycloak',
        issuer: kc.issuer,
        metadataUrl: `${kc.issuer}/.well-known/ssf-configuration`,
        provider: 'keycloak',
        tenant: REALM,
        delivery: 'push',
        clientId: receiver.id,
        clientSecret: receiver.secret,
        scope: 'ssf.manage ssf.read',
      },
    ],
  };
  api = await TestApi.start(config, port);
  worker = await TestWorker.start(config);
});

afterAll(async () => {
  await worker?.client.workflow
    .getHandle(receiverWorkflowId('keycloak'))
    .terminate('test over')
    .catch(() => undefined);
  await api?.stop();
  await worker?.stop();
  await kc?.deleteRealm();
});

it("takes Keycloak's shared signals into detection as they happen", async () => {
  await ensureSsfReceivers(worker.client, config);
  const receiverHandle = worker.client.workflow.getHandle(receiverWorkflowId('keycloak'));
  const state = await eventually(async () => {
    const s = await receiverHandle.query(receiverStateQuery);
    if (s.error) throw new Error(s.error);
    return s.stream ? s : undefined;
  }, 'the stream at Keycloak');
  expect(state.stream).toMatchObject({ delivery: 'push', endpoint: `${api.url}/ssf/receiver/keycloak` });

  const user = await kc.createUser('signalled');
  await kc.login(user);
  const before = Date.now();
  // An administrator logs the user out in Keycloak: Keycloak tells the engine.
  await kc.admin('POST', `/users/${user.id}/logout`);
  const detector = worker.client.workflow.getHandle(detectorId({ provider: 'keycloak', tenant: REALM }));
  await eventually(async () => {
    const s = await receiverHandle.query(receiverStateQuery);
    return s.events >= 1 ? s : undefined;
  }, 'the session-revoked SET');
  const took = Date.now() - before;
  const status = await detector.query(detectorStatusQuery);
  expect(status.counters.received).toBeGreaterThanOrEqual(1);
  const s = await receiverHandle.query(receiverStateQuery);
  expect(s.recent.flatMap((r) => r.kinds)).toContain('ssf:caep:session-revoked');
  expect(took).toBeLessThan(15_000);
  console.log(`session-revoked reached detection ${took} ms after the logout`);
});

it('hears a password reset in Keycloak as a credential change', async () => {
  const user = await kc.createUser('reset');
  const handle = worker.client.workflow.getHandle(receiverWorkflowId('keycloak'));
  const before = (await handle.query(receiverStateQuery)).sets;
  await kc.admin('PUT', `/users/${user.id}/reset-password`, {
    type: 'password',
    value: `pw-${randomUUID()}`,
    temporary: false,
  });
  const state = await eventually(async () => {
    const s = await handle.query(receiverStateQuery);
    return s.sets > before && s.recent.some((r) => r.kinds.includes('ssf:caep:credential-change'))
      ? s
      : undefined;
  }, 'the credential-change SET');
  expect(state.error).toBeUndefined();
});

it("refuses a push without the engine's authorization, and a SET the transmitter did not sign", async () => {
  const url = `${api.url}/ssf/receiver/keycloak`;
  const post = (authorization: string | undefined, body: string) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/secevent+jwt', ...(authorization ? { authorization } : {}) },
      body,
    });
  const { generateSigningKey, signSet } = await import('../ssf/set');
  const { key } = await generateSigningKey();
  const forged = (
    await signSet(key, {
      iss: kc.issuer,
      aud: 'x',
      sub_id: { format: 'iss_sub', iss: kc.issuer, sub: randomUUID() },
      events: { 'https://schemas.openid.net/secevent/risc/event-type/credential-compromise': {} },
    })
  ).token;
  expect((await post(undefined, forged)).status).toBe(401);
  expect((await post('Bearer guessed', forged)).status).toBe(401);
  const { receiverPushAuthorization } = await import('../ssf/receiver');
  const authorization = receiverPushAuthorization(config.principalKeySecret!, 'keycloak');
  const res = await post(authorization, forged);
  expect(res.status).toBe(400);
  expect(await res.json()).toMatchObject({ err: 'invalid_key' });
  const junk = await post(authorization, 'not a SET');
  expect(junk.status).toBe(400);
  expect(await junk.json()).toMatchObject({ err: 'invalid_request' });
});
