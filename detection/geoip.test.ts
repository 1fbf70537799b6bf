import { identityEvent, IdentityEvent } from './events';
import * as fc from 'fast-check';
import { isIPv4 } from 'node:net';
import { dottedQuad, GeoIp, ipv6Number } from './geoip';

describe('offline GeoIP', () => {
  let geo: GeoIp;
  beforeAll(async () => {
    geo = await GeoIp.shared();
  });

  it('locates public IPv4 and IPv6 addresses with no network access', () => {
    expect(geo.lookup('8.8.8.8')).toMatchObject({ country: 'US', asn: 15169 });
    expect(geo.lookup('81.2.69.144')).toMatchObject({
      country: 'GB',
      lat: expect.any(Number),
      lon: expect.any(Number),
    });
    expect(geo.lookup('2001:4860:4860::8888')?.country).toMatch(/^[A-Z]{2}$/);
  });

  it('names the autonomous system of IPv6 addresses too, in any text form', () => {
    expect(geo.lookup('2001:4860:4860::8888')).toMatchObject({ asn: 15169 }); // Google
    expect(geo.lookup('2606:4700:4700::1111')).toMatchObject({ asn: 13335 }); // Cloudflare
    expect(geo.lookup('2a00:1450:4001:80b::200e')).toMatchObject({ asn: 15169 });
    expect(geo.lookup('2606:4700:4700:0:0:0:0:1111')?.asn).toBe(13335);
    expect(geo.lookup('::1')).toBeUndefined();
  });

  it('reads IPv6 text forms as the same 128-bit number', () => {
    const n = ipv6Number('2606:4700:4700::1111');
    expect(ipv6Number('2606:4700:4700:0000:0000:0000:0000:1111')).toBe(n);
    expect(ipv6Number('2606:4700:4700:0:0:0:0:1111')).toBe(n);
    expect(n).toBe(50543257694033307102031451402929180945n);
    expect(ipv6Number('::ffff:192.0.2.1')).toBe(0xffffc0000201n);
    expect(ipv6Number('::')).toBe(0n);
    expect(ipv6Number('fe80::1%eth0')).toBe((0xfe80n << 112n) | 1n);
  });

  it('answers a /24 from its cache exactly as the databases answer each of its addresses', () => {
    // White box: `find` is the uncached answer once the block cache is emptied.
    const inner = geo as unknown as { find(ip: string): unknown; blocks: Map<number, unknown> };
    let seed = 7;
    const random = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    let fromBlock = 0;
    for (let i = 0; i < 4000; i++) {
      const n = random();
      const net = `${(n >>> 24) % 223 || 1}.${(n >>> 16) & 255}.${(n >>> 8) & 255}`;
      inner.find(`${net}.${random() & 255}`);
      const other = `${net}.${random() & 255}`;
      const cached = inner.blocks.has(net.split('.').reduce((a, p) => a * 256 + Number(p), 0));
      const answer = inner.find(other);
      inner.blocks.clear();
      expect([other, answer]).toEqual([other, inner.find(other)]);
      if (cached) fromBlock++;
    }
    // Most blocks are whole networks; the rest (small networks, split AS ranges) are asked each time.
    expect(fromBlock).toBeGreaterThan(1000);
    expect(fromBlock).toBeLessThan(4000);
  });

  it('marks hosting networks, on events that share an address and on events with their own network', () => {
    const at = (sourceIp: string, extra: Partial<IdentityEvent> = {}) =>
      identityEvent(
        {
          id: sourceIp,
          provider: 'okta',
          time: '2026-11-29T02:00:00.000Z',
          timeSource: 'event',
          vendorType: 'user.session.start',
          outcome: 'success',
          sourceIp,
          rawRef: 'x',
          ...extra,
        },
        { category: 'authentication', activity: 'logon' },
      );
    const first = geo.enrich(at('5.9.10.20'));
    const second = geo.enrich(at('5.9.10.20'));
    expect(first.network).toEqual({ asn: 24940, org: 'Hetzner Online GmbH', anonymizer: 'hosting' });
    expect(second.network).toEqual(first.network);
    expect(second.geo).toMatchObject({ country: 'DE', lat: expect.any(Number) });
    // The vendor's own flag wins; a vendor network without a flag is still checked.
    expect(geo.enrich(at('5.9.10.20', { network: { anonymizer: 'vpn' } })).network).toEqual({
      asn: 24940,
      org: 'Hetzner Online GmbH',
      anonymizer: 'vpn',
    });
    expect(geo.enrich(at('8.8.8.8', { network: { asn: 14061 } })).network).toEqual({
      asn: 14061,
      anonymizer: 'hosting',
    });
    expect(geo.enrich(at('8.8.8.8')).network).toEqual({ asn: 15169, org: 'Google LLC' });
  });

  it('reads dotted quads by hand exactly as net.isIPv4 accepts them', () => {
    const octet = fc.oneof(fc.integer({ min: 0, max: 300 }).map(String), fc.stringMatching(/^[0-9]{1,4}$/));
    fc.assert(
      fc.property(
        fc.oneof(
          fc.array(octet, { minLength: 1, maxLength: 5 }).map((parts) => parts.join('.')),
          fc.stringMatching(/^[0-9. :a-f]{0,20}$/),
        ),
        (text) => {
          const n = dottedQuad(text);
          expect([text, n >= 0]).toEqual([text, isIPv4(text)]);
          if (n >= 0) expect(n).toBe(text.split('.').reduce((a, p) => a * 256 + Number(p), 0));
        },
      ),
      { numRuns: 5000 },
    );
  });

  it('says nothing about private, loopback or malformed addresses', () => {
    for (const ip of ['127.0.0.1', '10.1.2.3', 'not-an-ip', undefined])
      expect(geo.lookup(ip)).toBeUndefined();
  });

  it('fills in geo and network for an event whose vendor gave none, and keeps what the vendor said', () => {
    const base = {
      id: '1',
      provider: 'keycloak' as const,
      time: '2026-11-29T02:00:00Z',
      timeSource: 'event' as const,
      vendorType: 'LOGIN',
      outcome: 'success' as const,
      sourceIp: '8.8.8.8',
      rawRef: 'x',
    };
    const bare = geo.enrich(identityEvent(base, { category: 'authentication', activity: 'logon' }));
    expect(bare.geo).toMatchObject({ country: 'US', lat: expect.any(Number) });
    expect(bare.network).toMatchObject({ asn: 15169 });
    const vendor = geo.enrich(
      identityEvent(
        { ...base, geo: { country: 'FR', lat: 48.8, lon: 2.3 } },
        { category: 'authentication', activity: 'logon' },
      ),
    );
    expect(vendor.geo).toEqual({ country: 'FR', lat: 48.8, lon: 2.3 });
  });
});
