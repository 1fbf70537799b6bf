/**
 * A large tenant's detection split over detectors (DETECTION_SHARDS=4) on the real Temporal server:
 * pushed events reach one principal shard each and the tenant-wide detector where they count across
 * accounts, so a spray over accounts in different shards is still one spray, its victim and a
 * guessed password are still raised, and a re-sent batch still counts once.
 */
import { Client } from '@temporalio/client';
import type { EngineConfig } from '../config/config';
import { detectorId, detectorShards, shardOf } from '../workflows/detector-api';
import { testConfig, TestApi, TestWorker } from './support/engine';

const TENANT = `shardco-${Date.now().toString(36)}`;
let config: EngineConfig;
let worker: TestWorker;
let api: TestApi;

beforeAll(async () => {
  config = { ...testConfig(), detectionShards: 4, detectionSources: [{ provider: 'okta', tenant: TENANT }] };
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
});

afterAll(async () => {
  const client: Client | undefined = worker?.client;
  for (const shard of detectorShards(4)) {
    await client?.workflow
      .getHandle(detectorId({ provider: 'okta', tenant: TENANT }, shard))
      .terminate('test done')
      .catch(() => undefined);
  }
  await api?.stop();
  await worker?.stop();
});

let seq = 0;
const okta = (user: string, ip: string, result: 'SUCCESS' | 'FAILURE', at: number) =>
  JSON.stringify({
    uuid: `shard-${TENANT}-${seq++}`,
    published: new Date(at).toISOString(),
    eventType: 'user.session.start',
    outcome: { result, reason: result === 'FAILURE' ? 'INVALID_CREDENTIALS' : undefined },
    actor: { id: user, alternateId: `${user}@shardco.example`, type: 'User' },
    client: { ipAddress: ip, userAgent: { rawUserAgent: 'Mozilla/5.0' } },
    debugContext: { debugData: { orgId: TENANT } },
  });

async function push(body: string) {
  const res = await fetch(`${api.url}/events?provider=okta`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-ndjson', 'x-actor': 'siem-forwarder' },
    body,
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (await res.json()) as any };
}

it('a spray over accounts in different shards, its victim and a guessed password are raised; a re-send counts once', async () => {
  const t0 = Date.now() - 5 * 60_000;
  const sprayer = '203.0.113.77';
  const lines = [
    ...Array.from({ length: 12 }, (_, i) => okta(`sprayed${i}`, sprayer, 'FAILURE', t0 + i * 1000)),
    okta('sprayed5', sprayer, 'SUCCESS', t0 + 20_000),
    ...Array.from({ length: 10 }, (_, i) =>
      okta('guessed', '198.51.100.23', 'FAILURE', t0 + 30_000 + i * 500),
    ),
    okta('guessed', '198.51.100.23', 'SUCCESS', t0 + 40_000),
  ];
  const body = lines.join('\n');
  const first = await push(body);
  expect(first.status).toBe(200);
  expect(first.body).toMatchObject({
    received: lines.length,
    accepted: lines.length,
    duplicates: 0,
    rejected: [],
  });
  const raised = first.body.alerts.map((a: { rule: string; principal?: { username: string } }) =>
    [a.rule, a.principal?.username ?? 'ip'].join(' '),
  );
  expect(raised).toEqual(
    expect.arrayContaining([
      'password-spray ip',
      'password-spray sprayed5@shardco.example',
      'failed-login-burst guessed@shardco.example',
      'credential-compromise-after-burst guessed@shardco.example',
    ]),
  );
  // The twelve accounts were spread: no principal shard saw the ten a spray needs.
  const perShard = new Map<number, number>();
  for (let i = 0; i < 12; i++) {
    const shard = shardOf(`okta|${TENANT}|sprayed${i}@shardco.example`, 4);
    perShard.set(shard, (perShard.get(shard) ?? 0) + 1);
  }
  expect(Math.max(...perShard.values())).toBeLessThan(10);
  // One tenant-wide detector and four principal shards run, nothing else for this tenant.
  const running: string[] = [];
  for await (const wf of worker.client.workflow.list({
    query: `WorkflowType = 'detector' AND ExecutionStatus = 'Running' AND TaskQueue = '${config.temporal.taskQueue}'`,
  }))
    running.push(wf.workflowId);
  expect(running.sort()).toEqual(
    detectorShards(4)
      .map((s) => detectorId({ provider: 'okta', tenant: TENANT }, s))
      .sort(),
  );

  const again = await push(body);
  expect(again.body).toMatchObject({ accepted: 0, duplicates: lines.length, alerts: [] });
  const alerts = await api.call('GET', '/alerts?rule=password-spray');
  expect(alerts.body.alerts.length).toBeGreaterThanOrEqual(2);
});
