/**
 * The SSF transmitter (OpenID Shared Signals Framework 1.0) on the live API with Keycloak-issued
 * receiver tokens: metadata and JWKS, stream management owned per receiver, push delivery
 * (RFC 8935) to a receiver that checks the SET against the JWKS and answers 202, poll delivery
 * (RFC 8936) with acknowledgement, subjects excluded, streams paused and deleted.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { EngineConfig } from '../config/config';
import { EVENT_TYPES, VERIFICATION_EVENT } from '../ssf/events';
import { securityEventSignal, streamStateQuery } from '../workflows/ssf-definitions';
import { eventually, openKeycloakIncident, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { API_AUDIENCE, KeycloakTestClient, testRealmAuth } from './support/keycloak';

const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
let config: EngineConfig;
let api: TestApi;
let worker: TestWorker;
let receiverA: Awaited<ReturnType<KeycloakTestClient['machineClient']>>;
let receiverB: Awaited<ReturnType<KeycloakTestClient['machineClient']>>;
let stranger: Awaited<ReturnType<KeycloakTestClient['machineClient']>>;

/** A relying party's push endpoint: records each request, answers 202 (or what `answer` says). */
const pushed: { auth?: string; type?: string; body: string }[] = [];
let answer = 202;
const rp = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    if (req.url === '/refuse')
      return void res
        .writeHead(400, { 'content-type': 'application/json' })
        .end('{"err":"invalid_request","description":"not for us"}');
    pushed.push({ auth: req.headers.authorization, type: req.headers['content-type'], body });
    res.writeHead(answer).end();
  });
});
let rpUrl: string;

async function call(token: string | undefined, method: string, route: string, body?: unknown) {
  const res = await fetch(`${api.url}${route}`, {
    method,
    headers: {
      'content-type': 'application/json',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  await new Promise<void>((r) => rp.listen(0, '127.0.0.1', r));
  rpUrl = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/ssf/events`;
  receiverA = await kc.machineClient('rp-a', ['ir-ssf-receiver'], API_AUDIENCE);
  receiverB = await kc.machineClient('rp-b', ['ir-ssf-receiver'], API_AUDIENCE);
  stranger = await kc.machineClient('rp-nobody', ['ir-viewer'], API_AUDIENCE);
  config = { ...testConfig(), auth: testRealmAuth(kc.issuer, [receiverA.id, receiverB.id, stranger.id]) };
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  rp.close();
});

async function verifySet(token: string, aud: string): Promise<JWTPayload> {
  const meta = (await call(undefined, 'GET', '/.well-known/ssf-configuration')).body;
  const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(meta.jwks_uri)), {
    issuer: meta.issuer,
    audience: aud,
    typ: 'secevent+jwt',
  });
  expect(protectedHeader.alg).toBe('RS256');
  return payload;
}

it('publishes its metadata and keys, and lets only receivers manage streams', async () => {
  const meta = await call(undefined, 'GET', '/.well-known/ssf-configuration');
  expect(meta.status).toBe(200);
  expect(meta.body).toMatchObject({
    issuer: api.url,
    jwks_uri: `${api.url}/ssf/jwks.json`,
    configuration_endpoint: `${api.url}/ssf/streams`,
    delivery_methods_supported: ['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936'],
  });
  const jwks = await call(undefined, 'GET', '/ssf/jwks.json');
  expect(jwks.body.keys).toHaveLength(1);
  expect(jwks.body.keys[0]).not.toHaveProperty('d');

  const body = { delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: rpUrl }, events_requested: [] };
  expect((await call(undefined, 'POST', '/ssf/streams', body)).status).toBe(401);
  expect((await call(await stranger.token(), 'POST', '/ssf/streams', body)).status).toBe(403);
  // Push endpoints a receiver may not choose: plain http, private and metadata addresses (only the
  // hosts in SSF_PUSH_PRIVATE_HOSTS, here this machine's test receivers, may be private).
  for (const [url, why] of [
    ['http://10.0.0.1/hook', /must be https/],
    ['https://10.0.0.1/hook', /10\.0\.0\.1 is not a public address/],
    ['https://169.254.169.254/latest/meta-data', /not a public address/],
    ['https://[::ffff:127.0.0.1]/hook', /not a public address/],
  ] as const) {
    const ssrf = await call(await receiverA.token(), 'POST', '/ssf/streams', {
      ...body,
      delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: url },
    });
    expect([url, ssrf.status]).toEqual([url, 400]);
    expect(ssrf.body.message).toMatch(why);
  }
});

it('pushes signed SETs a receiver verifies, only to the streams and subjects that want them', async () => {
  const token = await receiverA.token();
  const created = await call(token, 'POST', '/ssf/streams', {
    delivery: {
      method: 'urn:ietf:rfc:8935',
      endpoint_url: rpUrl,
      authorization_header: 'Bearer rp-push-secret',
    },
    events_requested: [
      EVENT_TYPES['session-revoked'],
      EVENT_TYPES['account-disabled'],
      'https://example.com/unknown',
    ],
    aud: 'https://rp-a.example',
  });
  expect(created.status).toBe(201);
  const stream = created.body;
  expect(stream.events_delivered).toEqual([EVENT_TYPES['session-revoked'], EVENT_TYPES['account-disabled']]);
  // The push secret is never read back.
  expect(JSON.stringify(stream)).not.toContain('rp-push-secret');

  // Verification (SSF §8.1.4): a signed SET with the receiver's state, pushed and acknowledged.
  pushed.length = 0;
  expect(
    (await call(token, 'POST', '/ssf/verify', { stream_id: stream.stream_id, state: 'rp-state-1' })).status,
  ).toBe(204);
  const first = await eventually(async () => pushed[0], 'the verification event pushed');
  expect(first.type).toBe('application/secevent+jwt');
  expect(first.auth).toBe('Bearer rp-push-secret');
  const v = await verifySet(first.body, 'https://rp-a.example');
  expect(v.events).toEqual({ [VERIFICATION_EVENT]: { state: 'rp-state-1' } });
  expect(v.sub_id).toEqual({ format: 'opaque', id: stream.stream_id });
  // Asked again at once: min_verification_interval.
  expect((await call(token, 'POST', '/ssf/verify', { stream_id: stream.stream_id })).status).toBe(429);

  // Another receiver sees nothing of it.
  const other = await receiverB.token();
  expect((await call(other, 'GET', `/ssf/streams?stream_id=${stream.stream_id}`)).status).toBe(404);
  expect(
    (await call(other, 'POST', '/ssf/status', { stream_id: stream.stream_id, status: 'disabled' })).status,
  ).toBe(404);
  expect((await call(other, 'GET', '/ssf/streams')).body).toEqual([]);
  expect(
    (await call(token, 'GET', '/ssf/streams')).body.map((s: { stream_id: string }) => s.stream_id),
  ).toEqual([stream.stream_id]);

  // Events: requested and about an included subject → delivered; excluded subject or not requested → not.
  const handle = worker.client.workflow.getHandle(`ssf-stream-${stream.stream_id}`);
  const jdoe = { format: 'iss_sub' as const, iss: kc.issuer, sub: 'user-jdoe' };
  const mary = { format: 'email' as const, email: 'mary@corp.example' };
  expect(
    (await call(token, 'POST', '/ssf/subjects:remove', { stream_id: stream.stream_id, subject: mary }))
      .status,
  ).toBe(204);
  pushed.length = 0;
  const at = new Date().toISOString();
  await handle.signal(securityEventSignal, {
    facts: { kind: 'credential-change', at, reasonAdmin: 'x' },
    subject: jdoe,
  });
  await handle.signal(securityEventSignal, {
    facts: { kind: 'session-revoked', at, reasonAdmin: 'x' },
    subject: mary,
  });
  await handle.signal(securityEventSignal, {
    facts: { kind: 'session-revoked', at, reasonAdmin: 'contained by incident-x' },
    subject: jdoe,
    txn: 'incident-x',
  });
  await eventually(async () => pushed[0], 'the session-revoked event');
  await new Promise((r) => setTimeout(r, 1000));
  expect(pushed).toHaveLength(1);
  const revoked = await verifySet(pushed[0].body, 'https://rp-a.example');
  expect(revoked).toMatchObject({
    sub_id: jdoe,
    txn: 'incident-x',
    events: { [EVENT_TYPES['session-revoked']]: { initiating_entity: 'policy' } },
  });
  const state = await handle.query(streamStateQuery);
  expect(state.deliveries.filter((d) => d.status === 'acknowledged').map((d) => d.event)).toEqual([
    VERIFICATION_EVENT,
    EVENT_TYPES['session-revoked'],
  ]);

  // Paused: held, then delivered when enabled again.
  expect(
    (await call(token, 'POST', '/ssf/status', { stream_id: stream.stream_id, status: 'paused' })).body,
  ).toEqual({
    stream_id: stream.stream_id,
    status: 'paused',
  });
  pushed.length = 0;
  await handle.signal(securityEventSignal, {
    facts: { kind: 'account-disabled', at, reasonAdmin: 'x' },
    subject: jdoe,
  });
  await new Promise((r) => setTimeout(r, 1000));
  expect(pushed).toHaveLength(0);
  await call(token, 'POST', '/ssf/status', { stream_id: stream.stream_id, status: 'enabled' });
  await eventually(async () => pushed[0], 'the held event after enabling');

  // A receiver that refuses a SET (400): recorded as failed, not retried forever.
  answer = 400;
  await handle.signal(securityEventSignal, {
    facts: { kind: 'session-revoked', at, reasonAdmin: 'x' },
    subject: jdoe,
  });
  await eventually(
    async () => (await handle.query(streamStateQuery)).deliveries.find((d) => d.status === 'failed'),
    'the refused delivery recorded',
  );
  answer = 202;

  expect((await call(token, 'DELETE', `/ssf/streams?stream_id=${stream.stream_id}`)).status).toBe(204);
  expect((await call(token, 'GET', `/ssf/streams?stream_id=${stream.stream_id}`)).status).toBe(404);
});

it('holds SETs for a polling receiver until it acknowledges them', async () => {
  const token = await receiverB.token();
  const created = await call(token, 'POST', '/ssf/streams', {
    delivery: { method: 'urn:ietf:rfc:8936' },
    events_requested: [EVENT_TYPES['credential-change']],
  });
  expect(created.status).toBe(201);
  const stream = created.body;
  expect(stream.delivery.endpoint_url).toBe(`${api.url}/ssf/poll/${stream.stream_id}`);
  await call(token, 'POST', '/ssf/verify', { stream_id: stream.stream_id, state: 's' });
  const polled = await eventually(async () => {
    const r = await call(token, 'POST', `/ssf/poll/${stream.stream_id}`, {
      maxEvents: 10,
      returnImmediately: true,
    });
    return Object.keys(r.body.sets).length ? r.body : undefined;
  }, 'a SET to poll');
  const [jti, set] = Object.entries(polled.sets as Record<string, string>)[0];
  const payload = await verifySet(set, `service-account-${receiverB.id}`);
  expect(payload.jti).toBe(jti);
  // Not acknowledged: offered again. Acknowledged: gone.
  expect(Object.keys((await call(token, 'POST', `/ssf/poll/${stream.stream_id}`, {})).body.sets)).toEqual([
    jti,
  ]);
  expect((await call(token, 'POST', `/ssf/poll/${stream.stream_id}`, { ack: [jti] })).body.sets).toEqual({});
  // Only its owner polls it.
  expect((await call(await receiverA.token(), 'POST', `/ssf/poll/${stream.stream_id}`, {})).status).toBe(404);
  const bad = await call(token, 'POST', `/ssf/poll/${stream.stream_id}`, { maxEvents: 'all' });
  expect(bad.status).toBe(400);
});

it('tells receivers what containing a Keycloak account did, as it happens', async () => {
  const token = await receiverA.token();
  const stream = (
    await call(token, 'POST', '/ssf/streams', {
      delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: rpUrl },
      events_requested: Object.values(EVENT_TYPES),
      aud: 'https://rp-a.example',
    })
  ).body;
  // A second receiver refuses everything: a finding on the incident, not a silent gap.
  const refusing = (
    await call(await receiverB.token(), 'POST', '/ssf/streams', {
      delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: new URL('/refuse', rpUrl).toString() },
      events_requested: [EVENT_TYPES['account-disabled']],
      aud: 'https://rp-refusing.example',
    })
  ).body;
  pushed.length = 0;
  const victim = await kc.createUser('ssfvictim');
  const responder = await kc.createUser('ssfresponder', { roles: ['ir-responder', 'ir-viewer'] });
  await kc.ensureRolesInTokens();
  await kc.ensureAudience('corp-app', API_AUDIENCE);
  // The API here accepts only the receivers' client: open the incident through the worker's client.
  const opened = await openKeycloakIncident(worker, config, victim.username, { by: responder.username });
  const sets = await eventually(
    async () => (pushed.length >= 4 ? pushed.slice() : undefined),
    'four events pushed',
  );
  const payloads = await Promise.all(sets.map((p) => verifySet(p.body, 'https://rp-a.example')));
  const kinds = payloads.map((p) => Object.keys(p.events as object)[0]);
  expect(kinds).toEqual([
    EVENT_TYPES['credential-compromise'],
    EVENT_TYPES['credential-change'],
    EVENT_TYPES['session-revoked'],
    EVENT_TYPES['account-disabled'],
  ]);
  for (const p of payloads) {
    expect(p.sub_id).toEqual({ format: 'iss_sub', iss: kc.issuer, sub: victim.id });
    expect(p.txn).toBe(opened.incidentId);
  }
  const state = await eventually(async () => {
    const s = await worker.client.workflow.getHandle(opened.incidentId).query('incidentState');
    return (s as { containedAt?: string }).containedAt
      ? (s as { timeline: { message: string }[] })
      : undefined;
  }, 'containment');
  expect(
    state.timeline.some((t) =>
      /told \d+ SSF stream\(s\): credential-compromise, credential-change, session-revoked/.test(t.message),
    ),
  ).toBe(true);
  // Each receiver's acknowledgement is on the incident, by SET.
  const acks = await eventually(async () => {
    const s = (await worker.client.workflow.getHandle(opened.incidentId).query('incidentState')) as {
      ssfDeliveries?: { streamId: string; status: string; event: string; acknowledgedAt?: string }[];
    };
    const mine = (s.ssfDeliveries ?? []).filter((d) => d.streamId === stream.stream_id);
    return mine.length >= 4 && mine.every((d) => d.status === 'acknowledged') ? mine : undefined;
  }, 'the acknowledgements on the incident');
  expect(acks.map((d) => d.event)).toEqual(kinds);
  for (const d of acks) expect(Date.parse(d.acknowledgedAt!)).toBeGreaterThan(0);
  await eventually(async () => {
    const s = (await worker.client.workflow.getHandle(opened.incidentId).query('incidentState')) as {
      timeline: { message: string }[];
    };
    return (
      s.timeline.some((t) =>
        /finding: SSF receiver https:\/\/rp-refusing\.example did not take account-disabled: receiver answered 400 invalid_request: not for us/.test(
          t.message,
        ),
      ) || undefined
    );
  }, 'the refusal as a finding on the incident');
  await call(token, 'DELETE', `/ssf/streams?stream_id=${stream.stream_id}`);
  await call(await receiverB.token(), 'DELETE', `/ssf/streams?stream_id=${refusing.stream_id}`);
});
