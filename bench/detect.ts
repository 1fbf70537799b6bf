/**
 * Benchmark: events per second through parse + normalize + offline GeoIP + rules on one core, over a large
 * generated NDJSON of mixed vendor events (built from the shared real samples, with fresh ids,
 * users, IPs and times), beside JSON.parse alone over the same bytes. Prints figures.
 *
 *   npm run bench:detect -- [events=200000]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { EventProvider } from '../detection/events';
import { normalizeRecord, splitRecords } from '../detection/normalize';
import { Detector } from '../detection/rules';
import { GeoIp } from '../detection/geoip';

const total = Number(process.argv[2] ?? 200_000);
const DATA = path.resolve(__dirname, '..', '..', 'test', 'fixtures', 'idp-events');
const FOLDERS: [string, EventProvider][] = [
  ['okta', 'okta'],
  ['entra', 'entra'],
  ['auth0', 'auth0'],
  ['google-workspace', 'google'],
  ['keycloak', 'keycloak'],
];

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const f = path.join(dir, n);
    return statSync(f).isDirectory() ? files(f) : /\.(log|json)$/.test(n) ? [f] : [];
  });
}

/** JSON templates per provider (objects only; Keycloak text lines are left out of the NDJSON). */
export function templates(): { provider: EventProvider; record: Record<string, unknown> }[] {
  const out: { provider: EventProvider; record: Record<string, unknown> }[] = [];
  for (const [folder, provider] of FOLDERS) {
    for (const f of files(path.join(DATA, folder))) {
      const text = readFileSync(f, 'utf8');
      const recs = f.endsWith('.json')
        ? (JSON.parse(text) as { events: { json: unknown }[] }).events.map((e) => e.json)
        : splitRecords(text);
      for (const r of recs)
        if (r && typeof r === 'object' && !Array.isArray(r))
          out.push({ provider, record: r as Record<string, unknown> });
    }
  }
  return out;
}

/** First octets of public IPv4 ranges, so GeoIP lookups do real work. */
const PUBLIC_OCTETS = [23, 31, 45, 62, 81, 91, 104, 151, 176, 185, 193, 212];

/** Rewrites ids, users, IPs and times so windows and dedup see a realistic stream. */
export function vary(
  provider: EventProvider,
  rec: Record<string, unknown>,
  i: number,
  t: number,
): Record<string, unknown> {
  const u = i % 5000;
  const user = `user${u}@corp.example`;
  // Nine events in ten come from the user's usual address, one in ten from an address of its own,
  // as identity logs do (offices, homes and phones repeat; attackers and travel add new ones).
  const n = i % 10 === 9 ? i : u;
  const ip = `${PUBLIC_OCTETS[n % PUBLIC_OCTETS.length]}.${(n >> 8) & 255}.${(n * 7) & 255}.${(n * 13) & 255}`;
  const time = new Date(t).toISOString();
  const r = structuredClone(rec);
  switch (provider) {
    case 'okta':
      Object.assign(r, { uuid: `okta-${i}`, published: time });
      if (r.actor && typeof r.actor === 'object') (r.actor as Record<string, unknown>).alternateId = user;
      if (r.client && typeof r.client === 'object') (r.client as Record<string, unknown>).ipAddress = ip;
      break;
    case 'entra': {
      r.time = time;
      const p = (r.properties ?? {}) as Record<string, unknown>;
      Object.assign(p, { id: `entra-${i}`, userPrincipalName: user, ipAddress: ip });
      r.properties = p;
      break;
    }
    case 'auth0': {
      const d = (r.data ?? r) as Record<string, unknown>;
      Object.assign(d, { date: time, user_name: user, ip });
      r.log_id = `auth0-${i}`;
      break;
    }
    case 'google':
      r.id = { ...(r.id as object), time, uniqueQualifier: String(i) };
      r.actor = { email: user, profileId: String(i % 5000) };
      r.ipAddress = ip;
      break;
    case 'keycloak':
      Object.assign(r, { '@timestamp': time });
      break;
  }
  return r;
}

async function main(): Promise<void> {
  const base = templates();
  const t0 = Date.parse('2026-11-29T00:00:00Z');
  const lines: string[] = [];
  const providers: EventProvider[] = [];
  for (let i = 0; i < total; i++) {
    const { provider, record } = base[i % base.length];
    lines.push(JSON.stringify(vary(provider, record, i, t0 + i * 50)));
    providers.push(provider);
  }
  const bytes = lines.reduce((n, l) => n + l.length + 1, 0);

  // Floor: JSON.parse alone over the same lines.
  const floorStart = process.hrtime.bigint();
  let sink = 0;
  for (const l of lines) sink += (JSON.parse(l) as object) ? 1 : 0;
  const floorMs = Number(process.hrtime.bigint() - floorStart) / 1e6;

  // Full path: parse + normalize + rules (one detector, as one source's workflow runs it).
  const detector = new Detector();
  const geo = await GeoIp.shared();
  const ctx = { receivedAt: new Date(t0).toISOString() };
  let events = 0;
  let alerts = 0;
  const heapBefore = process.memoryUsage().heapUsed;
  const fullStart = process.hrtime.bigint();
  for (let i = 0; i < lines.length; i++) {
    for (const e of normalizeRecord(providers[i], JSON.parse(lines[i]), ctx, lines[i])) {
      events++;
      alerts += detector.process(geo.enrich(e)).length;
    }
  }
  const fullMs = Number(process.hrtime.bigint() - fullStart) / 1e6;
  const heapMb = (process.memoryUsage().heapUsed - heapBefore) / 1024 / 1024;

  // Where the time goes: each phase alone, over the same records (separate passes).
  const clock = () => Number(process.hrtime.bigint()) / 1e6;
  let at = clock();
  const parsed = lines.map((l) => JSON.parse(l) as unknown);
  const parseMs = clock() - at;
  at = clock();
  const normalized = parsed.flatMap((r, i) => normalizeRecord(providers[i], r, ctx, lines[i]));
  const normalizeMs = clock() - at;
  at = clock();
  const enriched = normalized.map((e) => geo.enrich(e));
  const geoMs = clock() - at;
  const second = new Detector();
  at = clock();
  for (const e of enriched) second.process(e);
  const rulesMs = clock() - at;

  const rate = (n: number, ms: number) => Math.round(n / (ms / 1000)).toLocaleString('en-US');
  const addresses = new Set(normalized.map((e) => e.sourceIp).filter(Boolean)).size;
  console.log(
    `detection benchmark: ${total.toLocaleString('en-US')} records, ${(bytes / 1024 / 1024).toFixed(1)} MB NDJSON, ${base.length} templates from 5 vendors, ${addresses.toLocaleString('en-US')} distinct source addresses`,
  );
  console.log(
    `  JSON.parse alone                 ${fullPad(floorMs)} ms   ${rate(total, floorMs)} records/s`,
  );
  console.log(
    `  parse + normalize + GeoIP + rules${fullPad(fullMs)} ms   ${rate(total, fullMs)} records/s  (${events.toLocaleString('en-US')} events, ${alerts} alerts)`,
  );
  console.log(`  time ratio (full / JSON.parse)   ${(fullMs / floorMs).toFixed(2)}x`);
  // Throughput of the full path over JSON.parse alone (issue 14's target: at least 0.5).
  console.log(`throughput ratio (full/JSON.parse): ${(floorMs / fullMs).toFixed(2)}`);
  console.log(`  detector heap growth             ${heapMb.toFixed(1)} MB (state after the run)`);
  console.log(
    `  phases alone: JSON.parse ${parseMs.toFixed(0)} ms, normalize ${normalizeMs.toFixed(0)} ms, GeoIP ${geoMs.toFixed(0)} ms, rules ${rulesMs.toFixed(0)} ms`,
  );
  if (sink < 0) console.log(sink);
}

const fullPad = (ms: number) => ms.toFixed(0).padStart(7);

if (require.main === module) void main();
