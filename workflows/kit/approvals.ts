/**
 * Human approval for a destructive step, with a deadline, escalation and a policy default.
 * Four-eyes rules live in domain/policy.ts and run in the update validator, so a refused decision
 * never reaches workflow history.
 */
import { condition } from '@temporalio/workflow';
import { REALM_SUBJECT, type ActionName, type Approval } from '../../domain/incident';
import {
  ApprovalPolicy,
  approversFor,
  isAutoApproved,
  protectedPolicy,
  requiredApprovers,
} from '../../domain/policy';
import type { Incident } from './incident';
import { incidentMetrics } from './metrics';

export type ApprovalResolution = NonNullable<Approval['resolution']>;

/** True when the step should go ahead. */
export function goesAhead(resolution: ApprovalResolution): boolean {
  return resolution === 'approved' || resolution === 'auto-critical' || resolution === 'default-proceed';
}

export async function awaitApproval(
  incident: Incident,
  step: {
    action: ActionName;
    summary: string;
    policy: ApprovalPolicy;
    /** Called with the approval as soon as it is requested (not for automatic approvals). */
    onRequested?: (approval: Approval) => void;
    /** Stop asking when this becomes true (evidence decided it): resolution `superseded`. */
    until?: () => boolean;
    /** The person whose request this approval answers (default: whoever opened the incident). */
    requestedBy?: { actor: string; actorId: string };
    /** People who may never decide it besides the principal (e.g. the grantor of a role). */
    excluded?: string[];
    /** Asked while the incident closes (the rollback a close offers): closing does not withdraw it. */
    whileClosing?: boolean;
  },
): Promise<ApprovalResolution> {
  const { state } = incident;
  const closing = () => !step.whileClosing && incident.closing;
  const policy = state.protectedPrincipal ? protectedPolicy(step.policy) : step.policy;
  const automatic = () => {
    const severity = incident.automaticSeverity;
    return severity !== undefined && isAutoApproved(policy, severity);
  };
  if (automatic()) {
    incident.log(
      'approval',
      `${step.summary}: no approval needed at severity ${state.severity} (policy: automatic at ${policy.autoApproveAt})`,
    );
    return 'auto-critical';
  }

  // Approver routing is read at the severity of the moment the question is asked.
  const approvers = approversFor(incident.approverRoutes, {
    playbook: state.playbook,
    action: step.action,
    severity: state.severity,
  });
  const approval: Approval = {
    id: `${step.action}-${state.approvals.length + 1}`,
    action: step.action,
    summary: step.summary,
    requestedBy: (step.requestedBy ?? incident.opener).actor,
    requestedById: (step.requestedBy ?? incident.opener).actorId,
    excluded: [
      ...(state.principal.username !== REALM_SUBJECT ? [state.principal.username] : []),
      ...(step.excluded ?? []),
    ],
    requestedAt: new Date().toISOString(),
    quorum: requiredApprovers(policy),
    ...(approvers ? { approvers } : {}),
    deadline: new Date(Date.now() + policy.timeoutMs).toISOString(),
    escalations: 0,
    maxEscalations: policy.escalations,
    onTimeout: policy.onTimeout,
    status: 'pending',
    decisions: [],
  };
  state.approvals.push(approval);
  step.onRequested?.(approval);
  incident.log(
    'approval',
    `approval ${approval.id} requested: ${step.summary} (deadline ${approval.deadline})`,
  );
  incident.publish();
  await incident.notify('approval-requested', `Approval ${approval.id} needed: ${step.summary}`, approval.id);

  for (;;) {
    // A later alert can raise the severity past the policy's automatic threshold while we wait.
    const settled = await condition(
      () => approval.status !== 'pending' || automatic() || closing() || step.until?.() === true,
      policy.timeoutMs,
    );
    if (approval.status === 'approved' || approval.status === 'rejected') {
      return finish(incident, approval, approval.status);
    }
    if (step.until?.()) {
      approval.status = 'rejected';
      incident.log('approval', `${approval.id} withdrawn: the evidence decided it`);
      return finish(incident, approval, 'superseded');
    }
    if (closing()) {
      // Closing the incident withdraws what it was still asking for.
      approval.status = 'rejected';
      incident.log('approval', `${approval.id} withdrawn: the incident is closing`);
      return finish(incident, approval, 'closed');
    }
    if (settled) {
      approval.status = 'approved';
      incident.log(
        'approval',
        `${approval.id}: severity rose to ${state.severity}; policy proceeds automatically`,
      );
      return finish(incident, approval, 'auto-critical');
    }
    if (approval.escalations < policy.escalations) {
      approval.escalations += 1;
      approval.deadline = new Date(Date.now() + policy.timeoutMs).toISOString();
      incident.log(
        'approval',
        `${approval.id} unanswered: escalation ${approval.escalations} (new deadline ${approval.deadline})`,
      );
      await incident.notify(
        'approval-escalated',
        `Escalation ${approval.escalations}: approval ${approval.id} still needed: ${step.summary}`,
        approval.id,
      );
      continue;
    }
    approval.status = 'timed-out';
    const resolution = policy.onTimeout === 'proceed' ? 'default-proceed' : 'default-skip';
    incident.log(
      'approval',
      `${approval.id} timed out after ${approval.escalations} escalation(s): policy default is to ${policy.onTimeout}`,
    );
    return finish(incident, approval, resolution);
  }
}

function finish(incident: Incident, approval: Approval, resolution: ApprovalResolution): ApprovalResolution {
  approval.resolution = resolution;
  incidentMetrics.approval(approval.action, resolution, approval.requestedAt);
  incident.publish();
  return resolution;
}
