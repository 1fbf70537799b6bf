/**
 * Playbook policy: which destructive steps need a human, how long to wait, and what happens when
 * nobody answers. Pure data and pure decisions, shared by playbooks and tests.
 */
import { personOf, RequestOrigin, Severity, severityRank } from './incident';

/** A duration in milliseconds (playbooks run with ms-scale values in tests and minutes in production). */
export type Millis = number;

export interface ApprovalPolicy {
  /** Steps run without asking when the incident severity is at or above this level. `never` always asks. */
  autoApproveAt: Severity | 'never';
  /** Time one approver tier gets before escalation. */
  timeoutMs: Millis;
  /** How many times to escalate (notify the next tier and wait again) before the default applies. */
  escalations: number;
  /** What happens when every tier timed out. */
  onTimeout: 'proceed' | 'skip';
  /** Distinct approvers needed; the requester never counts (four-eyes). */
  quorum: 1 | 2;
  /**
   * A step that can lock everyone out or cannot be undone (rotating a realm's signing keys,
   * disabling an administrator): two distinct approvers whatever `quorum` says.
   */
  critical?: boolean;
}

/** Approvers a step needs: its quorum, and never fewer than two for a critical step. */
export function requiredApprovers(policy: ApprovalPolicy): number {
  return policy.critical ? Math.max(2, policy.quorum) : policy.quorum;
}

/**
 * A default approval policy with one incident's override, field by field. An override can make a
 * step stricter, never looser: it cannot lower the quorum, drop `critical`, or make a critical step
 * automatic (an admin's request is not a second pair of eyes).
 */
export function mergeApproval(base: ApprovalPolicy, override?: Partial<ApprovalPolicy>): ApprovalPolicy {
  const merged = { ...base, ...override };
  merged.quorum = Math.max(base.quorum, merged.quorum) as ApprovalPolicy['quorum'];
  if (base.critical) {
    merged.critical = true;
    merged.autoApproveAt = base.autoApproveAt;
  }
  return merged;
}

/** A protected principal's step: never automatic, two approvers, whatever the policy says. */
export function protectedPolicy(policy: ApprovalPolicy): ApprovalPolicy {
  return { ...policy, autoApproveAt: 'never', onTimeout: 'skip', quorum: 2, critical: true };
}

export interface CompromisedCredentialPolicy {
  disableAccount: ApprovalPolicy;
  /** Applying the investigation's remedies: removing grants and factors, rotating client secrets. */
  eradicate: ApprovalPolicy;
  /** Realm-wide hardening the investigation proposes (brute-force protection, events, …). */
  hardenRealm: ApprovalPolicy;
  /**
   * Rotating the realm's signing keys when token forgery is suspected: logs everyone out, so it is
   * critical (two approvers) and never automatic.
   */
  rotateSigningKeys: ApprovalPolicy;
  /** After rotation the old signing keys are `disabled` (tokens they signed are refused) or kept `passive`. */
  oldSigningKeys: 'disable' | 'passive';
  /** Taking a related account into the incident (containing and disabling it). */
  addPrincipal: ApprovalPolicy;
  /** Re-enabling the account after a quiet watch window. Never automatic by default. */
  reinstate: ApprovalPolicy;
  /**
   * How long a recovery wave's principals must stay quiet (no new detection) before reinstatement
   * is asked for, and again after it before the next wave starts (a detection then rolls it back).
   */
  recoveryWatchMs: Millis;
  /** Principals reinstated per recovery wave, in the order they joined the incident. */
  recoveryWaveSize: number;
  /**
   * Application integrity checks every wave must pass before its approval is asked for: names of
   * HTTP checks configured on the worker (RECOVERY_CHECKS), never URLs from a request.
   */
  recoveryChecks: string[];
  /** How far before the incident the investigation looks when no earlier sign is known. */
  investigationLookbackMs: Millis;
  /** How long a contained incident stays open for investigation (and to join new alerts) before it closes itself. */
  holdOpenMs: Millis;
}

export const DEFAULT_COMPROMISED_CREDENTIAL_POLICY: CompromisedCredentialPolicy = {
  disableAccount: {
    autoApproveAt: 'critical',
    timeoutMs: 15 * 60_000,
    escalations: 1,
    onTimeout: 'proceed',
    quorum: 1,
  },
  eradicate: {
    autoApproveAt: 'critical',
    timeoutMs: 30 * 60_000,
    escalations: 1,
    onTimeout: 'skip',
    quorum: 1,
  },
  hardenRealm: {
    autoApproveAt: 'never',
    timeoutMs: 24 * 60 * 60_000,
    escalations: 1,
    onTimeout: 'skip',
    quorum: 1,
  },
  rotateSigningKeys: {
    autoApproveAt: 'never',
    timeoutMs: 30 * 60_000,
    escalations: 2,
    onTimeout: 'skip',
    quorum: 2,
    critical: true,
  },
  oldSigningKeys: 'disable',
  addPrincipal: {
    autoApproveAt: 'never',
    timeoutMs: 30 * 60_000,
    escalations: 1,
    onTimeout: 'skip',
    quorum: 1,
  },
  reinstate: {
    autoApproveAt: 'never',
    timeoutMs: 24 * 60 * 60_000,
    escalations: 1,
    onTimeout: 'skip',
    quorum: 1,
  },
  recoveryWatchMs: 60 * 60_000,
  recoveryWaveSize: 1,
  recoveryChecks: [],
  investigationLookbackMs: 24 * 60 * 60_000,
  holdOpenMs: 7 * 24 * 60 * 60_000,
};

/** Privilege escalation: contain first (precise and reversible), then ask whether it was authorised. */
export interface PrivilegeEscalationPolicy {
  /** Suspending the account that granted the role (it may be compromised too). */
  suspendActor: ApprovalPolicy;
  /**
   * A person confirms the grant was not authorised. Rejecting it undoes the containment (the grant
   * and the actor come back as they were); no answer keeps it (`onTimeout: proceed`).
   */
  confirm: ApprovalPolicy;
  investigationLookbackMs: Millis;
  holdOpenMs: Millis;
}

export const DEFAULT_PRIVILEGE_ESCALATION_POLICY: PrivilegeEscalationPolicy = {
  suspendActor: {
    autoApproveAt: 'critical',
    timeoutMs: 15 * 60_000,
    escalations: 1,
    onTimeout: 'proceed',
    quorum: 1,
  },
  confirm: {
    autoApproveAt: 'never',
    timeoutMs: 4 * 60 * 60_000,
    escalations: 1,
    onTimeout: 'proceed',
    quorum: 1,
  },
  investigationLookbackMs: 24 * 60 * 60_000,
  holdOpenMs: 7 * 24 * 60 * 60_000,
};

export function resolvePrivilegeEscalationPolicy(overrides: PolicyOverrides = {}): PrivilegeEscalationPolicy {
  const d = DEFAULT_PRIVILEGE_ESCALATION_POLICY;
  return {
    suspendActor: mergeApproval(d.suspendActor, overrides.suspendActor),
    confirm: mergeApproval(d.confirm, overrides.confirm),
    investigationLookbackMs: overrides.investigationLookbackMs ?? d.investigationLookbackMs,
    holdOpenMs: overrides.holdOpenMs ?? d.holdOpenMs,
  };
}

/** Session or token hijack: end the stolen session only; the whole account only on evidence. */
export interface SessionHijackPolicy {
  /**
   * Containing the whole account (every session, password and second factor, disabled). Asked for
   * while the incident watches; a new detection about the account decides it without waiting.
   * Its `timeoutMs` is the watch window.
   */
  escalate: ApprovalPolicy;
  holdOpenMs: Millis;
}

export const DEFAULT_SESSION_HIJACK_POLICY: SessionHijackPolicy = {
  escalate: { autoApproveAt: 'never', timeoutMs: 60 * 60_000, escalations: 0, onTimeout: 'skip', quorum: 1 },
  holdOpenMs: 7 * 24 * 60 * 60_000,
};

export function resolveSessionHijackPolicy(overrides: PolicyOverrides = {}): SessionHijackPolicy {
  const d = DEFAULT_SESSION_HIJACK_POLICY;
  return {
    escalate: mergeApproval(d.escalate, overrides.escalate),
    holdOpenMs: overrides.holdOpenMs ?? d.holdOpenMs,
  };
}

/** MFA fatigue: ask the user before any broad action. */
export interface MfaFatiguePolicy {
  /** How long the user has to answer "was this you?". */
  askUserMs: Millis;
  /** When the user does not answer (or cannot be reached): a responder decides whether to contain. */
  noAnswer: ApprovalPolicy;
  holdOpenMs: Millis;
}

export const DEFAULT_MFA_FATIGUE_POLICY: MfaFatiguePolicy = {
  askUserMs: 10 * 60_000,
  noAnswer: {
    autoApproveAt: 'critical',
    timeoutMs: 15 * 60_000,
    escalations: 1,
    onTimeout: 'proceed',
    quorum: 1,
  },
  holdOpenMs: 7 * 24 * 60 * 60_000,
};

export function resolveMfaFatiguePolicy(overrides: PolicyOverrides = {}): MfaFatiguePolicy {
  const d = DEFAULT_MFA_FATIGUE_POLICY;
  return {
    askUserMs: overrides.askUserMs ?? d.askUserMs,
    noAnswer: mergeApproval(d.noAnswer, overrides.noAnswer),
    holdOpenMs: overrides.holdOpenMs ?? d.holdOpenMs,
  };
}

/** Leaked client secret / compromised service account. */
export interface LeakedClientSecretPolicy {
  /** Rotating the secret breaks the legitimate application until its owner takes the new one. */
  rotateSecret: ApprovalPolicy;
  investigationLookbackMs: Millis;
  holdOpenMs: Millis;
}

export const DEFAULT_LEAKED_CLIENT_SECRET_POLICY: LeakedClientSecretPolicy = {
  rotateSecret: {
    autoApproveAt: 'high',
    timeoutMs: 15 * 60_000,
    escalations: 1,
    onTimeout: 'proceed',
    quorum: 1,
  },
  investigationLookbackMs: 7 * 24 * 60 * 60_000,
  holdOpenMs: 7 * 24 * 60 * 60_000,
};

export function resolveLeakedClientSecretPolicy(overrides: PolicyOverrides = {}): LeakedClientSecretPolicy {
  const d = DEFAULT_LEAKED_CLIENT_SECRET_POLICY;
  return {
    rotateSecret: mergeApproval(d.rotateSecret, overrides.rotateSecret),
    investigationLookbackMs: overrides.investigationLookbackMs ?? d.investigationLookbackMs,
    holdOpenMs: overrides.holdOpenMs ?? d.holdOpenMs,
  };
}

/** What one incident may override, whatever its playbook (each playbook reads its own keys). */
export interface PolicyOverrides extends CompromisedCredentialPolicyOverrides {
  suspendActor?: Partial<ApprovalPolicy>;
  confirm?: Partial<ApprovalPolicy>;
  escalate?: Partial<ApprovalPolicy>;
  askUserMs?: Millis;
  noAnswer?: Partial<ApprovalPolicy>;
  rotateSecret?: Partial<ApprovalPolicy>;
}

/** The playbook's default policy with one incident's overrides (approval policies merged field by field). */
export function resolveCompromisedCredentialPolicy(
  overrides: CompromisedCredentialPolicyOverrides = {},
): CompromisedCredentialPolicy {
  const d = DEFAULT_COMPROMISED_CREDENTIAL_POLICY;
  const merge = (k: ApprovalStep) => mergeApproval(d[k], overrides[k]);
  return {
    ...d,
    ...overrides,
    disableAccount: merge('disableAccount'),
    eradicate: merge('eradicate'),
    hardenRealm: merge('hardenRealm'),
    rotateSigningKeys: merge('rotateSigningKeys'),
    addPrincipal: merge('addPrincipal'),
    reinstate: merge('reinstate'),
  };
}

type ApprovalStep =
  'disableAccount' | 'eradicate' | 'hardenRealm' | 'rotateSigningKeys' | 'addPrincipal' | 'reinstate';

/** What one incident may override of its playbook's default policy. */
export interface CompromisedCredentialPolicyOverrides {
  disableAccount?: Partial<ApprovalPolicy>;
  eradicate?: Partial<ApprovalPolicy>;
  reinstate?: Partial<ApprovalPolicy>;
  hardenRealm?: Partial<ApprovalPolicy>;
  rotateSigningKeys?: Partial<ApprovalPolicy>;
  oldSigningKeys?: 'disable' | 'passive';
  addPrincipal?: Partial<ApprovalPolicy>;
  recoveryWatchMs?: Millis;
  recoveryWaveSize?: number;
  recoveryChecks?: string[];
  investigationLookbackMs?: Millis;
  holdOpenMs?: Millis;
}

export function isAutoApproved(policy: ApprovalPolicy, severity: Severity): boolean {
  return policy.autoApproveAt !== 'never' && severityRank(severity) >= severityRank(policy.autoApproveAt);
}

export type DecisionRefusal =
  | { code: 'ApprovalNotFound'; message: string }
  | { code: 'ApprovalAlreadyDecided'; message: string }
  | { code: 'FourEyesViolation'; message: string }
  | { code: 'InvolvedPartyRefused'; message: string }
  | { code: 'DuplicateApprover'; message: string }
  | { code: 'NotAnApprover'; message: string };

/** Someone deciding an approval: a label to show and the identity four-eyes compares. */
export interface Decider {
  actor: string;
  /** personOf(actor, origin): `<issuer>#<subject>` for a token. */
  id: string;
  /** The groups and role names the decider's token carries (approver routing compares them exactly). */
  groups?: string[];
}

type DecidableApproval = {
  id: string;
  status: string;
  requestedBy: string;
  requestedById?: string;
  excluded?: string[];
  /** Approver routing: only members of one of these groups may decide (none: any approver). */
  approvers?: string[];
  decisions: { actor: string; origin?: Pick<RequestOrigin, 'actorId'> }[];
};

/**
 * Whether `decider` may decide the approval. Returns the refusal, or undefined when allowed.
 * Used by the workflow's update validator so refused decisions never reach history. People are
 * compared by identity (issuer and subject), so one person with two token shapes is one person;
 * the people an incident is about (its principal, a grant's grantor) never decide it.
 */
export function refuseDecision(
  approval: DecidableApproval | undefined,
  approvalId: string,
  decider: Decider,
): DecisionRefusal | undefined {
  if (!approval) return { code: 'ApprovalNotFound', message: `no approval '${approvalId}' in this incident` };
  if (approval.status !== 'pending') {
    return {
      code: 'ApprovalAlreadyDecided',
      message: `approval '${approvalId}' is already ${approval.status}`,
    };
  }
  const requester = approval.requestedById ?? personOf(approval.requestedBy);
  if (decider.id === requester || (!approval.requestedById && personOf(decider.actor) === requester)) {
    return {
      code: 'FourEyesViolation',
      message: `'${decider.actor}' requested approval '${approvalId}' and cannot also approve it (four-eyes)`,
    };
  }
  const names = [
    decider.actor.toLowerCase(),
    decider.id.slice(decider.id.lastIndexOf('#') + 1).toLowerCase(),
  ];
  if (approval.excluded?.some((x) => names.includes(x.toLowerCase()))) {
    return {
      code: 'InvolvedPartyRefused',
      message: `'${decider.actor}' is a party to this incident (its principal or the grant's grantor) and cannot decide approval '${approvalId}'`,
    };
  }
  if (approval.decisions.some((d) => personOf(d.actor, d.origin) === decider.id)) {
    return {
      code: 'DuplicateApprover',
      message: `'${decider.actor}' has already decided approval '${approvalId}'`,
    };
  }
  if (approval.approvers?.length && !approval.approvers.some((g) => decider.groups?.includes(g))) {
    return {
      code: 'NotAnApprover',
      message: `approval '${approvalId}' is routed to ${approval.approvers.map((g) => `'${g}'`).join(' or ')}; '${decider.actor}' is in none of them`,
    };
  }
  return undefined;
}

/**
 * Approver routing (APPROVER_ROUTES): which groups may decide which approvals. Routes are read in
 * order and the first that matches the approval's playbook, action and the incident's severity at
 * the time of asking names the groups; an approval no route matches may be decided by any approver.
 * Group names are compared exactly with the names in the decider's token (its groups and roles
 * claims). Deployment configuration only: an incident's own policy overrides cannot reroute.
 */
export interface ApproverRoute {
  /** Playbooks the route covers (none: every playbook). */
  playbooks?: string[];
  /** Approval actions the route covers (`disableAccount`, `rotateSigningKeys`, …; none: every action). */
  actions?: string[];
  /** Severities the route covers (none: every severity). */
  severities?: Severity[];
  /** Groups whose members may decide; at least one. */
  approvers: string[];
}

export function approversFor(
  routes: readonly ApproverRoute[] | undefined,
  at: { playbook: string; action: string; severity: Severity },
): string[] | undefined {
  const route = routes?.find(
    (r) =>
      (!r.playbooks?.length || r.playbooks.includes(at.playbook)) &&
      (!r.actions?.length || r.actions.includes(at.action)) &&
      (!r.severities?.length || r.severities.includes(at.severity)),
  );
  return route ? [...route.approvers] : undefined;
}

/**
 * Whether `decider` could decide the approval now (the inbox's `canDecide`), with the reason when
 * not: the same rules the workflow's update validator applies.
 */
export function canDecide(
  approval: DecidableApproval,
  decider: Decider,
): { canDecide: true } | { canDecide: false; reason: string } {
  const refusal = refuseDecision(approval, approval.id, decider);
  return refusal ? { canDecide: false, reason: refusal.message } : { canDecide: true };
}
