/**
 * Properties of ingest over arbitrary and mutated input (fast-check): every record is accounted for
 * (events or one rejection, never silently dropped, never a crash), every event is well-formed and
 * survives JSON (it travels in Temporal payloads), rejection reasons are short and carry no stack,
 * and garbage in a batch never costs the good records their events.
 */
import fc from 'fast-check';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { EVENT_PROVIDERS, EventProvider, IdentityEvent } from './events';
import { normalizeBatch, RecordSyntaxError, splitRecords } from './normalize';
import { VENDOR_CATALOGS } from './catalogs';
import { canonicalMillis, isoTime } from './fields';

const ctx = { receivedAt: '2026-11-29T02:14:00.000Z' };
const DATA = path.resolve(__dirname, '..', 'test', 'fixtures', 'idp-events');
const FOLDERS: Record<string, EventProvider> = {
  keycloak: 'keycloak',
  okta: 'okta',
  entra: 'entra',
  auth0: 'auth0',
  'google-workspace': 'google',
};

/** Up to 20 real JSON records per provider, as seeds for mutation. */
function seeds(): [EventProvider, Record<string, unknown>][] {
  if (!existsSync(DATA)) return [];
  const out: [EventProvider, Record<string, unknown>][] = [];
  for (const [folder, provider] of Object.entries(FOLDERS)) {
    const found: Record<string, unknown>[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const full = path.join(dir, name);
        if (statSync(full).isDirectory()) walk(full);
        else if (name.endsWith('.json') && found.length < 20) {
          const envelope = JSON.parse(readFileSync(full, 'utf8')) as { events?: { json: unknown }[] };
          for (const e of envelope.events ?? []) {
            if (found.length < 20 && e.json && typeof e.json === 'object')
              found.push(e.json as Record<string, unknown>);
          }
        } else if (name.endsWith('.log') && found.length < 20) {
          for (const r of splitRecords(readFileSync(full, 'utf8'))) {
            if (found.length < 20 && r && typeof r === 'object' && !(r instanceof RecordSyntaxError)) {
              found.push(r as Record<string, unknown>);
            }
          }
        }
      }
    };
    walk(path.join(DATA, folder));
    out.push(...found.map((r) => [provider, r] as [EventProvider, Record<string, unknown>]));
  }
  // Vendors without public samples here (Duo, OneLogin, Microsoft 365), and every vendor's catalog
  // shapes: up to 20 records built from each catalog, spread over it.
  for (const vendor of VENDOR_CATALOGS) {
    const step = Math.max(1, Math.floor(vendor.catalog.length / 20));
    for (let i = 0; i < vendor.catalog.length; i += step)
      out.push([vendor.provider, vendor.record(vendor.catalog[i])]);
  }
  // The lab records Keycloak's shapes (and MFA_PUSH, a login event with a result detail).
  const keycloak = out.filter(([p]) => p === 'keycloak').map(([, r]) => r);
  if (keycloak.length) {
    const push = { ...keycloak[0], type: 'MFA_PUSH', details: { username: 'u', result: 'denied' } };
    out.push(...[...keycloak, push].map((r) => ['lab', r] as [EventProvider, Record<string, unknown>]));
  }
  return out;
}
const SEEDS = seeds();

const provider = fc.constantFrom(...EVENT_PROVIDERS);
const OUTCOMES = new Set(['success', 'failure', 'unknown']);
const CATEGORIES = new Set([
  'authentication',
  'account-change',
  'privilege-change',
  'credential-change',
  'risk',
  'policy-change',
  'other',
]);

function assertWellFormed(e: IdentityEvent, p: EventProvider) {
  expect(e.provider).toBe(p);
  expect(typeof e.id).toBe('string');
  expect(e.id.length).toBeGreaterThan(0);
  expect(Number.isNaN(Date.parse(e.time))).toBe(false);
  expect(new Date(e.time).toISOString()).toBe(e.time);
  expect(OUTCOMES.has(e.outcome)).toBe(true);
  expect(CATEGORIES.has(e.category)).toBe(true);
  expect(e.rawRef).toMatch(/^[0-9a-f]{64}$/);
  expect(JSON.parse(JSON.stringify(e))).toEqual(e);
}

/** One record alone: events, or exactly one rejection with a short reason. */
function accountFor(p: EventProvider, record: unknown) {
  const { events, rejected } = normalizeBatch(p, [record], ctx);
  expect(events.length > 0 || rejected.length === 1).toBe(true);
  expect(events.length > 0 && rejected.length > 0).toBe(false);
  for (const r of rejected) {
    expect(r.index).toBe(0);
    expect(r.reason.length).toBeLessThan(400);
    expect(r.reason).not.toMatch(/\n\s+at /);
  }
  for (const e of events) assertWellFormed(e, p);
  return events;
}

/** A real record with fields deleted or replaced by values of any type, at any depth. */
function mutated(record: Record<string, unknown>) {
  const paths: string[][] = [];
  const collect = (v: unknown, at: string[]) => {
    if (at.length > 4 || !v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      paths.push([...at, k]);
      collect(x, [...at, k]);
    }
  };
  collect(record, []);
  if (!paths.length) return fc.constant(record);
  return fc
    .array(
      fc.tuple(fc.constantFrom(...paths), fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined })),
      {
        minLength: 1,
        maxLength: 4,
      },
    )
    .map((edits) => {
      const copy = structuredClone(record);
      for (const [p, value] of edits) {
        let node = copy as Record<string, unknown>;
        for (const key of p.slice(0, -1)) {
          const next = node[key];
          if (!next || typeof next !== 'object') return copy;
          node = next as Record<string, unknown>;
        }
        if (value === undefined) delete node[p[p.length - 1]];
        else node[p[p.length - 1]] = value;
      }
      return copy;
    });
}

describe('ingest properties', () => {
  it('accounts for any JSON value as a record, for every provider', () => {
    fc.assert(
      fc.property(provider, fc.jsonValue({ maxDepth: 4 }), (p, record) => {
        accountFor(p, record);
      }),
      { numRuns: 2000 },
    );
  });

  it('accounts for arbitrary objects shaped like vendor records', () => {
    const vendorish = fc.record(
      {
        id: fc.oneof(fc.string(), fc.integer()),
        uuid: fc.string(),
        time: fc.oneof(fc.integer(), fc.string(), fc.date({ noInvalidDate: false }).map(String)),
        published: fc.oneof(fc.string(), fc.constant('2026-02-30T25:61:00Z')),
        createdDateTime: fc.string(),
        eventType: fc.string(),
        type: fc.oneof(fc.string(), fc.constantFrom('LOGIN', 'LOGIN_ERROR', 'f', 's', 'gd_auth_succeed')),
        ipAddress: fc.oneof(fc.ipV4(), fc.ipV6(), fc.string()),
        actor: fc.oneof(fc.jsonValue(), fc.record({ alternateId: fc.string(), id: fc.string() })),
        details: fc.jsonValue(),
        events: fc.jsonValue(),
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(provider, vendorish, (p, record) => {
        accountFor(p, record);
      }),
      { numRuns: 2000 },
    );
  });

  const seeded = SEEDS.length ? it : it.skip;
  seeded('accounts for real vendor records with fields deleted or retyped', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SEEDS).chain(([p, r]) => fc.tuple(fc.constant(p), mutated(r))),
        ([p, record]) => {
          accountFor(p, record);
        },
      ),
      { numRuns: 1500 },
    );
  });

  seeded('never lets garbage in a batch cost the good records their events', () => {
    const garbage = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant(null), fc.string());
    fc.assert(
      fc.property(
        fc.constantFrom(...EVENT_PROVIDERS).chain((p) =>
          fc.tuple(
            fc.constant(p),
            fc.array(fc.constantFrom(...SEEDS.filter(([q]) => q === p).map(([, r]) => r)), {
              minLength: 1,
              maxLength: 5,
            }),
            fc.array(garbage, { maxLength: 5 }),
            fc.nat(),
          ),
        ),
        ([p, good, bad, shuffle]) => {
          const alone = good.map((r) => normalizeBatch(p, [r], ctx).events.length);
          const batch: unknown[] = [...bad];
          good.forEach((r, i) => batch.splice((shuffle + i * 7) % (batch.length + 1), 0, r));
          const { events, rejected } = normalizeBatch(p, batch, ctx);
          const goodIndexes = new Set(batch.flatMap((r, i) => (good.includes(r as never) ? [i] : [])));
          expect(rejected.filter((r) => goodIndexes.has(r.index))).toEqual([]);
          expect(events.length).toBeGreaterThanOrEqual(alone.reduce((a, b) => a + b, 0));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('splits any body into records without throwing, keeping each bad line at its index', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.jsonValue({ maxDepth: 2 }).filter((v) => v !== null && typeof v === 'object'),
            fc.string(),
          ),
          {
            maxLength: 20,
          },
        ),
        (lines) => {
          const body = lines
            .map((l) => (typeof l === 'string' ? l.replace(/[\r\n]/g, ' ') : JSON.stringify(l)))
            .join('\n');
          const records = splitRecords(body);
          if (!body.trim().startsWith('[') && !body.trim().startsWith('{')) {
            const nonEmpty = body.split('\n').filter((l) => l.trim() !== '');
            expect(records).toHaveLength(nonEmpty.length);
          }
          const { rejected } = normalizeBatch('okta', records, ctx);
          for (const r of rejected) expect(r.index).toBeLessThan(records.length);
        },
      ),
      { numRuns: 1000 },
    );
  });

  /** `YYYY-MM-DDTHH:MM:SS` with every field a little past its range too (Date rolls those over). */
  const dateTime = () => {
    const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));
    return fc
      .tuple(fc.integer({ min: 0, max: 9999 }), two(14), two(33), two(25), two(61), two(61))
      .map(([y, mo, d, h, mi, s]) => `${String(y).padStart(4, '0')}-${mo}-${d}T${h}:${mi}:${s}`);
  };

  it('reads an ISO UTC time by hand exactly as Date reads it, out-of-range fields included', () => {
    fc.assert(
      fc.property(
        dateTime(),
        fc.option(fc.stringMatching(/^[0-9]{1,9}$/), { nil: undefined }),
        (start, fraction) => {
          const text = `${start}${fraction === undefined ? '' : `.${fraction}`}Z`;
          const date = new Date(text.replace(/(\.\d{3})\d+/, '$1'));
          expect(isoTime(text)).toBe(Number.isNaN(date.getTime()) ? undefined : date.toISOString());
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('reads a canonical time to epoch milliseconds exactly as Date.parse does, and nothing else', () => {
    fc.assert(
      fc.property(dateTime(), fc.stringMatching(/^[0-9]{1,4}$/), (start, fraction) => {
        const text = `${start}.${fraction}Z`;
        const canonical = isoTime(text);
        const millis = canonicalMillis(text);
        // Only a text already canonical (in range, three fraction digits) is read; Date rolls the rest over.
        if (canonical === text) expect(millis).toBe(Date.parse(text));
        else expect(millis).toBeNaN();
        if (canonical !== undefined) expect(canonicalMillis(canonical)).toBe(Date.parse(canonical));
      }),
      { numRuns: 5000 },
    );
    expect(canonicalMillis('2026-11-29T02:14:00Z')).toBeNaN();
    expect(canonicalMillis('2026-11-29T02:14:00.000+01:00')).toBeNaN();
    expect(canonicalMillis('0050-03-01T00:00:00.000Z')).toBe(Date.parse('0050-03-01T00:00:00.000Z'));
  });
});
