/** The inputs and results activities exchange with playbooks (plain data: they go into history). */
import type { EvidenceRef, Finding, Principal } from '../domain/incident';
import type { RoleGrant } from '../providers/ports';

export interface PrincipalInput {
  principal: Principal;
}

/** An identity-provider action; `since` (the incident's start) lets a retry tell its own effect apart. */
export interface ActionInput extends PrincipalInput {
  since?: string;
  /** Eradication: the findings whose remedies to apply. */
  plan?: Finding[];
  /** Reinstatement: when containment finished (resets after it count). */
  containedAt?: string;
  /** Actions whose before/after belongs in the evidence chain. */
  evidenceId?: string;
  /** Signing-key rotation: what happens to the old keys. */
  oldSigningKeys?: 'disable' | 'passive';
  /** Role grant actions: which role. */
  grant?: RoleGrant;
  /** Session actions: which session. */
  sessionId?: string;
  /** Client actions: which client. */
  clientId?: string;
}

export interface RecoveryCheckInput {
  name: string;
  incidentId: string;
  wave: number;
  principals: string[];
}

export interface InvestigateInput extends PrincipalInput, EvidenceInput {
  since: string;
  until: string;
  /** The pre-containment snapshot's object hash: factors it lists are judged too. */
  snapshotHash?: string;
  /** Token forgery suspected: the realm's active signing keys are findings too. */
  tokenForgerySuspected?: boolean;
}

/** Activities that add to an incident's evidence chain name it by `evidenceId`. */
export interface EvidenceInput {
  evidenceId: string;
}

export interface SnapshotResult {
  ref: EvidenceRef;
  counts: {
    sessions: number;
    offlineSessions: number;
    consents: number;
    credentials: number;
    loginEvents: number;
  };
  /** The account is on PROTECTED_PRINCIPALS under one of its names (login, id, e-mail). */
  protectedPrincipal?: boolean;
}

export interface VerifyInput extends PrincipalInput, EvidenceInput {
  containedAt: string;
  accountDisabled: boolean;
  /** The incident's start: the stolen password must have been replaced after it. */
  cutFrom?: string;
  suspectTokenRefs: string[];
}
