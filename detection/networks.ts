/**
 * Anonymizing networks by autonomous system number. The numbers are ours, kept short and
 * reviewed: operators whose address space is, by their own description, commercial VPN exits or
 * Tor exit relays, and the large hosting and cloud providers where a person's interactive sign-in
 * is unusual (rented servers, residential-proxy and VPN back ends). Corporate clouds that also
 * carry their owners' office traffic (Microsoft 8075, Google 15169) are left out on purpose.
 * Which address belongs to which AS comes from @ip-location-db/asn, updated on the npm registry
 * every few days: `npm update @ip-location-db/asn` refreshes the mapping; edit the lists below to
 * change which networks count. Vendors' own flags (Okta isProxy/tunnels, Entra anonymizedIPAddress,
 * Duo anonymous_ip) are used first.
 */
import type { Anonymizer } from './events';

/** Relays operated for Tor: Foundation for Applied Privacy, Stiftung Erneuerbare Freiheit, Calyx. */
const TOR = new Set([208323, 60729, 4224]);

/** VPN exit operators: M247, Datacamp/CDN77, PacketHub (NordVPN), 31173 Services (Mullvad), Clouvider, xTom. */
const VPN = new Set([9009, 60068, 212238, 136787, 147049, 207137, 39351, 62240, 3214, 9312]);

/** Rented compute: AWS, DigitalOcean, Hetzner, OVH, Vultr, Contabo, Linode/Akamai, Scaleway, Oracle, Alibaba, Tencent, … */
const HOSTING = new Set([
  16509, 14618, 14061, 24940, 16276, 20473, 51167, 40021, 63949, 12876, 31898, 45102, 37963, 132203, 8100,
  197540, 46606, 22612, 54290, 36352, 49981, 29802, 35916, 19318, 396356, 8560, 210644, 43350, 202425, 53667,
  200651,
]);

export function anonymizerOfAsn(asn: number | undefined): Anonymizer | undefined {
  if (asn === undefined) return undefined;
  if (TOR.has(asn)) return 'tor';
  if (VPN.has(asn)) return 'vpn';
  if (HOSTING.has(asn)) return 'hosting';
  return undefined;
}

/** The lists, for the coverage document. */
export const ANONYMIZER_ASNS = { tor: [...TOR], vpn: [...VPN], hosting: [...HOSTING] };
