/**
 * The leaked-client-secret playbook on the real Keycloak: the client gets a new secret (the old one
 * is refused), every token issued to it before is refused, and the service account's use is traced.
 */
import { useEngine } from './support/use-engine';
import { readTestEnv } from './support/env';
import { captureHistory } from './support/histories';
import { KeycloakTestClient, REALM } from './support/keycloak';

const RESPONDER = 'secret.responder';
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
const engine = useEngine();

/** Client credentials grant returning the access token (or the error code). */
async function tokenFor(clientId: string, secret: string): Promise<{ token?: string; error?: string }> {
  const res = await fetch(`${kc.issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: clientId,
      client_secret: secret,
    }),
  });
  const body = (await res.json()) as { access_token?: string; error?: string };
  return res.ok ? { token: body.access_token } : { error: body.error };
}

it('rotates the leaked secret, refuses the tokens issued with it, and traces the service account', async () => {
  const client = await kc.createConfidentialClient('leaky');
  const stolen = await tokenFor(client.id, client.secret);
  expect(await kc.introspect(stolen.token!)).toBe(true);

  const opened = await engine.api.call(
    'POST',
    '/incidents',
    {
      playbook: 'leaked-client-secret',
      principal: { provider: 'keycloak', realm: REALM, username: `service-account-${client.id}` },
      clientId: client.id,
      severity: 'high',
      summary: `secret of ${client.id} found in a public repository`,
    },
    RESPONDER,
  );
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  const state = await engine.api.untilPhase(id, ['review', 'containment-unverified']);
  expect(state.phase).toBe('review');
  expect(state.verification?.checks.map((c) => [c.name, c.ok])).toEqual([
    ['secret-rotated', true],
    ['tokens-revoked', true],
    ['old-secrets-gone', true],
    ['sessions-ended', true],
  ]);

  // As Keycloak says: the leaked secret and the token minted with it are refused; the new secret
  // (which the owner takes from Keycloak — the engine never holds on to it) works.
  expect(['invalid_client', 'unauthorized_client']).toContain(
    (await tokenFor(client.id, client.secret)).error,
  );
  expect(await kc.introspect(stolen.token!)).toBe(false);
  const fresh = await kc.admin<{ value: string }>('GET', `/clients/${client.uuid}/client-secret`);
  expect(fresh.value).not.toBe(client.secret);
  expect((await tokenFor(client.id, fresh.value)).token).toBeDefined();
  const rotation = state.actions.find((a) => a.action === 'rotateClientSecret');
  expect(rotation).toMatchObject({
    status: 'done',
    outcome: { detail: expect.stringMatching(/old secret refused/) },
  });

  // Its use in the window: the client-credentials grant is in the service account's auth timeline.
  const report = await engine.api.call('GET', `/incidents/${id}/investigation`);
  expect(report.body.authTimeline.map((e: { type: string }) => e.type)).toContain('CLIENT_LOGIN');

  await engine.api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  await engine.api.untilPhase(id, ['closed']);
  captureHistory(id, 'leaked-client-secret');
});
