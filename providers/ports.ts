/**
 * What the engine asks of an identity provider, as small ports (`domain/ports.ts` names them). A
 * connector implements the ports its provider can honour and leaves the others out: the compiler
 * checks what it claims, and a playbook asking for a missing port gets "not supported by
 * <provider>" recorded as a finding, never a silent skip. Every action is idempotent: running it
 * twice leaves the provider as running it once, and reports `changed: false` the second time.
 */
import { randomBytes } from 'node:crypto';
import type { ActionOutcome, Finding, Principal, ProviderName, VerificationCheck } from '../domain/incident';
import type { PortName, ProviderReport } from '../domain/ports';

/** The read-only investigation of one principal over the incident window. */
export interface InvestigationReport {
  principal: Principal;
  window: { since: string; until: string };
  generatedAt: string;
  blastRadius: {
    realmRoles: { name: string; privileged: boolean }[];
    clientRoles: { client: string; name: string; privileged: boolean }[];
    groups: string[];
    clients: { clientId: string; confidential: boolean; serviceAccount: boolean; uses: number }[];
    /** Clients the principal consented to (before containment revoked them), with the scopes granted. */
    consents: { clientId: string; scopes: string[] }[];
  };
  /** Logins, failures, refreshes and code exchanges, with address, client and session. */
  authTimeline: {
    time: string;
    type: string;
    ip?: string;
    client?: string;
    session?: string;
    error?: string;
  }[];
  /** Admin changes to the principal: who changed what, when. */
  adminTimeline: { time: string; operation: string; resource: string; by: string }[];
  /** Changes made by the principal itself (an attacker using its admin rights). */
  actionsByPrincipal: { time: string; operation: string; resource: string }[];
  findings: Finding[];
}

/** What one eradication step changed, before and after. */
export interface EradicationStep {
  finding: Finding;
  changed: boolean;
  before: string;
  after: string;
  /** How the change was proven (e.g. "the old secret is refused by the token endpoint"). */
  proof?: string;
  /** The provider refused this step for good (permissions, a conflict): `after` says why. */
  failed?: boolean;
}

export interface EradicateOptions {
  /** The incident's start: a change found newer than this was made by this incident (a retry). */
  since: string;
  /** Signing-key rotation: disable the old keys (default) or keep them passive. */
  oldSigningKeys?: 'disable' | 'passive';
}

export interface EradicationOutcome extends ActionOutcome {
  steps: EradicationStep[];
}

/** Everything about a principal that containment would destroy or change, captured first. */
export interface PrincipalSnapshot {
  capturedAt: string;
  user: { id: string; username: string; enabled: boolean; requiredActions: string[]; createdAt?: string };
  sessions: unknown[];
  offlineSessions: unknown[];
  consents: unknown[];
  /** Type, id and dates only: never secret values. */
  credentials: { id: string; type: string; createdDate?: number; userLabel?: string }[];
  roleMappings: unknown;
  groups: unknown[];
  recentLoginEvents: unknown[];
  recentAdminEvents: unknown[];
}

export interface ContainmentExpectation {
  /** When containment finished: no successful authentication may follow it. */
  containedAt: string;
  accountDisabled: boolean;
  /** The incident's start: the password in force must have been set after it (the stolen one replaced). */
  cutFrom?: string;
  /** Tokens known to be in the attacker's hands, to be proven dead (values never leave the activity). */
  suspectTokens: string[];
}

/**
 * A password no person or log ever sees (containment replaces a stolen one with it): 32 random
 * bytes, with a letter of each case, a digit and a symbol so that a password policy accepts it.
 */
export function unguessablePassword(): string {
  return `${randomBytes(32).toString('base64url')}aZ7!`;
}

type RoleGrantFinding = Extract<Finding, { kind: 'role-grant' }>;
type FactorFinding = Extract<Finding, { kind: 'factor' }>;
type ClientFinding = Extract<Finding, { kind: 'client-used' }>;
type SettingFinding = Extract<Finding, { kind: 'realm-setting' }>;
export type SigningKeyFinding = Extract<Finding, { kind: 'signing-key' }>;

/**
 * One account as the provider knows it: its stable id, the login the engine names it by (incident
 * ids are keyed by it), and every other name an event may carry for it (id, email, UPN).
 */
export interface AccountIdentity {
  id: string;
  username: string;
  aliases: string[];
}

/** `audit-source`: what happened to and by a principal, read-only. */
export interface AuditSource {
  /**
   * The account `principal` names, by any of its names (login, id, email; exact, case-insensitive
   * where the provider is), or undefined when no single account answers to it.
   */
  identify(principal: Principal): Promise<AccountIdentity | undefined>;
  /** Everything about a principal that containment would destroy or change, captured first. */
  snapshot(principal: Principal, lookbackMs: number): Promise<PrincipalSnapshot>;
  /** Blast radius, auth and admin timelines, grants, persistence, from `window.since` on. */
  investigate(
    principal: Principal,
    window: { since: string; until: string },
    preIncident?: PrincipalSnapshot,
    opts?: { tokenForgerySuspected?: boolean },
  ): Promise<InvestigationReport>;
}

/** `account-containment`: the account itself, and proof that containment holds. */
export interface AccountContainment {
  /**
   * Makes the stolen password useless (replaced by one nobody knows) and requires a new password and
   * second factor at next login; removes second factors. Never leaves the old password working with
   * a self-service step behind it. With `since`, a retry whose effect is in place changes nothing.
   */
  requireReauthentication(principal: Principal, opts?: { since?: string }): Promise<ActionOutcome>;
  disableAccount(principal: Principal): Promise<ActionOutcome>;
  /** Re-enables the account as it was (compensation), demanding nothing at next login. */
  enableAccount(principal: Principal): Promise<ActionOutcome>;
  /**
   * Re-enables the account, only if the user must still reset the password and enrol MFA again at
   * next login (or already did, after `containedAt`). Refuses otherwise.
   */
  reinstate(principal: Principal, opts: { containedAt: string }): Promise<ActionOutcome>;
  /**
   * Read-only: is the account enabled, how many sessions, and (with `grant`) is that role mapped.
   * With `session`, a provider that cannot list a user's sessions may answer for that one only
   * (`sessionIds` holds it while it lives, `sessions` counts what it knows).
   */
  inspect(principal: Principal, grant?: RoleGrant, session?: string): Promise<AccessState>;
  /** Read-only: every way back in checked (sessions, password, factors, tokens, logins since). */
  verifyContainment(principal: Principal, expected: ContainmentExpectation): Promise<VerificationCheck[]>;
}

/** `sessions-and-tokens`: sessions, offline tokens and consents. */
export interface SessionsAndTokens {
  /**
   * Ends every session and invalidates tokens issued so far. With `since` (ISO time), a repeat
   * whose effect is already in place (no session, tokens cut at or after `since`) changes nothing.
   */
  revokeSessions(principal: Principal, opts?: { since?: string }): Promise<ActionOutcome>;
  revokeOfflineAccess(principal: Principal): Promise<ActionOutcome>;
  /** Ends one session of the principal (a stolen one), leaving its other sessions alone. */
  revokeSession(principal: Principal, sessionId: string): Promise<ActionOutcome>;
}

/** `factors`: second factors an attacker enrolled. */
export interface Factors {
  removeFactor(principal: Principal, factor: FactorFinding): Promise<EradicationStep>;
}

/** `roles-and-grants`: role mappings, reverted and restored. */
export interface RolesAndGrants {
  /** Removes one role mapping; `changed: true` means it was there (compensation restores it). */
  revokeRole(principal: Principal, grant: RoleGrant): Promise<ActionOutcome>;
  /** Maps the role again (compensation). */
  grantRole(principal: Principal, grant: RoleGrant): Promise<ActionOutcome>;
  /** Eradication of a grant the investigation found. */
  removeGrant(principal: Principal, grant: RoleGrantFinding): Promise<EradicationStep>;
}

/** `client-credentials`: a client's secret or key, and the tokens issued to it. */
export interface ClientCredentials {
  /**
   * A client's new secret, once per incident (`since`), proven: the old one is refused. The new
   * secret is never returned: the client's owner takes it from the identity provider.
   */
  rotateSecret(
    principal: Principal,
    client: ClientFinding,
    opts: { since: string },
  ): Promise<EradicationStep>;
  /**
   * A client's new signing key (the private half dropped), once: its owner uploads their own. Only
   * where the provider holds clients' keys.
   */
  rotateKey?(principal: Principal, client: ClientFinding): Promise<EradicationStep>;
  /**
   * Invalidates every token issued to the client so far that the provider can invalidate, once per
   * incident. What it cannot (access tokens that live until they expire) is `residualUntil`.
   */
  revokeClientTokens(principal: Principal, clientId: string, opts: { since: string }): Promise<ActionOutcome>;
  /** The client as evidence: its credentials (ids and dates, never a value) and its service account. */
  describeClient(principal: Principal, clientId: string): Promise<ClientDescription>;
}

/** A client as the provider holds it: which credentials it has (never their values) and who acts as it. */
export interface ClientDescription {
  clientId: string;
  name?: string;
  /** Each secret or key: the provider's id for it, when it was made, whether it still authenticates. */
  credentials: { id: string; kind: 'secret' | 'key'; createdAt?: string; active: boolean }[];
  /**
   * The user account the client acts as (Keycloak's `service-account-<client>`), when the provider
   * has one: its sessions end with the secret. Okta and Entra ID applications have none.
   */
  serviceAccount?: string;
}

/** `signing-keys`: the tenant's token-signing keys, and tenant-wide hardening. */
export interface SigningKeys {
  /** The active token-signing keys (kid, algorithm, provider). */
  signingKeys(tenant: string): Promise<SigningKeyFinding[]>;
  /**
   * New signing keys, the old ones disabled (or passive), everyone logged out; once per incident
   * (`since`), proven by the JWKS and a token minted before.
   */
  rotateSigningKeys(
    tenant: string,
    keys: SigningKeyFinding[],
    opts: { since: string; oldKeys: 'disable' | 'passive' },
  ): Promise<EradicationStep>;
  /** One tenant setting the investigation found weak, made safe (where the provider has such settings). */
  harden?(tenant: string, setting: SettingFinding): Promise<EradicationStep>;
}

/** The ports by name: a connector fills in those its provider can honour. */
export interface Ports {
  'audit-source'?: AuditSource;
  'account-containment'?: AccountContainment;
  'sessions-and-tokens'?: SessionsAndTokens;
  factors?: Factors;
  'roles-and-grants'?: RolesAndGrants;
  'client-credentials'?: ClientCredentials;
  'signing-keys'?: SigningKeys;
}

/** Every port name has its interface, and nothing else is a port. */
type Exact<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _portsNamed: Exact<keyof Ports, PortName> = true;
void _portsNamed;

export interface IdentityProvider {
  readonly name: ProviderName;
  /** The permissions doctor: which ports the engine's credentials allow in `tenant` (read-only probes). */
  checkPermissions(tenant: string): Promise<ProviderReport>;
  readonly ports: Ports;
}

/** A port the provider does not offer: a finding for the incident, never a silent skip. */
export class PortNotSupported extends Error {
  readonly type = 'PortNotSupported';
  constructor(
    readonly provider: string,
    readonly port: PortName,
    /** Part of a port the provider lacks (e.g. "client key rotation"). */
    readonly part?: string,
  ) {
    super(
      part
        ? `not supported by ${provider}: its ${port} port has no ${part}`
        : `not supported by ${provider}: the ${provider} connector has no ${port} port`,
    );
    this.name = 'PortNotSupported';
  }
}

/** The port `name` of `provider`, or PortNotSupported. */
export function portOf<N extends PortName>(provider: IdentityProvider, name: N): NonNullable<Ports[N]> {
  const port = provider.ports[name];
  if (!port) throw new PortNotSupported(provider.name, name);
  return port as NonNullable<Ports[N]>;
}

export interface AccessState {
  enabled: boolean;
  sessions: number;
  /** Ids of the principal's current sessions. */
  sessionIds: string[];
  roleMapped?: boolean;
}

/** One role: a realm role (`container: 'realm'`) or a client's role (`container`: its client id). */
export interface RoleGrant {
  role: string;
  container: string;
}

/**
 * A provider call failed. `retryable` failures (rate limits, 5xx, network) are retried by Temporal,
 * after `retryAfterMs` when the provider said how long to wait; the others need a human.
 */
export class IdentityProviderError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly retryable: boolean,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = type;
  }
}

/**
 * A provider failure's text without secrets: request bodies and headers are never included, and any
 * token-shaped value a library echoed (a JWT, an SSWS or Bearer credential) is masked.
 */
export function describeFailure(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message
    .replace(/\b(SSWS|Bearer)\s+\S+/gi, '$1 [token]')
    .replace(/(eyJ[\w-]+\.[\w-]+\.[\w-]+)/g, '[token]')
    .slice(0, 300);
}

/** Parses an HTTP Retry-After value (seconds or an HTTP date) into milliseconds. */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return Math.round(seconds * 1000);
  if (!/[a-z]/i.test(value)) return undefined; // neither delay-seconds nor an HTTP-date
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
