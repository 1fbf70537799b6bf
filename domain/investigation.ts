/**
 * Investigation rules every provider shares, as pure functions over normalized audit records: a
 * connector reads its provider's events and state into these shapes, and the rules say what is a
 * finding and what eradication may do about it. No I/O, no clock: the window is given.
 */
import type { Finding } from './incident';

type RoleGrantFinding = Extract<Finding, { kind: 'role-grant' }>;
type FactorFinding = Extract<Finding, { kind: 'factor' }>;
type ClientFinding = Extract<Finding, { kind: 'client-used' }>;

/** The incident window in epoch ms, both ends included. */
export interface Window {
  from: number;
  to: number;
}

export const inWindow = (w: Window, t: number | undefined): t is number =>
  t !== undefined && t >= w.from && t <= w.to;

/** A role mapped to the principal, as an audit record tells it. */
export interface GrantRecord {
  time: number;
  role: string;
  /** 'realm' (the tenant), or the client that owns the role. */
  container: string;
  by: string;
}

/**
 * Roles granted to the principal inside the window and still held: the attacker's elevation.
 * `removable` says which of them eradication takes away (default: every one still held); with
 * `released: 'keep'`, grants already taken back stay on record, with no remedy.
 */
export function grantsStillHeld(
  grants: GrantRecord[],
  w: Window,
  opts: {
    held: (g: GrantRecord) => boolean;
    privileged: (g: GrantRecord) => boolean;
    removable?: (g: GrantRecord, privileged: boolean) => boolean;
    released?: 'drop' | 'keep';
  },
): RoleGrantFinding[] {
  return grants
    .filter((g) => inWindow(w, g.time) && (opts.released === 'keep' || opts.held(g)))
    .map((g) => {
      const privileged = opts.privileged(g);
      const removable = opts.held(g) && (opts.removable ? opts.removable(g, privileged) : true);
      return {
        kind: 'role-grant' as const,
        role: g.role,
        container: g.container,
        grantedAt: new Date(g.time).toISOString(),
        grantedBy: g.by,
        privileged,
        ...(removable ? { remedy: 'remove-grant' as const } : {}),
      };
    });
}

/** A second factor on the account (from before containment or now). */
export interface FactorRecord {
  id: string;
  type: string;
  label?: string;
  createdAt?: number;
}

/** Second factors enrolled inside the window (each once, wherever it was seen): remove them. */
export function factorsEnrolledSince(factors: FactorRecord[], w: Window): FactorFinding[] {
  const seen = new Set<string>();
  const out: FactorFinding[] = [];
  for (const f of factors) {
    if (seen.has(f.id)) continue;
    seen.add(f.id);
    if (f.createdAt === undefined || f.createdAt < w.from) continue;
    out.push({
      kind: 'factor',
      credentialId: f.id,
      type: f.type,
      label: f.label,
      createdAt: new Date(f.createdAt).toISOString(),
      remedy: 'remove-factor',
    });
  }
  return out;
}

/** A client the principal authenticated through in the window. */
export interface ClientUse {
  clientId: string;
  confidential: boolean;
  uses: number;
  authentication?: ClientFinding['authentication'];
  certificateSha256?: string;
}

/**
 * Confidential clients used as the principal: their credentials may be in the attacker's hands. A
 * secret is rotated; a key the provider holds the certificate of is replaced; a JWKS URL or mTLS is
 * its owner's to rotate (reported, no remedy).
 */
export function clientsUsed(clients: ClientUse[]): ClientFinding[] {
  return clients.map((c) => {
    const remedy =
      c.authentication === 'secret'
        ? ('rotate-secret' as const)
        : c.authentication === 'jwt-certificate'
          ? ('rotate-client-key' as const)
          : undefined;
    return {
      kind: 'client-used' as const,
      clientId: c.clientId,
      confidential: c.confidential,
      uses: c.uses,
      ...(c.authentication ? { authentication: c.authentication } : {}),
      ...(c.certificateSha256 ? { certificateSha256: c.certificateSha256 } : {}),
      ...(remedy ? { remedy } : {}),
    };
  });
}

/** A change the principal itself made with its rights. */
export interface PrincipalAction {
  time: string;
  operation: string;
  resource: string;
}

/** What the principal did with admin rights: persistence and further escalation. */
export function actionsAsFindings(actions: PrincipalAction[]): Finding[] {
  return actions.map((a) => ({
    kind: 'grant-by-principal' as const,
    what: [a.operation, a.resource].filter(Boolean).join(' '),
    at: a.time,
  }));
}

/** A tenant-level change, classified by the connector. */
export interface TenantChange {
  time: number;
  /** Trust (identity providers, federation) and new clients outlive a contained account. */
  lasting: boolean;
  what: string;
  by: string;
  /** Made by the principal itself (then it is among its actions already). */
  byPrincipal: boolean;
}

/** Lasting tenant changes by anyone else in the window: the attacker's way back in. */
export function lastingTenantChanges(changes: TenantChange[], w: Window): Finding[] {
  return changes
    .filter((c) => c.lasting && !c.byPrincipal && inWindow(w, c.time))
    .map((c) => ({
      kind: 'realm-change' as const,
      what: c.what,
      at: new Date(c.time).toISOString(),
      by: c.by,
    }));
}
