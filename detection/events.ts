/**
 * One normalized identity event model for every provider, aligned with OCSF classes:
 * Authentication (3002), Account Change (3001), User Access Management (3005) for privileges.
 * Pure types: detection rules read these and nothing vendor-specific.
 */

export const EVENT_PROVIDERS = [
  'keycloak',
  'okta',
  'entra',
  'auth0',
  'google',
  'duo',
  'onelogin',
  'm365',
  'lab',
] as const;
export type EventProvider = (typeof EVENT_PROVIDERS)[number];

export type Outcome = 'success' | 'failure' | 'unknown';

export interface Party {
  id?: string;
  /** Username, e-mail or UPN as the provider shows it. */
  name?: string;
  type?: 'user' | 'service' | 'admin' | 'system' | 'unknown';
}

/** How bad the vendor judged what happened, when it says so (Entra risk level, Okta risk, Duo fraud). */
export type RiskLevel = 'none' | 'low' | 'medium' | 'high' | 'critical';

/** Networks that hide who is behind them: a sign-in from one is worth a look on its own. */
export type Anonymizer = 'tor' | 'vpn' | 'proxy' | 'hosting';

export interface Geo {
  country?: string;
  city?: string;
  lat?: number;
  lon?: number;
}

interface EventBase {
  /** The vendor's event id; a hash of the raw record when the vendor has none. */
  id: string;
  provider: EventProvider;
  /** Realm, org, tenant or customer id. */
  tenant?: string;
  /** ISO-8601, UTC. */
  time: string;
  /** `received` when the record carried no usable time and the receive time stands in for it. */
  timeSource: 'event' | 'received';
  /** The vendor's own event type, e.g. LOGIN_ERROR, user.session.start, SignInLogs. */
  vendorType: string;
  outcome: Outcome;
  reason?: string;
  /** Who acted. For authentication this is the user logging in. */
  actor?: Party;
  /** Whom it was done to: the user whose account changed, the grantee of a role. */
  target?: Party;
  sourceIp?: string;
  userAgent?: string;
  geo?: Geo;
  /**
   * The source IP's autonomous system (from the offline ASN table when the vendor gives none) and,
   * when the vendor or the offline table says so, the anonymizing network it belongs to.
   */
  network?: { asn?: number; org?: string; anonymizer?: Anonymizer };
  /** The vendor's own risk verdict on this event (level, state, detail), passed through. */
  risk?: { level: RiskLevel; state?: string; detail?: string };
  /**
   * The protocol or flow, when it matters for detection: `device-code` and `legacy` (basic auth,
   * ROPC) are phishable or bypass MFA.
   */
  flow?: 'device-code' | 'legacy' | 'ropc' | 'saml' | 'oidc' | 'other';
  /** Scopes or permissions granted (OAuth consent, app grants). */
  scopes?: string[];
  sessionId?: string;
  /** Client, app or service the event concerns. */
  client?: string;
  /** SHA-256 of the raw record as received: the raw event is kept by reference, never copied around. */
  rawRef: string;
}

export type MfaResult = 'approved' | 'denied' | 'timeout' | 'challenged';

export interface AuthenticationEvent extends EventBase {
  category: 'authentication';
  ocsfClass: 3002;
  /**
   * `token-use`: a token presented to the provider (userinfo, introspection). `token-reuse`: the
   * vendor saw a token or session used again where it should not be (refresh-token reuse, a session
   * roaming to another client).
   */
  activity:
    'logon' | 'logoff' | 'token-refresh' | 'token-exchange' | 'token-use' | 'token-reuse' | 'mfa' | 'other';
  factor?: string;
  mfaResult?: MfaResult;
  /** The failure was the account being locked out (Entra 50053, Auth0 limit_wc, Duo locked_out). */
  lockedOut?: boolean;
}

export interface AccountChangeEvent extends EventBase {
  category: 'account-change';
  ocsfClass: 3001;
  activity:
    | 'create'
    | 'update'
    | 'delete'
    | 'enable'
    | 'disable'
    | 'lock'
    | 'unlock'
    | 'password-change'
    | 'password-reset'
    | 'mfa-disabled'
    /** One person acting as another (OneLogin assume user, Okta impersonation). */
    | 'impersonate'
    | 'other';
}

export interface PrivilegeChangeEvent extends EventBase {
  category: 'privilege-change';
  ocsfClass: 3005;
  activity: 'grant' | 'revoke';
  /** Role, group or permission granted or revoked. */
  privilege?: string;
}

export interface CredentialChangeEvent extends EventBase {
  category: 'credential-change';
  ocsfClass: 3001;
  activity:
    | 'factor-enrolled'
    | 'factor-removed'
    | 'api-token-created'
    | 'client-secret-changed'
    | 'idp-trust-changed'
    /** A new application, OAuth client or service principal. */
    | 'app-created'
    /** A user or admin consented to an application (`scopes` says to what). */
    | 'consent-granted'
    /** MFA bypass codes or a bypass status for a user. */
    | 'bypass-created'
    /** Someone read a stored credential (an app password revealed, a client secret viewed). */
    | 'secret-viewed';
  credentialType?: string;
}

/** A vendor's own detection or a user's report: risk signals passed through. */
export interface RiskSignalEvent extends EventBase {
  category: 'risk';
  ocsfClass: 2004;
  activity: 'detected' | 'user-reported' | 'confirmed-compromised' | 'dismissed';
}

/** Changes to the tenant's policies: MFA and attack protection weakened, sign-on rules changed. */
export interface PolicyChangeEvent extends EventBase {
  category: 'policy-change';
  ocsfClass: 3004;
  activity: 'mfa-weakened' | 'protection-disabled' | 'changed';
  /** The policy, setting or factor concerned. */
  policy?: string;
}

/** Anything the model has no better class for: kept, never dropped. */
export interface GenericIdentityEvent extends EventBase {
  category: 'other';
  ocsfClass: 0;
  activity: 'other';
}

export type IdentityEvent =
  | AuthenticationEvent
  | AccountChangeEvent
  | PrivilegeChangeEvent
  | CredentialChangeEvent
  | RiskSignalEvent
  | PolicyChangeEvent
  | GenericIdentityEvent;

export type EventCategory = IdentityEvent['category'];

const OCSF: Record<EventCategory, IdentityEvent['ocsfClass']> = {
  authentication: 3002,
  'account-change': 3001,
  'privilege-change': 3005,
  'credential-change': 3001,
  risk: 2004,
  'policy-change': 3004,
  other: 0,
};

export type Classified =
  | Pick<AuthenticationEvent, 'category' | 'activity' | 'factor' | 'mfaResult' | 'lockedOut'>
  | Pick<AccountChangeEvent, 'category' | 'activity'>
  | Pick<PrivilegeChangeEvent, 'category' | 'activity' | 'privilege'>
  | Pick<CredentialChangeEvent, 'category' | 'activity' | 'credentialType'>
  | Pick<RiskSignalEvent, 'category' | 'activity'>
  | Pick<PolicyChangeEvent, 'category' | 'activity' | 'policy'>
  | Pick<GenericIdentityEvent, 'category' | 'activity'>;

/**
 * Builds an event from the fields every provider has and its classification. Written out field by
 * field (no spread): every event gets the same shape, which keeps building and reading them fast.
 */
export function identityEvent(base: EventBase, classified: Classified): IdentityEvent {
  const c = classified as {
    factor?: string;
    mfaResult?: MfaResult;
    lockedOut?: boolean;
    privilege?: string;
    credentialType?: string;
    policy?: string;
  };
  const e = {
    id: base.id,
    provider: base.provider,
    tenant: base.tenant,
    time: base.time,
    timeSource: base.timeSource,
    vendorType: base.vendorType,
    outcome: base.outcome,
    reason: base.reason,
    actor: base.actor,
    target: base.target,
    sourceIp: base.sourceIp,
    userAgent: base.userAgent,
    geo: base.geo,
    network: base.network,
    risk: base.risk,
    flow: base.flow,
    scopes: base.scopes,
    sessionId: base.sessionId,
    client: base.client,
    rawRef: base.rawRef,
    category: classified.category,
    activity: classified.activity,
    ocsfClass: OCSF[classified.category],
  } as Record<string, unknown>;
  if (c.factor !== undefined) e.factor = c.factor;
  if (c.mfaResult !== undefined) e.mfaResult = c.mfaResult;
  if (c.lockedOut !== undefined) e.lockedOut = c.lockedOut;
  if (c.privilege !== undefined) e.privilege = c.privilege;
  if (c.credentialType !== undefined) e.credentialType = c.credentialType;
  if (c.policy !== undefined) e.policy = c.policy;
  return e as unknown as IdentityEvent;
}

export const GENERIC: Classified = { category: 'other', activity: 'other' };

/** Short constructors for the parsers' catalogs. */
export const C = {
  logon: (extra: Partial<Pick<AuthenticationEvent, 'factor' | 'lockedOut'>> = {}): Classified => ({
    category: 'authentication',
    activity: 'logon',
    ...extra,
  }),
  auth: (
    activity: AuthenticationEvent['activity'],
    extra: Partial<AuthenticationEvent> = {},
  ): Classified => ({
    category: 'authentication',
    activity,
    ...(extra.factor ? { factor: extra.factor } : {}),
    ...(extra.mfaResult ? { mfaResult: extra.mfaResult } : {}),
    ...(extra.lockedOut ? { lockedOut: true } : {}),
  }),
  mfa: (mfaResult: MfaResult, factor?: string): Classified => ({
    category: 'authentication',
    activity: 'mfa',
    mfaResult,
    ...(factor ? { factor } : {}),
  }),
  account: (activity: AccountChangeEvent['activity']): Classified => ({
    category: 'account-change',
    activity,
  }),
  grant: (privilege?: string): Classified => ({ category: 'privilege-change', activity: 'grant', privilege }),
  revoke: (privilege?: string): Classified => ({
    category: 'privilege-change',
    activity: 'revoke',
    privilege,
  }),
  credential: (activity: CredentialChangeEvent['activity'], credentialType?: string): Classified => ({
    category: 'credential-change',
    activity,
    ...(credentialType ? { credentialType } : {}),
  }),
  risk: (activity: RiskSignalEvent['activity']): Classified => ({ category: 'risk', activity }),
  policy: (activity: PolicyChangeEvent['activity'], policy?: string): Classified => ({
    category: 'policy-change',
    activity,
    ...(policy ? { policy } : {}),
  }),
};

const RISK_ORDER: RiskLevel[] = ['none', 'low', 'medium', 'high', 'critical'];

/** A vendor's risk word (`HIGH`, `medium`, `hidden`, a 0–100 score) as a level, or nothing. */
export function riskLevel(value: unknown): RiskLevel | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) {
    return value >= 90
      ? 'critical'
      : value >= 70
        ? 'high'
        : value >= 40
          ? 'medium'
          : value > 0
            ? 'low'
            : 'none';
  }
  if (typeof value !== 'string') return undefined;
  const v = value.trim().toLowerCase();
  if (/^(none|no|not ?at ?risk)$/.test(v)) return 'none';
  return RISK_ORDER.find((l) => l === v);
}

export function riskAtLeast(level: RiskLevel | undefined, min: RiskLevel): boolean {
  return level !== undefined && RISK_ORDER.indexOf(level) >= RISK_ORDER.indexOf(min);
}
