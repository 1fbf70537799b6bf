/**
 * One normalized identity event model for every provider, aligned with OCSF classes:
 * Authentication (3002), Account Change (3001), User Access Management (3005) for privileges.
 * Pure types: detection rules read these and nothing vendor-specific.
 */

export const EVENT_PROVIDERS = ['keycloak', 'okta', 'entra', 'auth0', 'google', 'lab'] as const;
export type EventProvider = (typeof EVENT_PROVIDERS)[number];

export type Outcome = 'success' | 'failure' | 'unknown';

export interface Party {
  id?: string;
  /** Username, e-mail or UPN as the provider shows it. */
  name?: string;
  type?: 'user' | 'service' | 'admin' | 'system' | 'unknown';
}

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
  /** The source IP's autonomous system (from the offline ASN table when the vendor gives none). */
  network?: { asn?: number; org?: string };
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
  /** `token-use`: a token presented to the provider (userinfo, introspection). */
  activity: 'logon' | 'logoff' | 'token-refresh' | 'token-exchange' | 'token-use' | 'mfa' | 'other';
  factor?: string;
  mfaResult?: MfaResult;
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
    | 'idp-trust-changed';
  credentialType?: string;
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
  | GenericIdentityEvent;

export type EventCategory = IdentityEvent['category'];

const OCSF: Record<EventCategory, IdentityEvent['ocsfClass']> = {
  authentication: 3002,
  'account-change': 3001,
  'privilege-change': 3005,
  'credential-change': 3001,
  other: 0,
};

type Classified =
  | Pick<AuthenticationEvent, 'category' | 'activity' | 'factor' | 'mfaResult'>
  | Pick<AccountChangeEvent, 'category' | 'activity'>
  | Pick<PrivilegeChangeEvent, 'category' | 'activity' | 'privilege'>
  | Pick<CredentialChangeEvent, 'category' | 'activity' | 'credentialType'>
  | Pick<GenericIdentityEvent, 'category' | 'activity'>;

/** Builds an event from the fields every provider has and its classification. */
export function identityEvent(base: EventBase, classified: Classified): IdentityEvent {
  return { ...base, ...classified, ocsfClass: OCSF[classified.category] } as IdentityEvent;
}

export const GENERIC: Classified = { category: 'other', activity: 'other' };
