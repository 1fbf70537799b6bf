/**
 * Interop: the engine's SSF transmitter against a receiver whose SET handling someone else wrote —
 * SGNL's Go library caep.dev/secevent (interop/go-ssf-receiver). It verifies every pushed SET
 * against the engine's JWKS, issuer and the stream's audience and parses it into its own typed
 * events and subjects; the test reads what it printed.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as path from 'node:path';
import * as readline from 'node:readline';
import type { EngineConfig } from '../config/config';
import { EVENT_TYPES, VERIFICATION_EVENT } from '../ssf/events';
import { eventually, openKeycloakIncident, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { API_AUDIENCE, KeycloakTestClient, testRealmAuth } from './support/keycloak';

const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
let config: EngineConfig;
let api: TestApi;
let worker: TestWorker;
let goReceiver: ChildProcess;
let receiverUrl: string;
const lines: Record<string, unknown>[] = [];
let receiver: Awaited<ReturnType<KeycloakTestClient['machineClient']>>;
const AUD = 'https://go-receiver.example';

beforeAll(async () => {
  const binary = path.join(readTestEnv().workDir, 'go-ssf-receiver');
  // Built from the pinned module (go.sum); the library is fetched through the Go module proxy.
  execFileSync('go', ['build', '-o', binary, '.'], {
    cwd: path.join(__dirname, '../interop/go-ssf-receiver'),
    env: { ...process.env, GOFLAGS: '-mod=readonly', GONOSUMDB: 'github.com/sgnl-ai' },
    stdio: 'inherit',
  });
  receiver = await kc.machineClient('go-rp', ['ir-ssf-receiver'], API_AUDIENCE);
  config = { ...testConfig(), auth: testRealmAuth(kc.issuer, [receiver.id]) };
  api = await TestApi.start(config);
  worker = await TestWorker.start(config);
  goReceiver = spawn(binary, ['-jwks', `${api.url}/ssf/jwks.json`, '-issuer', api.url, '-audience', AUD], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const rl = readline.createInterface({ input: goReceiver.stdout! });
  rl.on('line', (line) => lines.push(JSON.parse(line) as Record<string, unknown>));
  receiverUrl = await eventually(
    async () => lines.find((l) => l.listening)?.listening as string | undefined,
    'the Go receiver',
  );
}, 300_000);

afterAll(async () => {
  goReceiver?.kill();
  await api?.stop();
  await worker?.stop();
});

async function call(method: string, route: string, body?: unknown) {
  const res = await fetch(`${api.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: `Bearer ${await receiver.token()}` },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

it("a Keycloak incident's SETs verify and parse in caep.dev's Go receiver; its iss_sub is not RFC 9493's", async () => {
  // The receiver asks for e-mail subjects (SSF 1.0 §8.1.1 `format`) …
  const byEmail = await call('POST', '/ssf/streams', {
    delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: receiverUrl },
    events_requested: Object.values(EVENT_TYPES),
    aud: AUD,
    format: 'email',
  });
  expect(byEmail.status).toBe(201);
  expect(byEmail.body.format).toBe('email');
  // … and a second stream sends the engine's default, iss_sub.
  const byIssSub = await call('POST', '/ssf/streams', {
    delivery: { method: 'urn:ietf:rfc:8935', endpoint_url: receiverUrl },
    events_requested: Object.values(EVENT_TYPES),
    aud: AUD,
  });
  expect(
    (await call('POST', '/ssf/verify', { stream_id: byEmail.body.stream_id, state: 'interop' })).status,
  ).toBe(204);
  await eventually(async () => (lines.some((l) => l.ok === true) ? true : undefined), 'the verification SET');

  const victim = await kc.createUser('interop');
  const opened = await openKeycloakIncident(worker, config, victim.username, { by: 'interop-test' });
  await eventually(
    async () => (lines.filter((l) => l.ok !== undefined).length >= 9 ? true : undefined),
    'nine SETs at the Go receiver',
  );
  const parsed = lines.filter((l) => l.ok === true);
  expect(parsed.map((l) => l.type)).toEqual([
    VERIFICATION_EVENT,
    EVENT_TYPES['credential-compromise'],
    EVENT_TYPES['credential-change'],
    EVENT_TYPES['session-revoked'],
    EVENT_TYPES['account-disabled'],
  ]);
  expect(parsed.map((l) => l.subject)).toEqual(['opaque', 'email', 'email', 'email', 'email']);
  // What was found: the library reads an iss_sub subject's issuer from "issuer", where RFC 9493
  // §3.2.4 names it "iss", so it refuses the engine's (conformant) iss_sub SETs.
  const refused = lines.filter((l) => l.ok === false);
  expect(refused).toHaveLength(4);
  for (const r of refused)
    expect(String(r.error)).toMatch(/invalid subject: missing_value: issuer is required/);
  // The receiver's 202s are the incident's acknowledgements; its refusals are findings.
  await eventually(async () => {
    const s = (await worker.client.workflow.getHandle(opened.incidentId).query('incidentState')) as {
      ssfDeliveries?: { streamId: string; status: string }[];
    };
    const of = (id: string) => (s.ssfDeliveries ?? []).filter((d) => d.streamId === id);
    return of(byEmail.body.stream_id).filter((d) => d.status === 'acknowledged').length === 4 &&
      of(byIssSub.body.stream_id).filter((d) => d.status === 'failed').length === 4
      ? true
      : undefined;
  }, 'acknowledgements and refusals on the incident');
  for (const s of [byEmail, byIssSub]) await call('DELETE', `/ssf/streams?stream_id=${s.body.stream_id}`);
});
