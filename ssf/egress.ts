/**
 * Where the engine may push what a third party asked for. An SSF receiver chooses its stream's push
 * endpoint; without a check, whoever holds a receiver credential could make the engine POST (with
 * an authorization header of their choosing) to this machine, the cluster's private network or a
 * cloud metadata service, and read what comes back in the stream's failures. So a push connects
 * only to public addresses, checked on the address it actually connects to (after DNS, so a name
 * that resolves to a private address, or changes its answer after a first check, is refused too),
 * unless the operator lists the endpoint's host in SSF_PUSH_PRIVATE_HOSTS.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { Agent, fetch as undiciFetch } from 'undici';

/** Special-purpose ranges (IANA IPv4/IPv6 special-purpose registries) a push never goes to. */
const NOT_PUBLIC = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], // this network
  ['10.0.0.0', 8], // private
  ['100.64.0.0', 10], // shared address space (carrier-grade NAT)
  ['127.0.0.0', 8], // loopback
  ['169.254.0.0', 16], // link-local, cloud metadata services
  ['172.16.0.0', 12], // private
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.0.2.0', 24], // documentation
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16], // private
  ['198.18.0.0', 15], // benchmarking
  ['198.51.100.0', 24], // documentation
  ['203.0.113.0', 24], // documentation
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, broadcast
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], // unspecified
  ['::1', 128], // loopback
  ['64:ff9b:1::', 48], // local-use IPv4/IPv6 translation
  ['100::', 64], // discard-only
  ['2001::', 23], // IETF protocol assignments
  ['2001:db8::', 32], // documentation
  ['2002::', 16], // 6to4 (embeds any IPv4 address)
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['ff00::', 8], // multicast
] as const)
  NOT_PUBLIC.addSubnet(net, prefix, 'ipv6');

/**
 * Whether an IP address is publicly routable. An IPv4-mapped IPv6 address, in either text form
 * (`::ffff:127.0.0.1`, `::ffff:7f00:1`), is checked as its IPv4 address (BlockList does that).
 */
export function isPublicAddress(address: string): boolean {
  const family = isIP(address);
  return family !== 0 && !NOT_PUBLIC.check(address, family === 4 ? 'ipv4' : 'ipv6');
}

/** A host as `SSF_PUSH_PRIVATE_HOSTS` and the checks name it: lower case, IPv6 without brackets. */
export function pushHostName(host: string): string {
  return host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
}

/** Why a push endpoint may not be used, or nothing when it may (a literal address, before any DNS). */
export function pushTargetRefusal(endpoint: string, privateHosts: readonly string[]): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'not a URL';
  }
  return refusalOf(url, privateHosts);
}

function refusalOf(url: URL, privateHosts: readonly string[]): string | undefined {
  const host = pushHostName(url.hostname);
  if (privateHosts.includes(host)) return undefined;
  if (url.protocol !== 'https:')
    return 'must be https (http only to a host listed in SSF_PUSH_PRIVATE_HOSTS)';
  if (host === 'localhost' || host.endsWith('.localhost')) return `${host} is this machine`;
  if (isIP(host) && !isPublicAddress(host))
    return `${host} is not a public address (list the host in SSF_PUSH_PRIVATE_HOSTS to allow it)`;
  return undefined;
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A dispatcher whose connections go only to public addresses: every address a name resolves to is
 * checked before the connection is made (the one it is made to is among them).
 */
function publicOnlyAgent(): Agent {
  const lookup = (hostname: string, options: { all?: boolean }, callback: LookupCallback) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = addresses.find((a) => !isPublicAddress(a.address));
      if (refused) {
        const e: NodeJS.ErrnoException = new Error(
          `${hostname} resolves to ${refused.address}, not a public address (list the host in SSF_PUSH_PRIVATE_HOSTS to allow it)`,
        );
        e.code = 'ENOTPUBLIC';
        return callback(e, []);
      }
      if (options.all) return callback(null, addresses);
      callback(null, addresses[0].address, addresses[0].family);
    });
  };
  return new Agent({ connect: { lookup: lookup as never }, connections: 16 });
}

let agent: Agent | undefined;

/**
 * `fetch` for a push a third party chose the endpoint of: refused before any connection when the
 * endpoint may not be used, and connected only to public addresses unless its host is listed.
 */
export async function pushFetch(
  endpoint: string,
  init: Parameters<typeof undiciFetch>[1],
  privateHosts: readonly string[],
): Promise<Awaited<ReturnType<typeof undiciFetch>>> {
  const url = new URL(endpoint);
  const refusal = refusalOf(url, privateHosts);
  if (refusal) throw new PushTargetRefused(`push endpoint ${url.origin}: ${refusal}`);
  const listed = privateHosts.includes(pushHostName(url.hostname));
  return undiciFetch(url, listed ? init : { ...init, dispatcher: (agent ??= publicOnlyAgent()) });
}

export class PushTargetRefused extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PushTargetRefused';
  }
}
