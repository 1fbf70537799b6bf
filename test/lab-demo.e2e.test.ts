/**
 * The zero-dependency demo (LAB_IDP=on): the demo realm as the worker hosts it, its detector
 * pulling the lab's events, and the takeover the start-up instructions describe. Detection opens
 * the incident by itself; containment holds as the lab's own endpoints tell.
 */
import { randomUUID } from 'node:crypto';
import { startDemoLab, DEMO_APP_CLIENT, type DemoLab } from '../lab/demo';
import { ensureDetector, stopDetector } from '../worker/detectors';
import { incidentIdFor } from '../domain/principal-key';
import { testConfig, TestApi, TestWorker } from './support/engine';

// A realm of its own per run: detector and incident ids follow it on a reused dev server.
const realm = `demo-${randomUUID().slice(0, 8)}`;
let demo: DemoLab;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  demo = await startDemoLab({ realm, port: 0 });
  const config = testConfig();
  worker = await TestWorker.start(config, demo.connector);
  api = await TestApi.start(config);
  await ensureDetector(worker.client, config.temporal.taskQueue, {
    provider: 'lab',
    tenant: realm,
    pull: { intervalMs: 300, lookbackMs: 60_000 }, // from the realm's start, as the worker does
  });
});

afterAll(async () => {
  await stopDetector(worker.client, { provider: 'lab', tenant: realm }, 'test done').catch(() => undefined);
  await api?.stop();
  await worker?.stop();
  await demo?.idp.stop();
});

const token = (username: string, password: string) =>
  fetch(`${demo.idp.issuer}/protocol/openid-connect/token`, {
    method: 'POST',
    body: new URLSearchParams({ grant_type: 'password', client_id: DEMO_APP_CLIENT, username, password }),
  });

it("detects the instructions' takeover of alice by itself and contains her account", async () => {
  const alice = demo.people[0];
  expect(demo.instructions).toContain(`${alice.username} / ${alice.password}`);
  for (let i = 0; i < 10; i++) expect((await token(alice.username, 'wrong')).status).toBe(400);
  const stolen = await token(alice.username, alice.password);
  expect(stolen.status).toBe(200);
  const { access_token } = (await stolen.json()) as { access_token: string };

  const id = incidentIdFor({ provider: 'lab', realm, username: alice.username });
  const state = await api.untilPhase(id, ['contained', 'containment-unverified', 'investigate', 'recover']);
  expect(state.openedBy).toBe('detector');
  expect(state.containedAt).toBeDefined();
  expect(state.alerts.map((a) => a.source)).toContainEqual('detection:credential-compromise-after-burst');
  // As the lab's own endpoints say: the stolen token is dead, the password no longer logs in.
  const userinfo = await fetch(`${demo.idp.issuer}/protocol/openid-connect/userinfo`, {
    headers: { authorization: `Bearer ${access_token}` },
  });
  expect(userinfo.status).toBe(401);
  expect((await token(alice.username, alice.password)).status).toBe(400);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, 'demo.responder');
});
