/**
 * The incident record a playbook keeps: phase, severity, timeline, actions, approvals, evidence.
 * It owns the plumbing every playbook needs (search attributes, current details, handlers for
 * alerts, approvals and closing) so playbooks read like the runbook they encode.
 */
import {
  ApplicationFailure,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  ActionName,
  ActionOutcome,
  Alert,
  ENGINE_ACTOR,
  EvidenceRef,
  higherSeverity,
  IncidentState,
  Phase,
  principalLabel,
  RequestOrigin,
  TimelineEntry,
} from '../../domain/incident';
import { refuseDecision } from '../../domain/policy';
import type { Notification } from '../../activities/notifier';
import type { ActionInput } from '../../activities';
import {
  AlertReceipt,
  addNoteUpdate,
  closeIncidentUpdate,
  decideApprovalUpdate,
  IncidentInput,
  incidentStateQuery,
  raiseAlertUpdate,
  searchAttributes,
} from '../definitions';
import { run } from './activities';

export class Incident {
  readonly state: IncidentState;
  private closeRequest?: { actor: string; reason: string };

  constructor(input: IncidentInput) {
    this.state = input.carried ?? {
      incidentId: workflowInfo().workflowId,
      evidenceId: `${workflowInfo().workflowId}.${workflowInfo().firstExecutionRunId}`,
      playbook: input.playbook,
      principal: input.principal,
      principalKey: input.principalKey,
      severity: input.severity,
      summary: input.summary,
      openedBy: input.openedBy,
      openedAt: new Date().toISOString(),
      phase: 'triage',
      status: 'open',
      alerts: [input.alert],
      timeline: [],
      actions: [],
      approvals: [],
      evidence: [],
    };
    upsertSearchAttributes([
      { key: searchAttributes.principal, value: this.state.principalKey },
      { key: searchAttributes.playbook, value: this.state.playbook },
    ]);
    this.publish();
    this.installHandlers();
  }

  get closeRequested(): { actor: string; reason: string } | undefined {
    return this.closeRequest;
  }

  /** Set when the hold-open window ends: long waits (watch windows, approvals) stop for it. */
  holdOpenEnded = false;

  /** A person asked to close, or the hold-open window ended: stop waiting, wrap up. */
  get closing(): boolean {
    return this.closeRequest !== undefined || this.holdOpenEnded;
  }

  get principal() {
    return this.state.principal;
  }

  /** Enters a phase and tells responders (the lifecycle's milestones are worth a message). */
  async announcePhase(phase: Phase, message: string): Promise<void> {
    this.enterPhase(phase, message);
    await this.notify('phase', `${this.principal.username}: ${message}`);
  }

  enterPhase(phase: Phase, message: string): void {
    this.state.phase = phase;
    this.log('phase', message);
    this.publish();
  }

  log(kind: TimelineEntry['kind'], message: string, actor = ENGINE_ACTOR, origin?: RequestOrigin): void {
    this.state.timeline.push({
      at: new Date().toISOString(),
      phase: this.state.phase,
      actor,
      kind,
      message,
      ...(origin ? { origin } : {}),
    });
  }

  addEvidence(ref: EvidenceRef, message: string): void {
    this.state.evidence.push(ref);
    this.log('evidence', `${message} (sha256 ${ref.objectHash.slice(0, 12)}…)`);
  }

  /**
   * Runs one action on the identity provider and records its outcome. A failure (after the
   * activity's retries) is recorded, published and returned as undefined, so the playbook goes on
   * with the remaining steps and verification reports what did not hold.
   */
  async act(
    action: ActionName,
    summary: string,
    extra: Omit<ActionInput, 'principal'> = {},
  ): Promise<ActionOutcome | undefined> {
    try {
      const outcome = await run(action, summary, {
        principal: this.principal,
        since: this.state.openedAt,
        ...extra,
      });
      this.state.actions.push({ action, status: 'done', at: new Date().toISOString(), outcome });
      this.log('action', `${summary}: ${outcome.detail}`);
      return outcome;
    } catch (err) {
      const error = failureText(err);
      this.state.actions.push({ action, status: 'failed', at: new Date().toISOString(), error });
      this.log('action', `${summary} FAILED: ${error}`);
      this.publish();
      return undefined;
    }
  }

  /** Tells responders; a broken channel is logged on the timeline and never stalls the playbook. */
  async notify(kind: Notification['kind'], message: string): Promise<void> {
    const { incidentId, severity } = this.state;
    const phase = kind === 'phase' ? this.state.phase : undefined;
    try {
      await run('notify', `notify responders: ${message}`, { incidentId, kind, severity, message, phase });
      this.log('notification', message);
    } catch (err) {
      this.log(
        'notification',
        `notification FAILED (${err instanceof Error ? err.message : String(err)}): ${message}`,
      );
    }
  }

  skip(action: ActionName, reason: string): void {
    this.state.actions.push({ action, status: 'skipped', at: new Date().toISOString(), reason });
    this.log('action', `skipped ${action}: ${reason}`);
  }

  /** Search attributes and the UI's "current details" follow the incident state. */
  publish(): void {
    const pending = this.state.approvals.filter((a) => a.status === 'pending').map((a) => a.action);
    upsertSearchAttributes([
      { key: searchAttributes.phase, value: this.state.phase },
      { key: searchAttributes.severity, value: this.state.severity },
      { key: searchAttributes.pendingApprovals, value: pending },
    ]);
    const last = this.state.timeline.slice(-5).map((t) => `- ${t.at} [${t.kind}] ${t.message}`);
    setCurrentDetails(
      [
        `**${this.state.playbook}** · ${principalLabel(this.principal)} · severity **${this.state.severity}** · phase **${this.state.phase}**`,
        pending.length ? `Waiting for approval: ${pending.join(', ')}` : '',
        '',
        ...last,
      ].join('\n'),
    );
  }

  private installHandlers(): void {
    setHandler(incidentStateQuery, () => this.state);

    // A second alert about the same principal joins the open incident instead of opening another.
    setHandler(
      raiseAlertUpdate,
      (alert: Alert): AlertReceipt => {
        const known = this.state.alerts.some((a) => a.id === alert.id);
        if (!known) {
          this.state.alerts.push(alert);
          const raised = higherSeverity(this.state.severity, alert.severity);
          const note =
            raised !== this.state.severity ? `; severity raised ${this.state.severity} → ${raised}` : '';
          this.state.severity = raised;
          this.log(
            'alert',
            `alert joined from ${alert.source}: ${alert.summary}${note}`,
            alert.reportedBy,
            alert.origin,
          );
          this.publish();
        }
        return { joined: !known, severity: this.state.severity, phase: this.state.phase };
      },
      {
        validator: (_alert) => {
          if (this.state.status === 'closed' || this.closeRequest) {
            throw ApplicationFailure.nonRetryable(
              `incident ${this.state.incidentId} is closing; send the alert again to open a new incident`,
              'IncidentClosing',
            );
          }
        },
      },
    );

    setHandler(
      decideApprovalUpdate,
      (req) => {
        const approval = this.state.approvals.find((a) => a.id === req.approvalId)!;
        approval.decisions.push({
          actor: req.actor,
          ...(req.origin ? { origin: req.origin } : {}),
          decision: req.decision,
          comment: req.comment,
          at: new Date().toISOString(),
        });
        const approvals = approval.decisions.filter((d) => d.decision === 'approve').length;
        if (req.decision === 'reject') approval.status = 'rejected';
        else if (approvals >= approval.quorum) approval.status = 'approved';
        this.log(
          'approval',
          `${req.actor} ${req.decision === 'approve' ? 'approved' : 'rejected'} ${approval.action}` +
            `${req.comment ? `: ${req.comment}` : ''} (${approvals}/${approval.quorum})`,
          req.actor,
          req.origin,
        );
        this.publish();
        return approval;
      },
      {
        validator: (req) => {
          const refusal = refuseDecision(
            this.state.approvals.find((a) => a.id === req.approvalId),
            req.approvalId,
            req.actor,
          );
          if (refusal) throw ApplicationFailure.nonRetryable(refusal.message, refusal.code);
        },
      },
    );

    setHandler(
      addNoteUpdate,
      (req) => {
        const note = { at: new Date().toISOString(), actor: req.actor, text: req.text };
        (this.state.notes ??= []).push(note);
        this.log('note', `note: ${req.text}`, req.actor, req.origin);
        this.publish();
        return { notes: this.state.notes.length };
      },
      {
        validator: (_req) => {
          if (this.state.status === 'closed') {
            throw ApplicationFailure.nonRetryable(
              `incident ${this.state.incidentId} is closed`,
              'IncidentClosed',
            );
          }
        },
      },
    );

    setHandler(
      closeIncidentUpdate,
      (req) => {
        this.closeRequest = req;
        this.log('note', `close requested: ${req.reason}`, req.actor, req.origin);
        return this.state;
      },
      {
        validator: (_req) => {
          if (this.state.status === 'closed') {
            throw ApplicationFailure.nonRetryable(
              `incident ${this.state.incidentId} is already closed`,
              'IncidentClosed',
            );
          }
          if (['triage', 'evidence', 'contain', 'verify'].includes(this.state.phase)) {
            throw ApplicationFailure.nonRetryable(
              `incident ${this.state.incidentId} is still in phase '${this.state.phase}'; close it once containment has run`,
              'IncidentBusy',
            );
          }
        },
      },
    );
  }

  /** History is bounded: long-lived incidents move to a fresh run carrying this state. */
  get shouldContinueAsNew(): boolean {
    return workflowInfo().continueAsNewSuggested;
  }
}

/** What went wrong, in one line: an activity failure's cause (the provider's message) when it has one. */
export function failureText(err: unknown): string {
  return err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
}
