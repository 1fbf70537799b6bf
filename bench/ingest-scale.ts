/**
 * Benchmark: ingest at scale, end to end. Okta System Log records of a 100,000-user tenant (with a
 * spray and a guessed password planted) pushed as HMAC-signed NDJSON batches to POST /events, through
 * normalization, GeoIP and the detector workflows on a real Temporal server, for 1, 4 and 16 shards
 * (DETECTION_SHARDS). For each: the sustained rate as fast as the pushers go, then a paced burst at
 * a fixed rate (does it keep up, and how long does a push wait), beside the in-process detection
 * rate of one detector over the same records. Prints figures and ratios; asserts nothing.
 * Uses the running Temporal server when TEMPORAL_ADDRESS is set, else starts one.
 *
 *   npm run bench:ingest-scale -- [events=40000] [shards=1,4,16] [batch=500] [pushers=4] [paced events/s=1000] [paced s=20]
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Connection } from '@temporalio/client';
import { randomBytes } from 'node:crypto';
import { connectClient } from '../client/connect';
import type { EngineConfig } from '../config/config';
import { createApp } from '../api/app';
import { signIngest } from '../api/auth/signed-ingest';
import { normalizeRecord } from '../detection/normalize';
import { Detector } from '../detection/rules';
import { GeoIp } from '../detection/geoip';
import { LogNotifier } from '../activities/notifier';
import { ensureSearchAttributes } from '../worker/search-attributes';
import { createWorker } from '../worker/worker';
import { detectorId, detectorShards, detectorStatusQuery } from '../workflows/detector-api';
import { benchServers } from './servers';

const TOTAL = Number(process.argv[2] ?? 40_000);
const SHARDS = (process.argv[3] ?? '1,4,16').split(',').map(Number);
const BATCH = Number(process.argv[4] ?? 500);
const PUSHERS = Number(process.argv[5] ?? 4);
const PACED_RATE = Number(process.argv[6] ?? 1000);
const PACED_S = Number(process.argv[7] ?? 20);
const USERS = 100_000;
const OCTETS = [23, 31, 45, 62, 81, 91, 104, 151, 176, 185, 193, 212];

/** One Okta sign-in record; users spread over the tenant, each from an address of their own. */
function record(
  tenant: string,
  i: number,
  t: number,
  over: { user?: number; ip?: string; fail?: boolean } = {},
) {
  const u = over.user ?? (i * 7919) % USERS;
  const ip = over.ip ?? `${OCTETS[u % OCTETS.length]}.${(u >> 8) & 255}.${u & 255}.${(u * 13) & 255}`;
  const fail = over.fail ?? i % 7 === 0;
  return JSON.stringify({
    uuid: `${tenant}-${i}`,
    published: new Date(t).toISOString(),
    eventType: 'user.session.start',
    displayMessage: 'User login to Okta',
    severity: fail ? 'WARN' : 'INFO',
    outcome: fail ? { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' } : { result: 'SUCCESS' },
    actor: { id: `00u${u}`, type: 'User', alternateId: `user${u}@big.example`, displayName: `User ${u}` },
    client: {
      ipAddress: ip,
      userAgent: {
        rawUserAgent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)',
        os: 'Windows',
        browser: 'CHROME',
      },
      geographicalContext: { country: 'Norway', city: 'Oslo' },
    },
    authenticationContext: { externalSessionId: `sess-${u}` },
    debugContext: { debugData: { orgId: tenant, requestUri: '/api/v1/authn' } },
  });
}

/** `count` records from `from`, with a spray (12 accounts, one address) and a guessed password planted. */
function records(tenant: string, from: number, count: number, t0: number): string[] {
  const lines: string[] = [];
  for (let i = from; i < from + count; i++) lines.push(record(tenant, i, t0 + i * 5));
  if (from === 0 && count > 200) {
    for (let k = 0; k < 12; k++)
      lines[50 + k * 3] = record(tenant, 50 + k * 3, t0 + (50 + k * 3) * 5, {
        user: 90_000 + k,
        ip: '203.0.113.66',
        fail: true,
      });
    for (let k = 0; k < 10; k++)
      lines[100 + k] = record(tenant, 100 + k, t0 + (100 + k) * 5, {
        user: 77_777,
        ip: '198.51.100.99',
        fail: true,
      });
    lines[120] = record(tenant, 120, t0 + 120 * 5, { user: 77_777, ip: '198.51.100.99', fail: false });
  }
  return lines;
}

interface Pushed {
  ms: number;
  accepted: number;
  rules: Set<string>;
  latencies: number[];
}

async function push(
  url: string,
  secret: string,
  batches: string[][],
  pushers: number,
  paceMs?: number,
): Promise<Pushed> {
  const out: Pushed = { ms: 0, accepted: 0, rules: new Set(), latencies: [] };
  const started = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: pushers }, async () => {
      while (next < batches.length) {
        const i = next++;
        if (paceMs !== undefined) {
          const due = started + i * paceMs;
          const wait = due - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        const body = batches[i].join('\n');
        const ts = Math.floor(Date.now() / 1000);
        const sent = performance.now();
        const res = await fetch(`${url}/events?provider=okta`, {
          method: 'POST',
          headers: {
            'content-type': 'application/x-ndjson',
            'x-ir-source': 'bench-hook',
            'x-ir-timestamp': String(ts),
            'x-ir-signature': signIngest(secret, ts, body),
          },
          body,
        });
        const answer = (await res.json()) as {
          accepted?: number;
          alerts?: { rule: string }[];
          message?: string;
        };
        if (res.status !== 200)
          throw new Error(`POST /events: ${res.status} ${JSON.stringify(answer).slice(0, 300)}`);
        out.latencies.push(performance.now() - sent);
        out.accepted += answer.accepted ?? 0;
        for (const a of answer.alerts ?? []) out.rules.add(a.rule);
      }
    }),
  );
  out.ms = performance.now() - started;
  return out;
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(p * xs.length))];
const f = (n: number, d = 0) =>
  n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
const chunk = (lines: string[], size: number) =>
  Array.from({ length: Math.ceil(lines.length / size) }, (_, i) => lines.slice(i * size, (i + 1) * size));

/** The in-process floor: normalize + GeoIP + one detector's rules over the same lines, on this core. */
async function inProcess(lines: string[]): Promise<number> {
  const geo = await GeoIp.shared();
  const detector = new Detector();
  const ctx = { receivedAt: new Date().toISOString() };
  const started = performance.now();
  for (const l of lines)
    for (const e of normalizeRecord('okta', JSON.parse(l), ctx, l)) detector.process(geo.enrich(e));
  return (lines.length / (performance.now() - started)) * 1000;
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger(process.env.BENCH_LOG === 'WARN' ? 'WARN' : 'ERROR') });
  const servers = await benchServers({ keycloak: false });
  const client = await connectClient(servers.config);
  await ensureSearchAttributes(client.connection as Connection, 'default');
  const probe = records('probe', 0, TOTAL, Date.now() - 3_600_000);
  const floor = await inProcess(probe);
  console.log(
    `ingest at scale: ${f(TOTAL)} Okta sign-ins of a ${f(USERS)}-user tenant, signed NDJSON batches of ${BATCH}, ${PUSHERS} pushers`,
  );
  console.log(`  in-process (normalize + GeoIP + rules, one detector, one core): ${f(floor)} events/s`);
  for (const shards of SHARDS) {
    const tenant = `big-${shards}-${Date.now().toString(36)}`;
    const secret = randomBytes(32).toString('hex');
    const config: EngineConfig = {
      ...servers.config,
      temporal: { ...servers.config.temporal, taskQueue: `${servers.config.temporal.taskQueue}-s${shards}` },
      detectionShards: shards,
      detectionSources: [{ provider: 'okta', tenant }],
      ingestSources: [{ name: 'bench-hook', provider: 'okta', tenants: [tenant], secret }],
    };
    const worker = await createWorker(config, client, { notifier: new LogNotifier(() => undefined) });
    const running = worker.run();
    const app = await createApp(config, { logger: false });
    await app.listen(0, '127.0.0.1');
    const url = await app.getUrl();
    let peakRss = 0;
    const sample = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 200);

    const t0 = Date.now() - 30 * 60_000;
    const lines = records(tenant, 0, TOTAL, t0);
    const fast = await push(url, secret, chunk(lines, BATCH), PUSHERS);
    const rate = (fast.accepted / fast.ms) * 1000;
    const planted = ['password-spray', 'credential-compromise-after-burst'].filter((r) => fast.rules.has(r));
    console.log(
      `  ${shards} shard${shards > 1 ? 's' : ' '}: ${f(fast.accepted)} accepted in ${f(fast.ms)} ms = ${f(rate)} events/s; push p50 ${f(pct(fast.latencies, 0.5))} ms, p99 ${f(pct(fast.latencies, 0.99))} ms; planted attacks raised: ${planted.join(', ') || 'NONE'}`,
    );
    // Paced: PACED_RATE events/s for PACED_S seconds, in batches of a tenth of a second.
    const per = Math.max(1, Math.round(PACED_RATE / 10));
    const pacedLines = records(tenant, TOTAL, PACED_RATE * PACED_S, Date.now() - 10 * 60_000);
    const paced = await push(url, secret, chunk(pacedLines, per), 16, 100);
    const achieved = (paced.accepted / paced.ms) * 1000;
    console.log(
      `     paced ${f(PACED_RATE)} events/s for ${PACED_S} s: achieved ${f(achieved)} events/s, push p50 ${f(pct(paced.latencies, 0.5))} ms, p99 ${f(pct(paced.latencies, 0.99))} ms, max ${f(Math.max(...paced.latencies))} ms; peak RSS (worker + API) ${f(peakRss / 2 ** 20)} MB`,
    );
    // Whether any detector's state outgrew what a run may carry (its oldest memories forgotten).
    const trims: number[] = [];
    let sizes: number[] = [];
    for (const shard of detectorShards(shards)) {
      const status = await client.workflow
        .getHandle(detectorId({ provider: 'okta', tenant }, shard))
        .query(detectorStatusQuery);
      trims.push(status.counters.stateTrims ?? 0);
      sizes = [...sizes, status.counters.received];
    }
    console.log(
      `     events per detector${shards > 1 ? ' (tenant-wide first, then the shards)' : ''}: ${sizes.map((n) => f(n)).join(' / ')}; runs whose state was trimmed (over the 1.5 MB a run carries): ${trims.join(' / ')}`,
    );
    console.log(`ingest ratio (engine/in-process), ${shards} shard(s): ${(rate / floor).toFixed(2)}`);
    console.log(`paced ratio (achieved/offered), ${shards} shard(s): ${(achieved / PACED_RATE).toFixed(2)}`);
    clearInterval(sample);
    await app.close();
    for (const shard of detectorShards(shards))
      await client.workflow
        .getHandle(detectorId({ provider: 'okta', tenant }, shard))
        .terminate('bench done')
        .catch(() => undefined);
    worker.shutdown();
    await running;
  }
  await client.connection.close();
  await servers.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
