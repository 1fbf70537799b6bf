/**
 * Benchmark: what one push costs as it grows — the parse, normalize and per-tenant grouping that
 * POST /events does before anything reaches Temporal — for 20,000 and 80,000 lines of garbage
 * (every line rejected with its index) and of real Keycloak event lines, plus one 64 kB log line.
 * Linear cost means the 80,000 figure is about 4× the 20,000 one. Prints figures and ratios.
 *
 *   npm run bench:ingest
 */
import { normalizeBatch, splitRecords } from '../detection/normalize';
import type { IdentityEvent } from '../detection/events';
import { logPairs } from '../detection/parsers/keycloak';

function ingestCost(body: string): { ms: number; events: number; rejected: number } {
  const started = process.hrtime.bigint();
  const texts: (string | undefined)[] = [];
  const records = splitRecords(body, { textLines: true, texts });
  const batch = normalizeBatch('keycloak', records, { receivedAt: new Date().toISOString() }, texts);
  const byTenant = new Map<string, IdentityEvent[]>();
  for (const e of batch.events) {
    const group = byTenant.get(e.tenant ?? '');
    if (group) group.push(e);
    else byTenant.set(e.tenant ?? '', [e]);
  }
  return {
    ms: Number(process.hrtime.bigint() - started) / 1e6,
    events: batch.events.length,
    rejected: batch.rejected.length,
  };
}

const eventLine = (i: number) =>
  `2026-11-30 02:14:${String(i % 60).padStart(2, '0')},000 WARN  [org.keycloak.events] (task-1) type=LOGIN_ERROR, realmId=corp, clientId=app, userId=u${i}, ipAddress=198.51.100.${i % 250}, error=invalid_user_credentials, username=user${i % 5000}`;

const best = (body: string) => {
  const runs = [ingestCost(body), ingestCost(body), ingestCost(body)];
  return runs.sort((a, b) => a.ms - b.ms)[0];
};

ingestCost('x\n'.repeat(1000)); // warm-up
for (const [name, line] of [
  ['garbage', () => 'x'],
  ['keycloak event lines', eventLine],
] as const) {
  const small = best(Array.from({ length: 20_000 }, (_, i) => line(i)).join('\n'));
  const large = best(Array.from({ length: 80_000 }, (_, i) => line(i)).join('\n'));
  console.log(
    `${name}: 20,000 lines ${small.ms.toFixed(1)} ms (${small.events} events, ${small.rejected} rejected); ` +
      `80,000 lines ${large.ms.toFixed(1)} ms (${large.events} events, ${large.rejected} rejected); ratio ${(large.ms / small.ms).toFixed(2)} for 4× the lines`,
  );
}
// The shape that made the old regular expression backtrack: a value, then a long run of word
// characters with no '=' after ', '.
for (const size of [16_384, 65_536]) {
  const text = `type=x, ${'a'.repeat(size)}`;
  const started = process.hrtime.bigint();
  logPairs(text);
  console.log(
    `one ${size / 1024} kB key=value line: ${(Number(process.hrtime.bigint() - started) / 1e6).toFixed(2)} ms`,
  );
}
