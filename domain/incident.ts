/**
 * The incident model shared by playbooks, activities and the API. Types only, plus pure helpers:
 * this file is imported into Temporal's deterministic workflow sandbox.
 */

export const SEVERITIES = ['low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

export function higherSeverity(a: Severity, b: Severity): Severity {
  return severityRank(a) >= severityRank(b) ? a : b;
}

export const PHASES = [
  'triage',
  'evidence',
  'contain',
  'verify',
  'contained',
  'containment-unverified',
  'investigate',
  'eradicate',
  'recover',
  'recovered',
  'review',
  'closed',
] as const;
export type Phase = (typeof PHASES)[number];

export const PLAYBOOKS = [
  'compromised-credential',
  'privilege-escalation',
  'session-hijack',
  'mfa-fatigue',
  'leaked-client-secret',
  'signing-key-compromise',
] as const;

/** The principal of a realm-wide incident (signing-key compromise): the realm itself. */
export const REALM_SUBJECT = '(realm)';
export type PlaybookName = (typeof PLAYBOOKS)[number];
/**
 * A playbook's name: one of the engine's (PlaybookName) or one a playbook package registered
 * (domain/playbooks.ts, PLAYBOOK_PACKAGES).
 */
export type PlaybookId = PlaybookName | (string & Record<never, never>);

/** `lab`: the in-process lab identity provider (exercises, demos), only when passed to the worker explicitly. */
export const PROVIDERS = ['keycloak', 'lab', 'okta', 'entra'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

/** The identity under investigation, named the way its identity provider names it. */
export interface Principal {
  provider: ProviderName;
  realm: string;
  username: string;
}

/** A principal nothing happens to automatically; `realm: '*'` matches every realm of the provider. */
export interface ProtectedPrincipal {
  provider: string;
  realm: string;
  username: string;
}

/** Usernames compare case-insensitively, as identity providers compare them. */
export function isProtectedPrincipal(p: Principal, list: readonly ProtectedPrincipal[] = []): boolean {
  return list.some(
    (x) =>
      x.provider === p.provider &&
      (x.realm === '*' || x.realm === p.realm) &&
      x.username.toLowerCase() === p.username.toLowerCase(),
  );
}

export function principalLabel(p: Principal): string {
  return `${p.username} in ${p.provider} realm '${p.realm}'`;
}

/** Who did something: a responder (from the API) or the engine itself. */
export type Actor = string;

/** Where a person's request came from, as the API saw it (recorded with what they did). */
export interface RequestOrigin {
  /** Client address (the proxy's unless API_TRUST_PROXY is set). */
  ip: string;
  userAgent?: string;
  /** How the caller was authenticated (`slack`: a signed Slack click by a mapped person). */
  via: 'oidc' | 'dev' | 'hmac' | 'slack';
  /**
   * Who the caller is for four-eyes: `<issuer>#<subject>` (OIDC), `dev:<name>` or `source:<name>`.
   * The actor name beside it is only a label.
   */
  actorId?: string;
}

/** The identity four-eyes compares: the authenticated id, or (records made before ids) the case-folded label. */
export function personOf(actor: Actor, origin?: Pick<RequestOrigin, 'actorId'>): string {
  return origin?.actorId ?? `label:${actor.toLowerCase()}`;
}
export const ENGINE_ACTOR: Actor = 'engine';

export interface Alert {
  /** Idempotency key: the same alert delivered twice counts once. */
  id: string;
  source: string;
  severity: Severity;
  summary: string;
  /** ISO-8601 time the alert was raised. */
  raisedAt: string;
  /** Who or what reported it (detector name or responder). */
  reportedBy: Actor;
  /** Set when a person reported it through the API. */
  origin?: RequestOrigin;
  /**
   * Where a detection's evidence came from: `pulled` by the engine from the identity provider, or
   * `pushed` to the API (forgeable by whoever holds an ingest credential: never acts by itself).
   */
  evidence?: 'pulled' | 'pushed';
  /** Ids of the identity events that triggered it, when a detection rule raised it. */
  eventIds?: string[];
  /** Those events, normalized (detection/events.ts), kept with the alert as evidence. */
  events?: unknown[];
  /**
   * The username the alert is about when it is not the incident's own principal: an alert about a
   * principal added to the incident (RelatedPrincipal) is routed to it and set here.
   */
  about?: string;
}

export interface TimelineEntry {
  at: string;
  phase: Phase;
  actor: Actor;
  kind: 'phase' | 'alert' | 'action' | 'approval' | 'evidence' | 'verification' | 'note' | 'notification';
  message: string;
  /** For entries a person caused through the API: from where. */
  origin?: RequestOrigin;
}

/** Every step a playbook can ask approval for or record (approver routing names them). */
export const ACTION_NAMES = [
  'revokeSessions',
  'revokeOfflineAccess',
  'requireReauthentication',
  'disableAccount',
  'eradicate',
  'hardenRealm',
  'rotateSigningKeys',
  'addPrincipal',
  'reinstateAccount',
  'rollBackReinstatement',
  'revertGrant',
  'restoreGrant',
  'suspendAccount',
  'restoreAccount',
  'confirmIncident',
  'revokeSession',
  'escalateToAccount',
  'containWithoutAnswer',
  'rotateClientSecret',
  'revokeClientTokens',
  'rotateRealmSigningKeys',
  'confirmContainment',
  'acceptRisk',
  'closeEarly',
  'rollBack',
] as const;

/**
 * `confirmContainment`: a person confirms containment the engine may not start by itself (pushed
 * evidence, protected principal). `acceptRisk`: a person accepts reinstating accounts while
 * eradication is incomplete.
 */
export type ActionName = (typeof ACTION_NAMES)[number];

/** What one identity-provider action did. `changed: false` means the state was already as wanted. */
export interface ActionOutcome {
  action: ActionName;
  changed: boolean;
  detail: string;
  /** Some parts could not be done (each named in `detail`); the rest was. */
  incomplete?: boolean;
  /**
   * Access the action could not end: tokens issued before it stay valid until then (ISO time), as
   * the provider documents (e.g. access tokens without continuous access evaluation).
   */
  residualUntil?: string;
  /** Where the action's before-and-after went in the evidence chain (anchored by the incident). */
  evidence?: EvidenceRef;
  /**
   * Relying parties the identity provider told to end their sessions as it did (OIDC back-channel
   * logout: the clients of the ended sessions that have a back-channel logout URL).
   */
  loggedOutClients?: { clientId: string; endpoint: string; sessions: number }[];
}

/** `target`: the username acted on, when it is not the incident's own principal. */
export type ActionRecord = { target?: string } & (
  | { action: ActionName; status: 'done'; at: string; outcome: ActionOutcome }
  | { action: ActionName; status: 'failed'; at: string; error: string }
  | { action: ActionName; status: 'skipped'; at: string; reason: string }
);

/** One line on what an action record came to: its result, its error, or why it was skipped. */
export function actionDetail(a: ActionRecord): string {
  return a.status === 'done' ? a.outcome.detail : a.status === 'failed' ? a.error : a.reason;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'timed-out';

export interface ApprovalDecision {
  actor: Actor;
  origin?: RequestOrigin;
  decision: 'approve' | 'reject';
  comment?: string;
  at: string;
}

export interface Approval {
  id: string;
  action: ActionName;
  /** One line a responder reads in their inbox. */
  summary: string;
  requestedBy: Actor;
  /** The requester's identity (personOf): four-eyes compares it, not the label. */
  requestedById?: string;
  requestedAt: string;
  /**
   * People who may never decide this approval, case-folded names: the incident's principal and,
   * for a privilege escalation, the account that granted the role.
   */
  excluded?: string[];
  /** Distinct approvers needed (four-eyes excludes the requester). */
  quorum: number;
  /** Approver routing (APPROVER_ROUTES): only members of these groups decide it (absent: any approver). */
  approvers?: string[];
  deadline: string;
  escalations: number;
  /** How many escalations the policy allows before its default applies, and that default. */
  maxEscalations?: number;
  onTimeout?: 'proceed' | 'skip';
  status: ApprovalStatus;
  decisions: ApprovalDecision[];
  /** How the step was finally resolved, including the policy default on timeout. */
  resolution?:
    | 'approved'
    | 'rejected'
    | 'default-proceed'
    | 'default-skip'
    | 'auto-critical'
    | 'closed'
    /** Evidence arrived that decided the question before anyone answered. */
    | 'superseded';
}

export interface EvidenceRef {
  kind: string;
  /** SHA-256 of the stored content. */
  objectHash: string;
  /** Hash of the manifest entry that recorded it (the chain link). */
  entryHash: string;
  seq: number;
  /** S3: the versions the entry and the object were written as; reads pin them. */
  entryVersion?: string;
  objectVersion?: string;
}

export interface VerificationCheck {
  name: string;
  ok: boolean;
  detail: string;
  /** Access that outlives containment until then (ISO): verification runs again at that time. */
  residualUntil?: string;
}

/** The result of checking that containment holds, kept as evidence. */
export interface ContainmentVerification {
  verified: boolean;
  checkedAt: string;
  checks: VerificationCheck[];
}

/**
 * `failed`: the workflow itself failed or was terminated (e.g. the principal does not exist), see
 * `failure`; `cancelled`: cancelled from Temporal, not closed by a responder.
 */
export type IncidentStatus = 'open' | 'closed' | 'failed' | 'cancelled';

/** One security event sent to one SSF receiver, as its stream reports it. */
export interface SsfDeliveryReport {
  streamId: string;
  aud: string[];
  /** The event type URI. */
  event: string;
  jti: string;
  status: 'pending' | 'acknowledged' | 'failed';
  /** When the SET was made, and when the receiver acknowledged it. */
  at: string;
  acknowledgedAt?: string;
  error?: string;
}

/**
 * One downstream application's answer to a Global Token Revocation request
 * (draft-parecki-oauth-global-token-revocation): `revoked` (2xx), `unknown-subject` (404: it has
 * no such user), `refused` (another 4xx, e.g. 422 it cannot log the user out), `failed` (5xx or
 * unreachable after retries).
 */
export interface DownstreamRevocation {
  app: string;
  endpoint: string;
  /** The subject format sent (RFC 9493): `iss_sub` or `email`. */
  subject: string;
  status: 'revoked' | 'unknown-subject' | 'refused' | 'failed';
  httpStatus?: number;
  at: string;
  attempts: number;
  detail?: string;
}

/** How a person judged the incident when closing it. */
export const DISPOSITIONS = ['false-positive', 'duplicate', 'benign', 'contained'] as const;
export type Disposition = (typeof DISPOSITIONS)[number];

/** Phases in which the playbook is still acting: closing then needs a second person. */
export const EARLY_PHASES: readonly Phase[] = ['triage', 'evidence', 'contain', 'verify'];

/** How the incident was closed: by whom, judged how, what had been done, and what was put back. */
export interface Closure {
  disposition?: Disposition;
  requestedBy: Actor;
  requestedAt: string;
  reason: string;
  /** The phase it was asked in; before containment ended a second person approves (`closeEarly`). */
  phase: Phase;
  early: boolean;
  /** `closeEarly`'s approval; `refused`: the incident went on. */
  approvalId?: string;
  status: 'pending' | 'approved' | 'refused' | 'closing';
  /** Steps done when it closed, one line each. */
  done?: string[];
  /** Done steps that can be put back, and those that cannot (with what a person would do). */
  reversible?: string[];
  irreversible?: string[];
  /** The `rollBack` approval offered for the reversible steps, and how it ended. */
  rollback?: { approvalId?: string; resolution?: string; undone: string[] };
}

export interface IncidentState {
  /** The workflow id: one open incident per principal at a time. */
  incidentId: string;
  /** Names this incident's evidence chain: the workflow id plus the run chain's first run id. */
  evidenceId: string;
  playbook: PlaybookId;
  principal: Principal;
  /** How search attributes name the principal (IncidentPrincipal), for filtering in the Temporal UI. */
  principalKey: string;
  severity: Severity;
  summary: string;
  openedBy: Actor;
  openedAt: string;
  phase: Phase;
  status: IncidentStatus;
  alerts: Alert[];
  timeline: TimelineEntry[];
  actions: ActionRecord[];
  approvals: Approval[];
  evidence: EvidenceRef[];
  verification?: ContainmentVerification;
  containedAt?: string;
  /** What the investigation found (the full report is evidence, see `evidence`). */
  investigation?: InvestigationSummary;
  eradicatedAt?: string;
  recoveredAt?: string;
  /** Principals a responder added to the incident (POST /incidents/:id/principals), after approval. */
  related?: RelatedPrincipal[];
  /** Staged reinstatement: one entry per wave, in order. */
  recoveryWaves?: RecoveryWave[];
  /** MFA fatigue: the question put to the user ("was this you?") and their answer. */
  userChallenge?: UserChallenge;
  /** Responders' notes (POST /incidents/:id/notes), kept for the review. */
  notes?: { at: string; actor: Actor; text: string }[];
  closedAt?: string;
  /** How a person closed it (disposition, an early close's approval, the rollback offered). */
  closure?: Closure;
  /**
   * Security events sent to SSF receivers about this incident, by SET (latest report of each):
   * made, acknowledged (push 202, poll ack) or failed. One still `pending` is a finding.
   */
  ssfDeliveries?: SsfDeliveryReport[];
  /** Downstream applications asked to revoke the principal's tokens (GTR_APPS), by app. */
  downstreamRevocations?: DownstreamRevocation[];
  /** The severity when a person confirmed containment the engine could not start by itself. */
  confirmedSeverity?: Severity;
  /** Why the incident's workflow failed (status `failed`), as the API read it. */
  failure?: string;
  /**
   * A principal on the deployment's protected list (PROTECTED_PRINCIPALS: the engine's own
   * account, break-glass administrators): nothing happens to it automatically, and every step
   * needs two approvers.
   */
  protectedPrincipal?: boolean;
}

/**
 * Another account taken into the incident's scope: proposed by a responder (often from an
 * investigation's related-principal finding), contained only after approval.
 */
export interface RelatedPrincipal {
  principal: Principal;
  /** Search-attribute name of the principal (IncidentRelatedPrincipals): its alerts join this incident. */
  principalKey: string;
  proposedBy: Actor;
  /** The proposer's identity (personOf): they cannot approve their own proposal. */
  proposedById?: string;
  proposedAt: string;
  reason: string;
  approvalId?: string;
  status: 'proposed' | 'rejected' | 'contained' | 'containment-unverified' | 'reinstated' | 'rolled-back';
  containedAt?: string;
  /** This incident disabled the account (so recovery may re-enable it). */
  disabled?: boolean;
  verification?: ContainmentVerification;
}

export interface UserChallenge {
  askedAt: string;
  expiresAt: string;
  /** False when no channel could reach the user (responders decide instead). */
  sent: boolean;
  status: 'pending' | 'me' | 'not-me' | 'no-answer';
  answeredAt?: string;
  origin?: RequestOrigin;
}

/** One stage of recovery: its principals are reinstated together, and rolled back together. */
export interface RecoveryWave {
  wave: number;
  principals: string[];
  status: 'watching' | 'checking' | 'awaiting-approval' | 'held' | 'reinstated' | 'rolled-back' | 'skipped';
  startedAt: string;
  endedAt?: string;
  /** Application integrity checks run before reinstatement. */
  checks?: VerificationCheck[];
  detail?: string;
}

/** When the compromise is believed to have started: the investigation window opens here. */
export interface InvestigationSummary {
  since: string;
  until: string;
  findings: Finding[];
  reportHash: string;
}

/**
 * One thing the attacker may have gained, with what to do about it. Eradication acts on the
 * findings that carry a `remedy`; the others are for people to judge.
 */
export type Finding =
  | {
      kind: 'role-grant';
      role: string;
      /** Realm role, or the client that owns it. */
      container: string;
      grantedAt?: string;
      grantedBy?: string;
      privileged: boolean;
      remedy?: 'remove-grant';
    }
  | {
      kind: 'factor';
      credentialId: string;
      type: string;
      label?: string;
      createdAt?: string;
      remedy?: 'remove-factor';
    }
  | {
      kind: 'client-used';
      clientId: string;
      confidential: boolean;
      uses: number;
      /** How the client authenticates: a secret, a signed JWT with a key Keycloak holds the certificate of, a JWKS URL, mTLS. */
      authentication?: 'secret' | 'jwt-certificate' | 'jwt-jwks-url' | 'x509' | 'other';
      /** SHA-256 fingerprint of the client's certificate when found (a retry tells its own rotation by it). */
      certificateSha256?: string;
      remedy?: 'rotate-secret' | 'rotate-client-key';
    }
  | { kind: 'grant-by-principal'; what: string; at: string }
  /** A realm-level change in the window that can outlive the incident (identity providers, federation, clients). */
  | { kind: 'realm-change'; what: string; at: string; by: string }
  | { kind: 'related-principal'; username: string; via: string }
  /**
   * A realm setting that helped the attack or hides the next one. With `fix`, hardening can apply it
   * (realm-wide, so only after its own approval).
   */
  | {
      kind: 'realm-setting';
      setting: string;
      current: string;
      recommended: string;
      remedy?: 'harden-realm';
      fix?: RealmFix;
    }
  /** An active token-signing key, when token forgery is suspected: rotated only after critical approval. */
  | {
      kind: 'signing-key';
      kid: string;
      algorithm: string;
      /** The key provider (Keycloak component) holding it. */
      providerId: string;
      remedy?: 'rotate-signing-key';
    };

/** One realm change hardening makes: a realm attribute, a client flag, or a default required action. */
export type RealmFix =
  | { target: 'realm'; field: string; value: string | number | boolean }
  | { target: 'client'; clientId: string; field: 'directAccessGrantsEnabled'; value: false }
  | { target: 'required-action'; alias: string; defaultAction: true };
