/**
 * The messages an incident workflow answers, shared by playbooks and the API client.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type {
  Alert,
  Approval,
  Disposition,
  IncidentState,
  Phase,
  PlaybookId,
  Principal,
  RelatedPrincipal,
  RequestOrigin,
  Severity,
  SsfDeliveryReport,
} from '../domain/incident';
import type { ApproverRoute, PolicyOverrides } from '../domain/policy';

export const TASK_QUEUE_DEFAULT = 'identity-incidents';

export interface IncidentInput {
  playbook: PlaybookId;
  principal: Principal;
  /** A hash naming the principal in search attributes (which are never encrypted). */
  principalKey: string;
  severity: Severity;
  summary: string;
  openedBy: string;
  alert: Alert;
  /** SHA-256 references of sealed tokens known to be stolen (never the tokens themselves). */
  suspectTokenRefs?: string[];
  /** How far back the evidence snapshot reaches into login and admin events. */
  evidenceLookbackMs?: number;
  policy?: PolicyOverrides;
  /** The deployment's approver routing (APPROVER_ROUTES), fixed when the incident opens. */
  approverRoutes?: ApproverRoute[];
  /** Privilege escalation: the grant in question (taken from the alert's event when absent). */
  escalation?: Escalation;
  /** Session hijack: the stolen session (taken from the alert's event when absent). */
  sessionId?: string;
  /** Leaked client secret: the client (its service account is the principal). */
  clientId?: string;
  /** When the compromise is believed to have started (ISO); the investigation window opens there. */
  compromisedSince?: string;
  /** Tokens may be forged (a signing key leaked): eradication proposes rotating the realm's signing keys. */
  tokenForgerySuspected?: boolean;
  /**
   * The principal is on the deployment's protected list (PROTECTED_PRINCIPALS): nothing happens to
   * it automatically and every step needs two approvers. Set by whoever opens the incident.
   */
  protectedPrincipal?: boolean;
  /** Set by continue-as-new: the state so far, carried into the new run. */
  carried?: IncidentState;
}

export interface Escalation {
  role: string;
  /** `realm`, or the client id owning the role. */
  container: string;
  /** The account that granted it, as the identity provider names it (username or id). */
  grantedBy?: string;
  grantedAt?: string;
}

export interface DecideApprovalRequest {
  approvalId: string;
  decision: 'approve' | 'reject';
  actor: string;
  origin?: RequestOrigin;
  comment?: string;
  /** The decider's groups and roles as their token names them (approver routing). */
  groups?: string[];
}

export interface CloseIncidentRequest {
  actor: string;
  origin?: RequestOrigin;
  reason: string;
  /** Required before containment ends (a second person then approves the close). */
  disposition?: Disposition;
}

export interface AlertReceipt {
  /** False when this alert opened the incident (or was already recorded), true when it joined an open one. */
  joined: boolean;
  severity: Severity;
  phase: Phase;
}

export const incidentStateQuery = defineQuery<IncidentState>('incidentState');
/** From an SSF stream workflow: what became of a security event sent about this incident. */
export const ssfDeliverySignal = defineSignal<[SsfDeliveryReport]>('ssfDelivery');
/** Sent with update-with-start: opens the incident, or joins the open one for the same principal. */
export const raiseAlertUpdate = defineUpdate<AlertReceipt, [Alert]>('raiseAlert');
export const decideApprovalUpdate = defineUpdate<Approval, [DecideApprovalRequest]>('decideApproval');
export const closeIncidentUpdate = defineUpdate<IncidentState, [CloseIncidentRequest]>('closeIncident');

export interface AddNoteRequest {
  actor: string;
  text: string;
  origin?: RequestOrigin;
}

/** A responder's note: on the timeline and in the post-incident review. */
export const addNoteUpdate = defineUpdate<{ notes: number }, [AddNoteRequest]>('addNote');

export interface AddPrincipalRequest {
  /** Same provider and realm as the incident's principal. */
  principal: Principal;
  /** Computed by the caller (workflow code cannot hash): names the principal in search attributes. */
  principalKey: string;
  reason: string;
  actor: string;
  origin?: RequestOrigin;
}

/**
 * Proposes another account for the incident's scope. Answers once the approval is requested (or the
 * proposal is settled); the account is contained only after that approval.
 */
export const addPrincipalUpdate = defineUpdate<RelatedPrincipal, [AddPrincipalRequest]>('addPrincipal');

export interface UserAnswerRequest {
  answer: 'me' | 'not-me';
  origin?: RequestOrigin;
}

/** The user's answer to "was this you?" (from the link the API checked the token of). */
export const userAnswerUpdate = defineUpdate<{ recorded: true }, [UserAnswerRequest]>('userAnswer');

/**
 * Search attributes the Temporal UI filters incidents by. Principals appear only as a hash:
 * search attributes are never encrypted.
 */
export const searchAttributes = {
  phase: defineSearchAttributeKey('IncidentPhase', SearchAttributeType.KEYWORD),
  severity: defineSearchAttributeKey('IncidentSeverity', SearchAttributeType.KEYWORD),
  principal: defineSearchAttributeKey('IncidentPrincipal', SearchAttributeType.KEYWORD),
  playbook: defineSearchAttributeKey('IncidentPlaybook', SearchAttributeType.KEYWORD),
  pendingApprovals: defineSearchAttributeKey('PendingApprovals', SearchAttributeType.KEYWORD_LIST),
  /** When the oldest approval still pending was requested (unset when none): the approval metrics. */
  approvalsPendingSince: defineSearchAttributeKey('ApprovalsPendingSince', SearchAttributeType.DATETIME),
  /** Accounts added to the incident: alerts about them join it (client/incidents.ts). */
  relatedPrincipals: defineSearchAttributeKey('IncidentRelatedPrincipals', SearchAttributeType.KEYWORD_LIST),
} as const;

export const SEARCH_ATTRIBUTE_KEYS = Object.values(searchAttributes);
