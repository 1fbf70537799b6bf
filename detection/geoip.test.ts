import { identityEvent } from './events';
import { GeoIp } from './geoip';

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
