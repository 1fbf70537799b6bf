/**
 * The incident record a playbook keeps: phase, severity, timeline, actions, approvals, evidence.
 * It owns the plumbing every playbook needs (search attributes, current details, handlers for
 * alerts, approvals and closing) so playbooks read like the runbook they encode.
 */
import {
  ApplicationFailure,
  condition,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertMemo,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import {
  ActionName,
  ActionOutcome,
  Alert,
  DISPOSITIONS,
  EARLY_PHASES,
  ENGINE_ACTOR,
  EvidenceRef,
  REALM_SUBJECT,
  higherSeverity,
  IncidentState,
  Phase,
  principalLabel,
  Principal,
  RelatedPrincipal,
  personOf,
  RequestOrigin,
  Severity,
  TimelineEntry,
} from '../../domain/incident';
import { incidentMetrics } from './metrics';
import { refuseDecision, type ApproverRoute } from '../../domain/policy';
import { inboxMemo, INBOX_MEMO_KEY } from '../../domain/inbox';
import type { Notification } from '../../activities/notifier';
import type { ActionInput, Activities } from '../../activities';
import {
  AlertReceipt,
  CloseIncidentRequest,
  addNoteUpdate,
  addPrincipalUpdate,
  closeIncidentUpdate,
  decideApprovalUpdate,
  IncidentInput,
  incidentStateQuery,
  raiseAlertUpdate,
  searchAttributes,
  ssfDeliverySignal,
} from '../definitions';
import { run } from './activities';

/**
 * Actions a playbook can run with `act`: activities that take an ActionInput and answer an
 * ActionOutcome. Naming anything else (a typo, a read-only activity) does not compile.
 */
export type ProviderAction = {
  [K in keyof Activities & ActionName]: Activities[K] extends (input: ActionInput) => Promise<ActionOutcome>
    ? K
    : never;
}[keyof Activities & ActionName];

export class Incident {
  readonly state: IncidentState;
  /** Actions the provider has no port for (failed as PortNotSupported): a playbook may do otherwise. */
  readonly unsupported = new Set<ProviderAction>();
  private closeRequest?: CloseIncidentRequest;
  /** The deployment's approver routing, fixed when the incident opened (carried by continue-as-new). */
  readonly approverRoutes?: ApproverRoute[];
  /** The inbox memo last written (written again only when it changes). */
  private inboxWritten = '[]';
  /** Settled SSF deliveries not yet in the evidence chain, and whether a recording runs. */
  private ssfUnrecorded = false;
  private ssfRecording = false;

  constructor(input: IncidentInput) {
    this.approverRoutes = input.approverRoutes;
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
      ...(input.protectedPrincipal ? { protectedPrincipal: true } : {}),
    };
    upsertSearchAttributes([
      { key: searchAttributes.principal, value: this.state.principalKey },
      { key: searchAttributes.playbook, value: this.state.playbook },
    ]);
    if (!input.carried)
      incidentMetrics.opened(
        this.state.playbook,
        this.state.severity,
        this.state.openedAt,
        firstEventTime(input.alert) ?? input.alert.raisedAt,
      );
    this.publish();
    this.installHandlers();
  }

  get closeRequested(): CloseIncidentRequest | undefined {
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

  /**
   * The severity automatic steps may act on. Only the opening alert and later alerts the engine
   * raised from events it pulled from the identity provider count: a person re-posting an alert at
   * a higher severity does not approve a pending step (four-eyes), and an alert whose evidence was
   * only pushed to the API (forgeable by whoever holds an ingest credential) never acts by itself.
   * Undefined: nothing may happen automatically.
   */
  get automaticSeverity(): Severity | undefined {
    if (this.state.protectedPrincipal) return undefined;
    // A person confirmed the evidence (containmentConfirmed): the severity then stands as it was.
    let severity: Severity | undefined = this.state.confirmedSeverity;
    this.state.alerts.forEach((a, i) => {
      const counts = a.evidence !== 'pushed' && (i === 0 || a.origin === undefined);
      if (counts) severity = severity ? higherSeverity(severity, a.severity) : a.severity;
    });
    return severity;
  }

  /** Who asked for an approval, by default the person (or detector) who opened the incident. */
  get opener(): { actor: string; actorId: string } {
    const first = this.state.alerts[0];
    return { actor: this.state.openedBy, actorId: personOf(this.state.openedBy, first?.origin) };
  }

  /** Username of every principal in scope: the incident's own, then the accounts added to it. */
  get scope(): string[] {
    const added = (this.state.related ?? []).filter(
      (r) => r.status !== 'proposed' && r.status !== 'rejected',
    );
    return [this.principal.username, ...added.map((r) => r.principal.username)];
  }

  /**
   * Alerts about these usernames (an alert without `about` is about the incident's principal),
   * counting from the `from`-th alert the incident received.
   */
  alertsAbout(usernames: string[], from = 0): number {
    return this.state.alerts.slice(from).filter((a) => usernames.includes(a.about ?? this.principal.username))
      .length;
  }

  private readonly running = new Map<string, number>();

  /**
   * Runs work alongside the playbook's main line (a realm-wide approval, an account being added),
   * counted under `kind`. The incident does not close or continue-as-new while any of it runs.
   */
  background(kind: string, work: () => Promise<void>): void {
    this.running.set(kind, (this.running.get(kind) ?? 0) + 1);
    void work().finally(() => this.running.set(kind, (this.running.get(kind) ?? 1) - 1));
  }

  /** No background work of `kind` (or of any kind) is running. */
  idle(kind?: string): boolean {
    return kind ? !this.running.get(kind) : [...this.running.values()].every((n) => n === 0);
  }

  /** Waits until no background work of `kind` (or of any kind) runs. */
  async settled(kind?: string): Promise<void> {
    await condition(() => this.idle(kind));
  }

  /** Enters a phase and tells responders (the lifecycle's milestones are worth a message). */
  async announcePhase(phase: Phase, message: string): Promise<void> {
    this.enterPhase(phase, message);
    await this.notify('phase', `${this.principal.username}: ${message}`);
  }

  enterPhase(phase: Phase, message: string): void {
    this.state.phase = phase;
    incidentMetrics.phase(this.state.playbook, phase, this.state.openedAt);
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
    action: ProviderAction,
    summary: string,
    extra: Partial<ActionInput> = {},
  ): Promise<ActionOutcome | undefined> {
    const principal = extra.principal ?? this.principal;
    if (this.refusesSteps()) {
      this.skip(action, this.stoppedReason(), principal);
      return undefined;
    }
    const target = this.targetOf(principal);
    this.acting++;
    try {
      const outcome = await run(action, summary, this.actionInput(extra));
      return this.done(action, summary, target, outcome, new Date().toISOString());
    } catch (err) {
      return this.failed(action, summary, principal, err, new Date().toISOString());
    } finally {
      this.acting--;
    }
  }

  /**
   * Set when a second person approved closing before containment ended: no new step starts (each
   * is recorded as skipped), except the rollback a person approves while it closes.
   */
  stopped = false;
  private stop?: () => void;
  /**
   * Resolves when the incident stops (never rejects: a cancellation of the workflow takes its own
   * course through the playbook, compensations included).
   */
  readonly whenStopped = new Promise<void>((resolve) => (this.stop = resolve));
  /** A rollback of reversible steps is running: its steps go ahead although the incident stopped. */
  rollingBack = false;
  private acting = 0;

  /** Provider actions running now (a stop waits for them, so none is lost from the record). */
  get actionsInFlight(): number {
    return this.acting;
  }

  private refusesSteps(): boolean {
    return this.stopped && !this.rollingBack;
  }

  private stoppedReason(): string {
    const c = this.state.closure;
    return `the incident is closing${c?.disposition ? ` as ${c.disposition}` : ''} (requested by ${c?.requestedBy ?? 'a responder'})`;
  }

  /**
   * Closing before containment ended: how a playbook's runner asks a second person (kit/close.ts),
   * given by runPlaybook. A playbook that does not run under it cannot be closed early.
   */
  private earlyClose?: (req: CloseIncidentRequest, requested: () => void) => Promise<void>;

  allowEarlyClose(flow: (req: CloseIncidentRequest, requested: () => void) => Promise<void>): void {
    this.earlyClose = flow;
  }

  /** The close goes ahead (a person asked, or a second person approved an early close). */
  requestClose(req: CloseIncidentRequest, stop = false): void {
    this.closeRequest = req;
    if (stop) {
      this.stopped = true;
      this.stop?.();
    }
  }

  /** An action's input: the incident's window and evidence chain, on its principal unless told otherwise. */
  private actionInput(extra: Partial<ActionInput>): ActionInput {
    return {
      since: this.state.openedAt,
      evidenceId: this.state.evidenceId,
      ...extra,
      principal: extra.principal ?? this.principal,
    };
  }

  private done(
    action: ProviderAction,
    summary: string,
    target: { target?: string },
    outcome: ActionOutcome,
    at: string,
  ): ActionOutcome {
    this.state.actions.push({ ...target, action, status: 'done', at, outcome });
    this.log('action', `${summary}: ${outcome.detail}`);
    // What an action wrote to the evidence chain is anchored here, in history, like every entry.
    if (outcome.evidence) this.addEvidence(outcome.evidence, `${action} recorded`);
    return outcome;
  }

  private failed(
    action: ProviderAction,
    summary: string,
    principal: Principal,
    err: unknown,
    at: string,
  ): undefined {
    const error = failureText(err);
    this.state.actions.push({ ...this.targetOf(principal), action, status: 'failed', at, error });
    this.log('action', `${summary} FAILED: ${error}`);
    // A port the provider lacks is a finding of the incident: a gap a person must close by hand.
    if (failureType(err) === 'PortNotSupported') {
      this.unsupported.add(action);
      this.log('note', `finding: ${action} for ${principal.username} ${error}; do it by hand`);
    }
    this.publish();
    return undefined;
  }

  /**
   * Runs independent actions at once (each its own activity, each with its retries) and records
   * their outcomes in the order given, whatever order they finish in, as `act` would one by one.
   * Only for steps no other step waits on and that do not write to the evidence chain (appends to
   * one chain from two workers at once would race).
   */
  async actTogether(
    steps: { action: ProviderAction; summary: string; extra?: Partial<ActionInput> }[],
  ): Promise<(ActionOutcome | undefined)[]> {
    if (this.refusesSteps()) {
      for (const { action, extra = {} } of steps) this.skip(action, this.stoppedReason(), extra.principal);
      return steps.map(() => undefined);
    }
    this.acting += steps.length;
    const results = await Promise.all(
      steps.map(({ action, summary, extra = {} }) =>
        run(action, summary, this.actionInput(extra)).then(
          (outcome) => ({ ok: true as const, outcome, at: new Date().toISOString() }),
          (err: unknown) => ({ ok: false as const, err, at: new Date().toISOString() }),
        ),
      ),
    ).finally(() => (this.acting -= steps.length));
    return steps.map(({ action, summary, extra = {} }, i) => {
      const result = results[i];
      const principal = extra.principal ?? this.principal;
      return result.ok
        ? this.done(action, summary, this.targetOf(principal), result.outcome, result.at)
        : this.failed(action, summary, principal, result.err, result.at);
    });
  }

  /** `{ target }` for a principal other than the incident's own (how action records name it). */
  targetOf(principal: Principal): { target?: string } {
    return principal.username === this.principal.username ? {} : { target: principal.username };
  }

  /** Tells responders; a broken channel is logged on the timeline and never stalls the playbook. */
  async notify(kind: Notification['kind'], message: string, approvalId?: string): Promise<void> {
    const { incidentId, severity } = this.state;
    const phase = kind === 'phase' ? this.state.phase : undefined;
    try {
      await run('notify', `notify responders: ${message}`, {
        incidentId,
        kind,
        severity,
        message,
        phase,
        // Chat channels put approve/reject buttons on it (the decision still goes through the validator).
        ...(approvalId ? { approvalId } : {}),
      });
      this.log('notification', message);
    } catch (err) {
      this.log(
        'notification',
        `notification FAILED (${err instanceof Error ? err.message : String(err)}): ${message}`,
      );
    }
  }

  skip(action: ActionName, reason: string, principal = this.principal): void {
    const target = this.targetOf(principal);
    this.state.actions.push({ ...target, action, status: 'skipped', at: new Date().toISOString(), reason });
    this.log('action', `skipped ${action}${target.target ? ` on ${target.target}` : ''}: ${reason}`);
  }

  /** Search attributes and the UI's "current details" follow the incident state. */
  publish(): void {
    const waiting = this.state.approvals.filter((a) => a.status === 'pending');
    const pending = waiting.map((a) => a.action);
    const since = waiting.reduce<string | undefined>(
      (m, a) => (!m || a.requestedAt < m ? a.requestedAt : m),
      undefined,
    );
    upsertSearchAttributes([
      { key: searchAttributes.phase, value: this.state.phase },
      { key: searchAttributes.severity, value: this.state.severity },
      { key: searchAttributes.pendingApprovals, value: pending },
      // (Histories from before this attribute replay without it.)
      ...(patched('approvals-pending-since')
        ? [{ key: searchAttributes.approvalsPendingSince, value: since ? new Date(since) : null }]
        : []),
    ]);
    // The responders' inbox (GET /approvals) reads pending approvals from visibility: the memo.
    if (patched('approval-inbox-memo')) {
      const memo = inboxMemo(waiting);
      const text = JSON.stringify(memo);
      if (text !== this.inboxWritten) {
        upsertMemo({ [INBOX_MEMO_KEY]: memo.length ? memo : null });
        this.inboxWritten = text;
      }
    }
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

  /**
   * What SSF receivers acknowledged (or refused) goes into the evidence chain: a few seconds after
   * the reports stop coming, one entry with every settled delivery so far (patch ssf-ack-evidence).
   */
  private async recordSsfDeliveries(): Promise<void> {
    if (!patched('ssf-ack-evidence')) return;
    this.ssfRecording = true;
    try {
      while (this.ssfUnrecorded) {
        this.ssfUnrecorded = false;
        await sleep('3 seconds');
        if (this.ssfUnrecorded) continue;
        const deliveries = (this.state.ssfDeliveries ?? []).filter((d) => d.status !== 'pending');
        const ref = await run('recordEvidence', 'record what SSF receivers acknowledged', {
          evidenceId: this.state.evidenceId,
          kind: 'ssf-acknowledgements',
          content: { deliveries },
        });
        this.addEvidence(ref, `${deliveries.length} SSF delivery outcome(s) recorded`);
      }
    } catch (err) {
      this.log('note', `finding: SSF acknowledgements not recorded as evidence (${failureText(err)})`);
    } finally {
      this.ssfRecording = false;
    }
  }

  private installHandlers(): void {
    setHandler(incidentStateQuery, () => this.state);

    // What SSF receivers did with the events sent about this incident (workflows/ssf-stream.ts).
    setHandler(ssfDeliverySignal, (r) => {
      const list = (this.state.ssfDeliveries ??= []);
      const known = list.findIndex((d) => d.jti === r.jti);
      if (known >= 0) list.splice(known, 1);
      list.push(r);
      if (list.length > 200) list.splice(0, list.length - 200);
      const to = r.aud.join(', ');
      const event = r.event.slice(r.event.lastIndexOf('/') + 1);
      if (r.status === 'acknowledged')
        this.log('notification', `SSF receiver ${to} acknowledged ${event} (${r.jti.slice(0, 8)})`);
      else if (r.status === 'failed')
        this.log('note', `finding: SSF receiver ${to} did not take ${event}: ${r.error ?? 'failed'}`);
      if (r.status !== 'pending') {
        this.ssfUnrecorded = true;
        if (!this.ssfRecording) void this.recordSsfDeliveries();
      }
    });

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
          const about = alert.about ? ` about ${alert.about}` : '';
          this.log(
            'alert',
            `alert${about} joined from ${alert.source}: ${alert.summary}${note}`,
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
            { actor: req.actor, id: personOf(req.actor, req.origin), groups: req.groups },
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

    // A responder proposes another account for the scope; the playbook asks for approval and contains it.
    setHandler(
      addPrincipalUpdate,
      async (req): Promise<RelatedPrincipal> => {
        const entry: RelatedPrincipal = {
          principal: req.principal,
          principalKey: req.principalKey,
          proposedBy: req.actor,
          proposedById: personOf(req.actor, req.origin),
          proposedAt: new Date().toISOString(),
          reason: req.reason,
          status: 'proposed',
        };
        (this.state.related ??= []).push(entry);
        this.log(
          'note',
          `${req.actor} proposed adding ${req.principal.username}: ${req.reason}`,
          req.actor,
          req.origin,
        );
        this.publish();
        // Answer once the approval exists (or the proposal settled without one).
        await condition(() => entry.approvalId !== undefined || entry.status !== 'proposed' || this.closing);
        return entry;
      },
      {
        validator: (req) => {
          const refuse = (message: string, type: string) => {
            throw ApplicationFailure.nonRetryable(message, type);
          };
          if (this.state.status === 'closed' || this.closing)
            refuse(`incident ${this.state.incidentId} is closing`, 'IncidentClosing');
          const { provider, realm } = this.principal;
          if (req.principal.provider !== provider || req.principal.realm !== realm)
            refuse(`only accounts of ${provider} realm '${realm}' can join this incident`, 'OutOfScope');
          const same = (u: string) => u.toLowerCase() === req.principal.username.toLowerCase();
          if (same(this.principal.username))
            refuse(`${req.principal.username} is this incident's principal`, 'AlreadyInScope');
          if ((this.state.related ?? []).some((r) => same(r.principal.username) && r.status !== 'rejected'))
            refuse(`${req.principal.username} is already proposed or in scope`, 'AlreadyInScope');
        },
      },
    );

    setHandler(
      closeIncidentUpdate,
      async (req) => {
        if (EARLY_PHASES.includes(this.state.phase) && !this.closeRequest && this.earlyClose) {
          // Still acting: a second person decides whether to stop (kit/close.ts).
          let requested = false;
          const flow = this.earlyClose;
          this.background('close-early', () => flow(req, () => (requested = true)));
          await condition(() => requested);
          return this.state;
        }
        this.closeRequest = req;
        this.state.closure = {
          ...(req.disposition ? { disposition: req.disposition } : {}),
          requestedBy: req.actor,
          requestedAt: new Date().toISOString(),
          reason: req.reason,
          phase: this.state.phase,
          early: false,
          status: 'closing',
        };
        this.log(
          'note',
          `close requested${req.disposition ? ` (${req.disposition})` : ''}: ${req.reason}`,
          req.actor,
          req.origin,
        );
        return this.state;
      },
      {
        validator: (req) => {
          const refuse = (message: string, type: string) => {
            throw ApplicationFailure.nonRetryable(message, type);
          };
          const { incidentId, phase } = this.state;
          if (this.state.status === 'closed')
            refuse(`incident ${incidentId} is already closed`, 'IncidentClosed');
          if (this.closeRequest) refuse(`incident ${incidentId} is already closing`, 'IncidentClosing');
          // The account the incident is about never closes it (whoever holds its password could).
          const names = [
            req.actor.toLowerCase(),
            personOf(req.actor, req.origin).split('#').pop()!.toLowerCase(),
          ];
          if (
            this.principal.username !== REALM_SUBJECT &&
            names.includes(this.principal.username.toLowerCase())
          )
            refuse(`'${req.actor}' is this incident's principal and cannot close it`, 'InvolvedPartyRefused');
          if (EARLY_PHASES.includes(phase)) {
            if (!this.earlyClose)
              refuse(
                `incident ${incidentId} is still in phase '${phase}'; close it once containment has run`,
                'IncidentBusy',
              );
            if (!req.disposition)
              refuse(
                `incident ${incidentId} is still in phase '${phase}': closing it now needs a disposition (${DISPOSITIONS.join(', ')}), and a second person approves`,
                'DispositionRequired',
              );
            if (this.state.closure?.status === 'pending')
              refuse(
                `closing incident ${incidentId} early is already waiting for approval ${this.state.closure.approvalId}`,
                'CloseAlreadyRequested',
              );
          }
        },
      },
    );
  }

  /** History is bounded: long-lived incidents move to a fresh run carrying this state (once idle). */
  get shouldContinueAsNew(): boolean {
    return workflowInfo().continueAsNewSuggested && this.idle();
  }
}

/** The type of an activity's ApplicationFailure (e.g. 'PortNotSupported'), if it has one. */
export function failureType(err: unknown): string | undefined {
  const cause = err instanceof Error ? err.cause : undefined;
  return cause instanceof ApplicationFailure ? (cause.type ?? undefined) : undefined;
}

/** What went wrong, in one line: an activity failure's cause (the provider's message) when it has one. */
export function failureText(err: unknown): string {
  return err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
}

/** The earliest time among the events an alert carries (detections do; reported alerts may not). */
function firstEventTime(alert: Alert): string | undefined {
  let first: string | undefined;
  for (const e of alert.events ?? []) {
    const t = (e as { time?: unknown }).time;
    if (typeof t === 'string' && (first === undefined || t < first)) first = t;
  }
  return first;
}
