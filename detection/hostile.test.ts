/**
 * Parsers on hostile field values: every string of a record replaced by 60 kB built to make a
 * backtracking pattern go quadratic (long runs of spaces, repeated keywords and quotes). Each
 * record must still be parsed or rejected; a parser whose pattern backtracks would hang here.
 */
import { VENDOR_CATALOGS } from './catalogs';
import { EventRejected } from './fields';
import { normalizeRecord } from './normalize';

const HOSTILE = [
  `${' '.repeat(60_000)}x`,
  '"enforce'.repeat(7_500),
  'reasons=a, '.repeat(5_500),
  `[${' '.repeat(60_000)}`,
  '"state":'.repeat(7_500),
  `"${'enforce '.repeat(7_500)}`,
];

function replaceStrings(v: unknown, s: string): unknown {
  if (typeof v === 'string') return s;
  if (Array.isArray(v)) return v.map((x) => replaceStrings(x, s));
  if (v && typeof v === 'object')
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, replaceStrings(x, s)]));
  return v;
}

describe.each(VENDOR_CATALOGS.map((v) => [v.provider, v] as const))('%s', (_p, vendor) => {
  // The entries whose classification reads field values (and the first, for the common path).
  const entries = vendor.catalog.filter((e, i) => i === 0 || e.when);
  it.each(HOSTILE.map((h, i) => [i, h] as const))('hostile strings #%s', (_i, hostile) => {
    for (const entry of entries) {
      const raw = replaceStrings(vendor.record(entry), hostile);
      try {
        normalizeRecord(vendor.provider, raw, { receivedAt: '2026-11-30T02:14:00.000Z' });
      } catch (err) {
        expect(err).toBeInstanceOf(EventRejected);
      }
    }
  });
});

describe('secrets in Duo credential actions', () => {
  it('keeps the description of bypass and secret-key actions out of the event', () => {
    const duo = VENDOR_CATALOGS.find((v) => v.provider === 'duo')!;
    for (const action of ['bypass_create', 'bypass_view', 'integration_skey_view']) {
      const entry = duo.catalog.find((e) => e.type === `administrator:${action}`)!;
      const raw = { ...duo.record(entry), description: '{"bypass_codes": ["123456789"], "skey": "s3cret"}' };
      const [e] = normalizeRecord('duo', raw, { receivedAt: '2026-11-30T02:14:00.000Z' });
      expect(JSON.stringify(e)).not.toMatch(/123456789|s3cret/);
    }
  });
});

describe('event types named like Object.prototype members', () => {
  const hasFunction = (v: unknown): boolean =>
    typeof v === 'function' ||
    (typeof v === 'object' && v !== null && Object.values(v).some((x) => hasFunction(x)));

  it.each(VENDOR_CATALOGS.map((v) => [v.provider, v] as const))('%s finds no table member', (_p, vendor) => {
    for (const type of ['toString', 'constructor', 'valueOf', 'hasOwnProperty', '__proto__']) {
      const raw = vendor.record({
        ...vendor.catalog[0],
        type,
        classified: { category: 'other', activity: 'other' },
      });
      let events: ReturnType<typeof normalizeRecord> = [];
      try {
        events = normalizeRecord(vendor.provider, raw, { receivedAt: '2026-11-30T02:14:00.000Z' });
      } catch (err) {
        expect(err).toBeInstanceOf(EventRejected);
      }
      for (const e of events) {
        expect([type, hasFunction(e)]).toEqual([type, false]);
        expect([undefined, 'none', 'low', 'medium', 'high', 'critical']).toContain(e.risk?.level);
      }
    }
  });
});
