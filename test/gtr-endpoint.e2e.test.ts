/**
 * The engine's own Global Token Revocation endpoint, called as an identity provider would: a
 * Keycloak client holding the revoker role asks it to log a user out everywhere. The answer
 * comes once the user's sessions really are revoked (their refresh token stops working), through
 * an incident on the record; the account is not disabled without a person.
 */
import { randomUUID } from 'node:crypto';
import type { EngineConfig } from '../config/config';
import type { IncidentState } from '../domain/incident';
import { testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { API_AUDIENCE, KeycloakTestClient, testRealmAuth } from './support/keycloak';

const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
let config: EngineConfig;
let api: TestApi;
let worker: TestWorker;
let revoker: Awaited<ReturnType<KeycloakTestClient['machineClient']>>;
let breakGlass: Awaited<ReturnType<KeycloakTestClient['createUser']>>;

beforeAll(async () => {
  revoker = await kc.machineClient('idp-revoker', ['ir-token-revoker'], API_AUDIENCE);
  breakGlass = await kc.createUser('breakglass');
  config = {
    ...testConfig(),
    auth: testRealmAuth(kc.issuer, [revoker.id]),
    // On the list by its login; the revoker names it by id.
    protectedPrincipals: [{ provider: 'keycloak', realm: 'corp', username: breakGlass.username }],
  };
  api = await TestApi.start(config);
  worker = await TestWorker.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
});

async function revoke(subId: unknown) {
  const res = await fetch(`${api.url}/global-token-revocation`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await revoker.token()}` },
    body: JSON.stringify({ sub_id: subId }),
  });
  const text = await res.text();
  return {
    status: res.status,
    location: res.headers.get('content-location'),
    body: text ? (JSON.parse(text) as Record<string, unknown>) : undefined,
  };
}

it('revokes every session of the user it names, through an incident, before answering 204', async () => {
  const victim = await kc.createUser('gtrvictim');
  const tokens = await kc.login(victim);
  expect((await kc.refresh(tokens.refresh_token)).ok).toBe(true);

  const started = Date.now();
  const res = await revoke({ format: 'iss_sub', iss: kc.issuer, sub: victim.id });
  expect(res.status).toBe(204);
  expect(Date.now() - started).toBeLessThan(20_000);
  // Revoked by the time it answered: the refresh token is refused, no session is left.
  expect(await kc.refresh(tokens.refresh_token)).toMatchObject({ ok: false, error: 'invalid_grant' });
  expect(await kc.sessions(victim.id)).toEqual([]);
  // On the record: an incident about the user, opened by the revoker, with the snapshot first.
  const incidentId = res.location!.replace('/incidents/', '');
  const state = (await worker.client.workflow.getHandle(incidentId).query('incidentState')) as IncidentState;
  expect(state.playbook).toBe('compromised-credential');
  expect(state.alerts[0]).toMatchObject({ source: 'global-token-revocation', severity: 'high' });
  expect(state.openedBy).toBe(`service-account-${revoker.id}`);
  expect(state.actions.find((a) => a.action === 'revokeSessions')?.status).toBe('done');
  // The account is not disabled on the revoker's word: that waits for a person.
  expect((await kc.user(victim.id)).enabled).toBe(true);

  // Asking again joins the same incident.
  const again = await revoke({ format: 'iss_sub', iss: kc.issuer, sub: victim.id });
  expect(again.status).toBe(204);
  expect(again.location).toBe(res.location);
});

it('touches no protected account automatically, even when named by its id', async () => {
  const tokens = await kc.login(breakGlass);
  const res = await revoke({ format: 'iss_sub', iss: kc.issuer, sub: breakGlass.id });
  expect(res.status).toBe(422);
  expect(res.body).toMatchObject({ error: 'NeedsConfirmation' });
  expect((await kc.refresh(tokens.refresh_token)).ok).toBe(true);
  const incidentId = String(res.body?.incidentId);
  await worker.client.workflow.getHandle(incidentId).terminate('test over');
});

it('answers 404 for a user the identity provider does not have', async () => {
  const res = await revoke({ format: 'iss_sub', iss: kc.issuer, sub: randomUUID() });
  expect(res.status).toBe(404);
  expect(res.body).toMatchObject({ error: 'SubjectNotFound' });
});

it.each([
  ['no subject', undefined, /subject identifier/],
  ['an opaque subject', { format: 'opaque', id: 'x' }, /format 'opaque' is not supported/],
  [
    'another issuer',
    { format: 'iss_sub', iss: 'https://elsewhere.example', sub: 'a' },
    /not a realm this engine serves/,
  ],
  ['an e-mail without GTR_EMAIL_REALM', { format: 'email', email: 'a@corp.example' }, /GTR_EMAIL_REALM/],
])('refuses %s with 400 saying why', async (_what, subId, message) => {
  const res = await revoke(subId);
  expect(res.status).toBe(400);
  expect(String(res.body?.message)).toMatch(message);
});
