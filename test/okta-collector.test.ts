/**
 * The Okta System Log collector against a local fake built from Okta's documented contract: it
 * follows the polling request's next link, honours 429 X-Rate-Limit-Reset, resumes after a worker
 * restart with no duplicate, and keeps the API token out of workflow history.
 */
import { randomUUID } from 'node:crypto';
import type { EngineConfig } from '../config/config';
import { detectorId, detectorStatusQuery } from '../workflows/detector';
import { ensureDetector, stopDetector } from '../worker/detectors';
import { eventually, decodedHistoryText, testConfig, TestWorker } from './support/engine';
import { FakeOkta } from './support/fake-okta';

const TOKEN = `00${randomUUID().replace(/-/g, '')}`;
const source = { provider: 'okta' as const, tenant: 'acme', pull: { intervalMs: 200, lookbackMs: 60_000 } };

let okta: FakeOkta;
let config: EngineConfig;
let worker: TestWorker;

beforeAll(async () => {
  okta = await FakeOkta.start(TOKEN);
  config = { ...testConfig(), okta: { orgUrl: okta.url, apiToken: TOKEN } };
  worker = await TestWorker.start(config);
});

afterAll(async () => {
  if (worker) await stopDetector(worker.client, source, 'test done');
  await worker?.stop();
  await okta?.stop();
});

function push(result: 'denied' | 'approved', user = 'pat@acme.example') {
  okta.emit({
    uuid: randomUUID(),
    published: new Date().toISOString(),
    eventType: result === 'denied' ? 'user.mfa.okta_verify.deny_push' : 'user.authentication.auth_via_mfa',
    outcome: { result: result === 'denied' ? 'FAILURE' : 'SUCCESS' },
    actor: { id: '00u1', alternateId: user, type: 'User' },
    client: { ipAddress: '198.51.100.23', userAgent: { rawUserAgent: 'Okta Verify' } },
  });
}

const status = () => worker.client.workflow.getHandle(detectorId(source)).query(detectorStatusQuery);

it('detects MFA fatigue from the System Log, across a 429 and a worker restart, with no duplicate', async () => {
  await ensureDetector(worker.client, config.temporal.taskQueue, source);
  for (let i = 0; i < 3; i++) push('denied');
  await eventually(async () => (await status()).counters.received >= 3, 'the first pushes pulled');

  okta.throttle = { times: 1, resetInSeconds: 2 };
  await worker.stop();
  for (let i = 0; i < 2; i++) push('denied');
  push('approved');
  worker = await TestWorker.start(config);

  const s = await eventually(async () => {
    const st = await status();
    return st.recentAlerts.some((a) => a.rule === 'mfa-fatigue-accepted' && a.routed) ? st : undefined;
  }, 'the MFA fatigue alert');
  expect(s.recentAlerts.map((a) => [a.rule, a.severity])).toEqual([
    ['mfa-fatigue', 'high'],
    ['mfa-fatigue-accepted', 'critical'],
  ]);
  // The worker has the Okta connector: the alert opens an incident (containment on Okta is
  // tested against a whole fake org in okta-containment.e2e).
  expect(s.recentAlerts[1].routed).toMatchObject({ action: 'opened' });
  expect(s.counters).toMatchObject({ received: 6, duplicates: 0 });

  // The 429 was honoured: the next request waited for the rate-limit window to reset.
  const throttled = okta.requests.findIndex((r) => r.status === 429);
  expect(throttled).toBeGreaterThanOrEqual(0);
  expect(okta.requests[throttled + 1].at - okta.requests[throttled].at).toBeGreaterThanOrEqual(1000);
  // Every request after the first followed Okta's next link.
  expect(
    okta.requests
      .filter((r) => r.status === 200)
      .slice(1)
      .every((r) => r.url.includes('after=')),
  ).toBe(true);

  const history = await decodedHistoryText(worker.client, detectorId(source));
  expect(history).toContain('pat@acme.example'); // payloads are decoded: a leak would show
  expect(history).not.toContain(TOKEN);
});
