/**
 * Every entry of every vendor catalog, parsed from a record of that vendor's shape: the parser
 * classifies it as the catalog says (so the coverage matrix generated from the catalogs is what
 * the parsers do), and the record is well-formed.
 */
import { VENDOR_CATALOGS } from './catalogs';
import { normalizeRecord } from './normalize';

const ctx = { receivedAt: '2026-11-30T02:14:00.000Z' };

describe.each(VENDOR_CATALOGS.map((v) => [v.provider, v] as const))('%s catalog', (_provider, vendor) => {
  const rows = vendor.catalog.map(
    (entry) => [`${entry.type}${entry.when ? ` (${entry.when})` : ''}`, entry] as const,
  );

  it.each(rows)('%s', (_name, entry) => {
    const [event] = normalizeRecord(vendor.provider, vendor.record(entry), ctx);
    expect(event.provider).toBe(vendor.provider);
    expect({ category: event.category, activity: event.activity }).toEqual({
      category: entry.classified.category,
      activity: entry.classified.activity,
    });
    if (entry.classified.category === 'authentication' && entry.classified.lockedOut)
      expect(event).toMatchObject({ lockedOut: true });
    expect(event.timeSource).toBe('event');
  });

  it('has no entry twice', () => {
    const keys = vendor.catalog.map((e) => `${e.type}|${e.when ?? ''}`);
    expect(keys.length).toBe(new Set(keys).size);
  });
});
