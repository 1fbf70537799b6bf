/**
 * Conformance of the engine's SSF transmitter, one check per normative requirement of the
 * specifications it implements (SSF 1.0, RFC 8417 SETs, RFC 8935 push, RFC 8936 poll, RFC 9493
 * subjects, CAEP 1.0 and the CAEP interoperability profile 1.0), against the live API with a
 * Keycloak-issued receiver token: a push stream and a poll stream, a verification, and the SETs of
 * a real Keycloak incident. The test names are the checklist (README: Shared Signals).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify, type JWTPayload } from 'jose';
import type { EngineConfig } from '../config/config';
import { EVENT_TYPES, VERIFICATION_EVENT } from '../ssf/events';
import { eventually, openKeycloakIncident, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { API_AUDIENCE, KeycloakTestClient, testRealmAuth } from './support/keycloak';

const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
let config: EngineConfig;
let api: TestApi;
let worker: TestWorker;
let token: () => Promise<string>;
const pushes: { method?: string; type?: string; accept?: string; body: string }[] = [];
const rp = http.createServer((req, res) => {
  let body = '';
  req.on('data', (c) => (body += c));
  req.on('end', () => {
    pushes.push({ method: req.method, type: req.headers['content-type'], accept: req.headers.accept, body });
    res.writeHead(202).end();
  });
});
const AUD = 'https://conformance.rp.example';
let meta: Record<string, unknown>;
let jwks: { keys: Record<string, unknown>[] };
let pushStream: Record<string, unknown>;
let pollStream: Record<string, unknown>;
let sets: { token: string; payload: JWTPayload; header: Record<string, unknown> }[];
let polled: Record<string, string>;

async function call(method: string, route: string, body?: unknown) {
  const res = await fetch(`${api.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await token()}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  await new Promise<void>((r) => rp.listen(0, '127.0.0.1', r));
  const receiver = await kc.machineClient('conformance', ['ir-ssf-receiver'], API_AUDIENCE);
  token = receiver.token;
  config = { ...testConfig(), auth: testRealmAuth(kc.issuer, [receiver.id]) };
  api = await TestApi.start(config);
  worker = await TestWorker.start(config);
  meta = (await (await fetch(`${api.url}/.well-known/ssf-configuration`)).json()) as Record<string, unknown>;
  jwks = (await (await fetch(String(meta.jwks_uri))).json()) as typeof jwks;
  const endpoint = `http://127.0.0.1:${(rp.address() as AddressInfo).port}/events`;
  pushStream = (
    await call('POST', String(meta.configuration_endpoint).replace(api.url, ''), {
      delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: endpoint },
      events_requested: Object.values(EVENT_TYPES),
      aud: AUD,
    })
  ).body;
  pollStream = (
    await call('POST', '/ssf/streams', {
      events_requested: [EVENT_TYPES['session-revoked'], EVENT_TYPES['credential-change']],
      aud: AUD,
    })
  ).body;
  await call('POST', '/ssf/verify', { stream_id: pushStream.stream_id, state: 'conformance-state' });
  const victim = await kc.createUser('conformance');
  await openKeycloakIncident(worker, config, victim.username, { by: 'conformance-test' });
  await eventually(async () => (pushes.length >= 5 ? true : undefined), 'five pushed SETs');
  const keys = createRemoteJWKSet(new URL(String(meta.jwks_uri)));
  sets = await Promise.all(
    pushes.map(async (p) => ({
      token: p.body,
      header: decodeProtectedHeader(p.body) as Record<string, unknown>,
      payload: (await jwtVerify(p.body, keys, { issuer: String(meta.issuer), audience: AUD })).payload,
    })),
  );
  const pollUrl = String((pollStream.delivery as { endpoint_url: string }).endpoint_url).replace(api.url, '');
  polled = await eventually(async () => {
    const r = await call('POST', pollUrl, { returnImmediately: true });
    return Object.keys(r.body.sets).length >= 2 ? (r.body.sets as Record<string, string>) : undefined;
  }, 'two polled SETs');
}, 120_000);

afterAll(async () => {
  for (const s of [pushStream, pollStream])
    if (s?.stream_id)
      await call('DELETE', `/ssf/streams?stream_id=${String(s.stream_id)}`).catch(() => undefined);
  await api?.stop();
  await worker?.stop();
  rp.close();
});

const of = (type: string) => sets.filter((s) => type in (s.payload.events as object));

const CHECKS: [string, () => void | Promise<void>][] = [
  [
    'SSF §7.1: metadata issuer is the URL it is served under, with spec_version 1_0',
    () => {
      expect(meta.issuer).toBe(api.url);
      expect(meta.spec_version).toBe('1_0');
    },
  ],
  [
    'SSF §7.1 / interop §2.3: jwks_uri and the configuration, status and verification endpoints are absolute URLs',
    () => {
      for (const k of ['jwks_uri', 'configuration_endpoint', 'status_endpoint', 'verification_endpoint'])
        expect(String(meta[k])).toMatch(/^https?:\/\/[^/]+\//);
    },
  ],
  [
    'SSF §7.1 / interop §2.3.2: push (RFC 8935) and poll (RFC 8936) are both offered',
    () => {
      expect(meta.delivery_methods_supported).toEqual(
        expect.arrayContaining(['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936']),
      );
    },
  ],
  [
    'interop §2.3.5: OAuth 2.0 (urn:ietf:rfc:6749) is an authorization scheme',
    () => {
      expect(meta.authorization_schemes).toEqual(expect.arrayContaining([{ spec_urn: 'urn:ietf:rfc:6749' }]));
    },
  ],
  [
    'RFC 7517: the JWKS holds public keys only, each with a kid',
    () => {
      for (const k of jwks.keys) {
        expect(k.kid).toEqual(expect.any(String));
        for (const priv of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'k']) expect(k).not.toHaveProperty(priv);
      }
    },
  ],
  [
    'interop §2.6: SETs are RS256 with an RSA key of at least 2048 bits',
    () => {
      for (const s of sets) expect(s.header.alg).toBe('RS256');
      const key = jwks.keys.find((k) => k.kid === sets[0].header.kid)!;
      expect(Buffer.from(String(key.n), 'base64url').length).toBeGreaterThanOrEqual(256);
    },
  ],
  [
    'SSF §4.1.1 / RFC 8417 §2.3: SETs are explicitly typed secevent+jwt and carry kid',
    () => {
      for (const s of sets) expect(s.header).toMatchObject({ typ: 'secevent+jwt', kid: expect.any(String) });
    },
  ],
  [
    'RFC 8417 §2.2: every SET has iss, iat, a unique jti and the stream audience',
    () => {
      for (const s of sets) {
        expect(s.payload).toMatchObject({ iss: api.url, jti: expect.any(String), iat: expect.any(Number) });
        // RFC 7519 §4.1.3: one audience as a string, or an array of them.
        expect([AUD, [AUD]]).toContainEqual(s.payload.aud);
      }
      expect(new Set(sets.map((s) => s.payload.jti)).size).toBe(sets.length);
    },
  ],
  [
    'SSF §4.1.2-4.1.8: one event per SET, the subject in sub_id, no sub and no exp',
    () => {
      for (const s of sets) {
        expect(Object.keys(s.payload.events as object)).toHaveLength(1);
        expect(s.payload.sub_id).toEqual(expect.objectContaining({ format: expect.any(String) }));
        expect(s.payload.sub).toBeUndefined();
        expect(s.payload.exp).toBeUndefined();
      }
    },
  ],
  [
    'SSF §8.1.4.2: a verification SET echoes the state, its subject the stream (opaque)',
    () => {
      const [v] = of(VERIFICATION_EVENT);
      expect(v.payload.events).toEqual({ [VERIFICATION_EVENT]: { state: 'conformance-state' } });
      expect(v.payload.sub_id).toEqual({ format: 'opaque', id: pushStream.stream_id });
    },
  ],
  [
    'RFC 9493 / interop §2.4: user subjects are iss_sub (or email)',
    () => {
      for (const s of sets.filter((x) => !(VERIFICATION_EVENT in (x.payload.events as object))))
        expect(['iss_sub', 'email']).toContain((s.payload.sub_id as { format: string }).format);
    },
  ],
  [
    'SSF §4.1.9: one incident, one txn on all its SETs',
    () => {
      const txns = new Set(
        sets.filter((x) => !(VERIFICATION_EVENT in (x.payload.events as object))).map((s) => s.payload.txn),
      );
      expect(txns.size).toBe(1);
      expect([...txns][0]).toMatch(/^incident-/);
    },
  ],
  [
    'CAEP §3.1 / interop: session-revoked carries event_timestamp and a non-empty reason_admin',
    () => {
      const [s] = of(EVENT_TYPES['session-revoked']);
      const e = (s.payload.events as Record<string, Record<string, unknown>>)[EVENT_TYPES['session-revoked']];
      expect(e.event_timestamp).toEqual(expect.any(Number));
      expect(Object.values(e.reason_admin as object)[0]).toEqual(expect.stringMatching(/\S/));
    },
  ],
  [
    'CAEP §3.3 / interop: credential-change carries credential_type, change_type and reason_admin',
    () => {
      const [s] = of(EVENT_TYPES['credential-change']);
      const e = (s.payload.events as Record<string, Record<string, unknown>>)[
        EVENT_TYPES['credential-change']
      ];
      expect([
        'password',
        'pin',
        'x509',
        'fido2-platform',
        'fido2-roaming',
        'fido-u2f',
        'verifiable-credential',
        'phone-voice',
        'phone-sms',
        'app',
      ]).toContain(e.credential_type);
      expect(['create', 'revoke', 'update', 'delete']).toContain(e.change_type);
      expect(Object.values(e.reason_admin as object)[0]).toEqual(expect.stringMatching(/\S/));
    },
  ],
  [
    'RFC 8935 §2: pushes are POSTs of application/secevent+jwt accepting application/json',
    () => {
      for (const p of pushes)
        expect(p).toMatchObject({
          method: 'POST',
          type: 'application/secevent+jwt',
          accept: 'application/json',
        });
    },
  ],
  [
    'RFC 8936 §2.4: a poll answers {sets: {jti: SET}, moreAvailable}, each SET under its own jti',
    async () => {
      const keys = createRemoteJWKSet(new URL(String(meta.jwks_uri)));
      for (const [jti, set] of Object.entries(polled))
        expect((await jwtVerify(set, keys, { audience: AUD })).payload.jti).toBe(jti);
    },
  ],
  [
    'RFC 8936 §2.4: what is not acknowledged is offered again; what is acknowledged is not',
    async () => {
      const pollUrl = String((pollStream.delivery as { endpoint_url: string }).endpoint_url).replace(
        api.url,
        '',
      );
      const again = await call('POST', pollUrl, { returnImmediately: true });
      expect(Object.keys(again.body.sets)).toEqual(expect.arrayContaining(Object.keys(polled)));
      expect(again.body).toHaveProperty('moreAvailable');
      const acked = await call('POST', pollUrl, { ack: Object.keys(polled), returnImmediately: true });
      for (const jti of Object.keys(polled)) expect(acked.body.sets).not.toHaveProperty(jti);
    },
  ],
  [
    'SSF §8.1.1.1: stream creation answers the full configuration; a poll stream gets its endpoint from the transmitter',
    () => {
      expect(pushStream).toMatchObject({
        stream_id: expect.any(String),
        iss: api.url,
        aud: [AUD],
        events_supported: expect.any(Array),
        events_requested: expect.any(Array),
        events_delivered: expect.any(Array),
      });
      expect(pollStream.delivery).toEqual({
        method: 'urn:ietf:rfc:8936',
        endpoint_url: `${api.url}/ssf/poll/${String(pollStream.stream_id)}`,
      });
    },
  ],
  [
    'SSF §8.1.1: events_delivered is the intersection of supported and requested',
    () => {
      expect(pollStream.events_delivered).toEqual([
        EVENT_TYPES['session-revoked'],
        EVENT_TYPES['credential-change'],
      ]);
    },
  ],
  [
    'SSF §8.1.2: status reads and changes (enabled/paused/disabled); an unknown stream is 404',
    async () => {
      const id = String(pollStream.stream_id);
      expect((await call('GET', `/ssf/status?stream_id=${id}`)).body).toEqual({
        stream_id: id,
        status: 'enabled',
      });
      expect((await call('POST', '/ssf/status', { stream_id: id, status: 'paused' })).body).toEqual({
        stream_id: id,
        status: 'paused',
      });
      expect((await call('GET', '/ssf/status?stream_id=00000000-0000-0000-0000-000000000000')).status).toBe(
        404,
      );
    },
  ],
  [
    'SSF §8.1.4.1: verification requests answer 204',
    async () => {
      expect(
        (await call('POST', '/ssf/verify', { stream_id: pollStream.stream_id, state: 's' })).status,
      ).toBe(204);
    },
  ],
];

it.each(CHECKS)('%s', async (_name, check) => {
  await check();
});
