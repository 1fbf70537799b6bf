import { createHash } from 'node:crypto';
import type { Principal } from './incident';

/**
 * Stable, non-reversible name for a principal, used in workflow ids and search attributes (which
 * Temporal never encrypts). Usernames compare case-insensitively, as identity providers do.
 */
export function principalKey(p: Principal): string {
  const canonical = [p.provider, p.realm, p.username.toLowerCase()].join('\u0000');
  return createHash('sha256').update(canonical).digest('hex').slice(0, 24);
}

/** One open incident per principal: alerts about it while it is open join this workflow. */
export function incidentIdFor(p: Principal): string {
  return `incident-${principalKey(p)}`;
}
