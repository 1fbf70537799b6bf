import { createHmac } from 'node:crypto';
import type { Principal } from './incident';

let secret: Buffer | undefined;

/**
 * The deployment's secret (PRINCIPAL_KEY_SECRET) that keys principal names: set once by the API and
 * the worker at start. Without it a name cannot be derived, so nothing silently falls back to an
 * unkeyed hash anyone could reverse from a list of usernames.
 */
export function usePrincipalKeySecret(key: Buffer): void {
  secret = key;
}

export class PrincipalKeySecretMissing extends Error {
  constructor() {
    super(
      'PrincipalKeySecretMissing: the process has no PRINCIPAL_KEY_SECRET (set it for the API and the worker)',
    );
    this.name = 'PrincipalKeySecretMissing';
  }
}

/**
 * Stable, non-reversible name for a principal, used in workflow ids and search attributes (which
 * Temporal never encrypts): an HMAC under the deployment's secret, so a list of likely usernames
 * does not reveal whose incident is whose. Usernames compare case-insensitively, as identity
 * providers do.
 */
export function principalKey(p: Principal): string {
  if (!secret) throw new PrincipalKeySecretMissing();
  const canonical = [p.provider, p.realm, p.username.toLowerCase()].join('\u0000');
  return createHmac('sha256', secret).update(canonical).digest('hex').slice(0, 24);
}

/** One open incident per principal: alerts about it while it is open join this workflow. */
export function incidentIdFor(p: Principal): string {
  return `incident-${principalKey(p)}`;
}
