/**
 * The responders' inbox: every approval still waiting, across incidents. Each incident workflow
 * writes its pending approvals into its memo (encrypted like every payload), so the API lists them
 * from visibility in one call instead of querying every running workflow.
 */
import type { Approval, Phase, Severity } from './incident';
import { canDecide, type Decider } from './policy';

export const INBOX_MEMO_KEY = 'inbox';

/** One pending approval as the incident's memo carries it. */
export interface InboxMemoEntry {
  id: string;
  action: string;
  summary: string;
  requestedBy: string;
  requestedById?: string;
  requestedAt: string;
  deadline: string;
  escalations: number;
  maxEscalations?: number;
  onTimeout?: 'proceed' | 'skip';
  quorum: number;
  approvers?: string[];
  excluded?: string[];
  decisions: { actor: string; actorId?: string; decision: 'approve' | 'reject'; at: string }[];
}

/** Memo values are small: a summary is cut, comments are left in the incident's state. */
const SUMMARY_MAX = 300;

export function inboxMemo(pending: readonly Approval[]): InboxMemoEntry[] {
  return pending.map((a) => ({
    id: a.id,
    action: a.action,
    summary: a.summary.slice(0, SUMMARY_MAX),
    requestedBy: a.requestedBy,
    ...(a.requestedById ? { requestedById: a.requestedById } : {}),
    requestedAt: a.requestedAt,
    deadline: a.deadline,
    escalations: a.escalations,
    ...(a.maxEscalations !== undefined ? { maxEscalations: a.maxEscalations } : {}),
    ...(a.onTimeout ? { onTimeout: a.onTimeout } : {}),
    quorum: a.quorum,
    ...(a.approvers ? { approvers: a.approvers } : {}),
    ...(a.excluded?.length ? { excluded: a.excluded } : {}),
    decisions: a.decisions.map((d) => ({
      actor: d.actor,
      ...(d.origin?.actorId ? { actorId: d.origin.actorId } : {}),
      decision: d.decision,
      at: d.at,
    })),
  }));
}

/** One line of `GET /approvals`. */
export interface InboxEntry {
  approvalId: string;
  incidentId: string;
  playbook?: string;
  severity?: Severity;
  phase?: Phase;
  action: string;
  summary: string;
  requestedBy: string;
  requestedAt: string;
  deadline: string;
  escalation: { level: number; of?: number; onTimeout?: 'proceed' | 'skip' };
  quorum: { required: number; approved: number };
  approvers?: string[];
  decisions: { actor: string; decision: 'approve' | 'reject'; at: string }[];
  canDecide: boolean;
  /** Why the caller cannot decide it (four-eyes, routing, already decided, …). */
  whyNot?: string;
}

/**
 * The inbox lines of one incident for `decider`. `mayApprove`: whether the caller holds the
 * approver role at all (without it nothing is decidable, whatever the routing says).
 */
export function inboxEntries(
  incident: { incidentId: string; playbook?: string; severity?: Severity; phase?: Phase },
  memo: unknown,
  decider: Decider,
  mayApprove: boolean,
): InboxEntry[] {
  if (!Array.isArray(memo)) return [];
  return (memo as InboxMemoEntry[]).map((m) => {
    const verdict = mayApprove
      ? canDecide(
          {
            ...m,
            status: 'pending',
            decisions: m.decisions.map((d) => ({ actor: d.actor, origin: { actorId: d.actorId } })),
          },
          decider,
        )
      : { canDecide: false as const, reason: `'${decider.actor}' does not hold the approver role` };
    return {
      approvalId: m.id,
      incidentId: incident.incidentId,
      ...(incident.playbook ? { playbook: incident.playbook } : {}),
      ...(incident.severity ? { severity: incident.severity } : {}),
      ...(incident.phase ? { phase: incident.phase } : {}),
      action: m.action,
      summary: m.summary,
      requestedBy: m.requestedBy,
      requestedAt: m.requestedAt,
      deadline: m.deadline,
      escalation: {
        level: m.escalations,
        ...(m.maxEscalations !== undefined ? { of: m.maxEscalations } : {}),
        ...(m.onTimeout ? { onTimeout: m.onTimeout } : {}),
      },
      quorum: { required: m.quorum, approved: m.decisions.filter((d) => d.decision === 'approve').length },
      ...(m.approvers ? { approvers: m.approvers } : {}),
      decisions: m.decisions.map(({ actor, decision, at }) => ({ actor, decision, at })),
      canDecide: verdict.canDecide,
      ...(verdict.canDecide ? {} : { whyNot: verdict.reason }),
    };
  });
}
