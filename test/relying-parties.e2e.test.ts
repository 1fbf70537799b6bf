/**
 * Issue 18's "done when": a compromised-credential incident on Keycloak ends the user's sessions
 * at relying parties that each trust one way of being told — Shared Signals pushed, Shared
 * Signals polled, OIDC back-channel logout (from Keycloak), Global Token Revocation (from the
 * engine) — and each acknowledgement is on the incident and in its evidence chain.
 */
import type { EngineConfig } from '../config/config';
import type { IncidentState } from '../domain/incident';
import { evidenceStoreFor, verifyIncidentEvidence } from '../evidence/store';
import { EVENT_TYPES } from '../ssf/events';
import { signInToApp } from './support/browser-login';
import { eventually, openKeycloakIncident, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { API_AUDIENCE, KeycloakTestClient, testRealmAuth } from './support/keycloak';
import { startReceiver } from './support/receiver';
import { startRelyingParty, type RelyingParty } from './support/relying-party';

const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
let config: EngineConfig;
let api: TestApi;
let worker: TestWorker;
let pushRp: RelyingParty;
let pollRp: RelyingParty;
let logoutRp: RelyingParty;
let gtrRp: RelyingParty;
let legacy: Awaited<ReturnType<typeof startReceiver>>;
let pushReceiver: Awaited<ReturnType<KeycloakTestClient['machineClient']>>;
let pollReceiver: Awaited<ReturnType<KeycloakTestClient['machineClient']>>;

async function call(token: string, method: string, route: string, body?: unknown) {
  const res = await fetch(`${api.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  pushReceiver = await kc.machineClient('rp-push', ['ir-ssf-receiver'], API_AUDIENCE);
  pollReceiver = await kc.machineClient('rp-poll', ['ir-ssf-receiver'], API_AUDIENCE);
  const base = { ...testConfig(), auth: testRealmAuth(kc.issuer, [pushReceiver.id, pollReceiver.id]) };
  api = await TestApi.start(base);
  const engine = { issuer: api.url, jwksUri: `${api.url}/ssf/jwks.json` };
  const webApp =
    (prefix: string, backchannel = false) =>
    ({ callbackUrl, backchannelUrl }: { callbackUrl: string; backchannelUrl: string }) =>
      kc.createWebAppClient(prefix, callbackUrl, backchannel ? backchannelUrl : undefined);
  pushRp = await startRelyingParty({
    issuer: kc.issuer,
    client: webApp('rp-push'),
    ssf: { ...engine, audience: 'https://push.rp.example' },
  });
  pollRp = await startRelyingParty({
    issuer: kc.issuer,
    client: webApp('rp-poll'),
    ssf: { ...engine, audience: 'https://poll.rp.example' },
  });
  logoutRp = await startRelyingParty({ issuer: kc.issuer, client: webApp('rp-bcl', true) });
  gtrRp = await startRelyingParty({ issuer: kc.issuer, client: webApp('rp-gtr'), gtr: engine });
  // An app whose revocation endpoint cannot log anyone out (RFC 9110 422): a finding.
  legacy = await startReceiver(() => 422);
  config = {
    ...base,
    publicApiUrl: api.url,
    gtrApps: [
      { name: 'ledger', endpoint: gtrRp.gtrUrl, subject: 'iss_sub' },
      { name: 'legacy', endpoint: `${legacy.url}/revoke`, subject: 'email' },
    ],
  };
  worker = await TestWorker.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  for (const rp of [pushRp, pollRp, logoutRp, gtrRp]) await rp?.close();
  await legacy?.close();
});

it('ends the sessions of every kind of relying party, each acknowledgement in the evidence', async () => {
  const victim = await kc.createUser('rpvictim');
  const responder = await kc.createUser('rpresponder', { roles: ['ir-responder'] });

  // Two relying parties subscribe to the engine's Shared Signals: one pushed to, one polling.
  const pushStream = await call(await pushReceiver.token(), 'POST', '/ssf/streams', {
    delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: pushRp.pushUrl },
    events_requested: Object.values(EVENT_TYPES),
    aud: 'https://push.rp.example',
  });
  expect(pushStream.status).toBe(201);
  const pollStream = await call(await pollReceiver.token(), 'POST', '/ssf/streams', {
    delivery: { method: 'urn:ietf:rfc:8936' },
    events_requested: Object.values(EVENT_TYPES),
    aud: 'https://poll.rp.example',
  });
  expect(pollStream.status).toBe(201);

  // The person is signed in at all four, each with a Keycloak session of its own.
  const signedIn = new Map<RelyingParty, { cookie: string; refreshToken: string }>();
  for (const rp of [pushRp, pollRp, logoutRp, gtrRp]) {
    const { cookie, body } = await signInToApp(rp.loginUrl, victim.username, victim.password);
    expect(body.sub).toBe(victim.id);
    signedIn.set(rp, { cookie, refreshToken: String(body.refreshToken) });
    expect(await rp.me(cookie)).toBe(200);
  }
  expect(await gtrRp.refresh(signedIn.get(gtrRp)!.refreshToken)).toBe(200);
  // The polling app takes nothing before the incident.
  expect(await pollRp.poll(pollStream.body.delivery.endpoint_url, await pollReceiver.token())).toEqual([]);

  const opened = await openKeycloakIncident(worker, config, victim.username, { by: responder.username });
  const incident = worker.client.workflow.getHandle(opened.incidentId);
  const state = async () => (await incident.query('incidentState')) as IncidentState;
  await eventually(async () => ((await state()).containedAt ? true : undefined), 'containment');

  // Back-channel logout: Keycloak told the app that registered for it, the app dropped the session.
  expect(await logoutRp.me(signedIn.get(logoutRp)!.cookie)).toBe(401);
  expect(logoutRp.ended).toEqual([expect.objectContaining({ via: 'backchannel-logout', sessions: 1 })]);
  // Pushed SETs: the app verified them against the engine's keys and dropped the session.
  await eventually(
    async () => ((await pushRp.me(signedIn.get(pushRp)!.cookie)) === 401 ? true : undefined),
    'the pushed SET',
  );
  expect(pushRp.ended[0]).toMatchObject({ via: 'ssf-push', sub: victim.id, sessions: 1 });
  // Polled SETs: taken on the next poll, then acknowledged.
  const pollUrl = pollStream.body.delivery.endpoint_url as string;
  const taken = await eventually(async () => {
    const jtis = await pollRp.poll(pollUrl, await pollReceiver.token());
    return jtis.length >= 4 ? jtis : undefined;
  }, 'the SETs to poll');
  expect(await pollRp.me(signedIn.get(pollRp)!.cookie)).toBe(401);
  expect(pollRp.ended[0]).toMatchObject({ via: 'ssf-poll', sub: victim.id, sessions: 1 });
  await pollRp.poll(pollUrl, await pollReceiver.token(), taken);
  // Global token revocation: the app's session and its refresh tokens are gone.
  expect(await gtrRp.me(signedIn.get(gtrRp)!.cookie)).toBe(401);
  expect(await gtrRp.refresh(signedIn.get(gtrRp)!.refreshToken)).toBe(400);
  expect(gtrRp.ended).toEqual([expect.objectContaining({ via: 'global-token-revocation', sub: victim.id })]);
  for (const rp of [pushRp, pollRp, logoutRp, gtrRp]) expect(rp.refused).toEqual([]);
  // The legacy app was asked by e-mail, with a JWT for its own endpoint, and refused.
  expect(legacy.received[0].body).toEqual({
    sub_id: { format: 'email', email: `${victim.username}@corp.example` },
  });

  // On the incident: who was told, who acknowledged, who refused.
  const done = await eventually(async () => {
    const s = await state();
    const acked = (id: string) =>
      (s.ssfDeliveries ?? []).filter((d) => d.streamId === id && d.status === 'acknowledged').length >= 4;
    return acked(pushStream.body.stream_id) && acked(pollStream.body.stream_id) ? s : undefined;
  }, 'both streams acknowledged on the incident');
  const revoke = done.actions.find((a) => a.action === 'revokeSessions' && a.status === 'done');
  expect(revoke?.status === 'done' && revoke.outcome.loggedOutClients).toEqual([
    { clientId: logoutRp.clientId, endpoint: logoutRp.backchannelUrl, sessions: 1 },
  ]);
  expect(done.downstreamRevocations).toEqual([
    expect.objectContaining({ app: 'ledger', status: 'revoked', httpStatus: 204, subject: 'iss_sub' }),
    expect.objectContaining({ app: 'legacy', status: 'refused', httpStatus: 422, subject: 'email' }),
  ]);
  expect(done.timeline.map((t) => t.message)).toEqual(
    expect.arrayContaining([
      `downstream apps revoked ${victim.username}'s tokens: ledger`,
      expect.stringMatching(/^finding: downstream app legacy did not revoke .* \(refused: answered 422/),
    ]),
  );

  // In the evidence chain, anchored by the incident: what Keycloak was to tell, what each app answered.
  const { manifest, verification } = await verifyIncidentEvidence(
    evidenceStoreFor(config),
    done.evidenceId,
    done.evidence,
    { running: true },
  );
  expect(verification.ok).toBe(true);
  const entry = async (kind: string) =>
    evidenceStoreFor(config).read(manifest.find((e) => e.kind === kind)!.objectHash) as Promise<
      Record<string, unknown>
    >;
  expect(await entry('backchannel-logout')).toMatchObject({
    clients: [{ clientId: logoutRp.clientId, sessions: 1 }],
  });
  expect(await entry('global-token-revocation')).toMatchObject({
    revocations: [
      { app: 'ledger', status: 'revoked' },
      { app: 'legacy', status: 'refused' },
    ],
  });
  // And what the SSF receivers acknowledged, once their reports settle.
  const acknowledged = await eventually(async () => {
    const s = await state();
    const { manifest: m, verification: v } = await verifyIncidentEvidence(
      evidenceStoreFor(config),
      s.evidenceId,
      s.evidence,
      { running: true },
    );
    const last = m.filter((e) => e.kind === 'ssf-acknowledgements').at(-1);
    if (!last || !v.ok) return undefined;
    const { deliveries } = (await evidenceStoreFor(config).read(last.objectHash)) as {
      deliveries: { streamId: string; status: string; acknowledgedAt?: string }[];
    };
    const acked = deliveries.filter((d) => d.status === 'acknowledged' && d.acknowledgedAt);
    return acked.length >= 8 ? acked : undefined;
  }, 'the SSF acknowledgements in the evidence chain');
  expect(new Set(acknowledged.map((d) => d.streamId))).toEqual(
    new Set([pushStream.body.stream_id, pollStream.body.stream_id]),
  );
  await call(await pushReceiver.token(), 'DELETE', `/ssf/streams?stream_id=${pushStream.body.stream_id}`);
  await call(await pollReceiver.token(), 'DELETE', `/ssf/streams?stream_id=${pollStream.body.stream_id}`);
});
