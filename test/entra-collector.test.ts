/**
 * The Entra ID sign-in collector against a local fake built from Microsoft's documented contracts:
 * client-credentials token through @azure/identity, Graph paging, Retry-After honoured, the client
 * secret kept out of workflow history; impossible travel detected from Graph's own geo.
 */
import { randomUUID } from 'node:crypto';
import type { EngineConfig } from '../config/config';
import { detectorId, detectorStatusQuery } from '../workflows/detector';
import { ensureDetector, stopDetector } from '../worker/detectors';
import { eventually, decodedHistoryText, testConfig, TestWorker } from './support/engine';
import { FakeEntra } from './support/fake-entra';

const TENANT = 'contoso';
const CLIENT = { id: randomUUID(), secret: `entra~${randomUUID()}` };
const source = {
  provider: 'entra' as const,
  tenant: TENANT,
  pull: { intervalMs: 200, lookbackMs: 3_600_000, pageSize: 2 },
};

let entra: FakeEntra;
let config: EngineConfig;
let worker: TestWorker;

beforeAll(async () => {
  entra = await FakeEntra.start(TENANT, CLIENT);
  config = {
    ...testConfig(),
    entra: {
      tenantId: TENANT,
      clientId: CLIENT.id,
      clientSecret: CLIENT.secret,
      authority: entra.url,
      graphUrl: entra.url,
    },
  };
  worker = await TestWorker.start(config);
});

afterAll(async () => {
  if (worker) await stopDetector(worker.client, source, 'test done');
  await worker?.stop();
  await entra?.stop();
});

function signIn(minutesAgo: number, city: string, country: string, lat: number, lon: number) {
  entra.signIns.push({
    id: randomUUID(),
    createdDateTime: new Date(Date.now() - minutesAgo * 60_000).toISOString(),
    userPrincipalName: 'pat@contoso.example',
    userId: 'u-1',
    appDisplayName: 'Office 365',
    ipAddress: '198.51.100.40',
    status: { errorCode: 0 },
    location: { city, countryOrRegion: country, geoCoordinates: { latitude: lat, longitude: lon } },
  });
}

it('pulls sign-ins page by page, waits out a 429, and detects impossible travel', async () => {
  signIn(40, 'Paris', 'FR', 48.85, 2.35);
  signIn(35, 'Paris', 'FR', 48.85, 2.35);
  signIn(10, 'Sydney', 'AU', -33.87, 151.21);
  entra.throttle = { times: 1, retryAfterSeconds: 2 };
  await ensureDetector(worker.client, config.temporal.taskQueue, source);

  const status = await eventually(async () => {
    const s = await worker.client.workflow.getHandle(detectorId(source)).query(detectorStatusQuery);
    return s.recentAlerts.some((a) => a.rule === 'impossible-travel' && a.routed) ? s : undefined;
  }, 'the impossible-travel alert');
  expect(status.counters).toMatchObject({ received: 3, duplicates: 0 });
  const travel = status.recentAlerts.find((a) => a.rule === 'impossible-travel')!;
  expect(travel).toMatchObject({
    severity: 'high',
    principal: { provider: 'entra', tenant: TENANT, username: 'pat@contoso.example' },
  });
  // The worker has the Entra connector: the alert opens an incident (containment on Entra is
  // tested against a whole fake tenant in entra-containment.e2e).
  expect(travel.routed).toMatchObject({ action: 'opened' });

  const graph = entra.requests.filter((r) => r.path === '/v1.0/auditLogs/signIns');
  const throttled = graph.findIndex((r) => r.status === 429);
  expect(graph[throttled + 1].at - graph[throttled].at).toBeGreaterThanOrEqual(2000);

  const history = await decodedHistoryText(worker.client, detectorId(source));
  expect(history).toContain('pat@contoso.example');
  expect(history).not.toContain(CLIENT.secret);
});

it('reads a sign-in Graph indexed late (older than the newest read) once, and nothing twice', async () => {
  const handle = worker.client.workflow.getHandle(detectorId(source));
  const before = await handle.query(detectorStatusQuery);
  // Indexed now, but it happened 12 minutes ago: before the newest sign-in already read (10 min).
  signIn(12, 'Tokyo', 'JP', 35.68, 139.69);
  const after = await eventually(async () => {
    const s = await handle.query(detectorStatusQuery);
    return s.counters.received > before.counters.received ? s : undefined;
  }, 'the late sign-in');
  // Several pulls later, still once: the re-read window skips what it has read.
  await new Promise((r) => setTimeout(r, 1500));
  const settled = await handle.query(detectorStatusQuery);
  expect(settled.counters.received).toBe(before.counters.received + 1);
  expect(settled.counters.duplicates).toBe(before.counters.duplicates);
  expect(after.counters.received).toBe(before.counters.received + 1);
});
