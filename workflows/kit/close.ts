/**
 * Closing an incident with a disposition, at any phase. Before containment has ended the playbook
 * is still acting, so closing then is a decision for two people: the request becomes a `closeEarly`
 * approval (four-eyes, approver routing) while containment goes on; once approved no new step
 * starts, what is running finishes, and the playbook stops. Closed as a false positive or benign,
 * the incident lists what had been done and offers to put back the steps that can be put back,
 * through a `rollBack` approval; what cannot be put back is listed with what a person would do.
 */
import { CancellationScope, condition, isCancellation } from '@temporalio/workflow';
import { personOf, type ActionName, type ActionRecord, type Principal } from '../../domain/incident';
import type { ApprovalPolicy } from '../../domain/policy';
import type { CloseIncidentRequest } from '../definitions';
import { awaitApproval, goesAhead } from './approvals';
import type { Incident, ProviderAction } from './incident';

const CLOSE_EARLY: ApprovalPolicy = {
  autoApproveAt: 'never',
  timeoutMs: 30 * 60_000,
  escalations: 1,
  onTimeout: 'skip',
  quorum: 1,
};

const ROLL_BACK: ApprovalPolicy = {
  autoApproveAt: 'never',
  timeoutMs: 24 * 60 * 60_000,
  escalations: 1,
  onTimeout: 'skip',
  quorum: 1,
};

/** Steps that can be put back, and how. */
const REVERSIBLE: Partial<Record<ActionName, { undo: ProviderAction; what: string }>> = {
  disableAccount: { undo: 'restoreAccount', what: 'enable the account again' },
  suspendAccount: { undo: 'restoreAccount', what: 'enable the account again' },
  rollBackReinstatement: { undo: 'restoreAccount', what: 'enable the account again' },
};

/** Steps that cannot be put back, with what a person would do instead. */
const IRREVERSIBLE: Partial<Record<ActionName, string>> = {
  revokeSessions: 'ended sessions do not come back: the user signs in again',
  revokeSession: 'the ended session does not come back: the user signs in again',
  revokeOfflineAccess: 'revoked offline tokens do not come back: applications ask the user to sign in again',
  requireReauthentication:
    'the replaced password does not come back (it was never kept): the user resets it through the helpdesk',
  rotateClientSecret: "the old client secret does not come back: the application's owner takes the new one",
  revokeClientTokens: 'revoked client tokens do not come back: the client asks for new ones',
  rotateRealmSigningKeys: 'rotated signing keys stay rotated: every user signs in again',
  revertGrant: 'a reverted role is granted again by hand if the grant was legitimate',
  eradicate:
    "removed factors and grants are restored by hand from the evidence snapshot if they were the user's own",
};

/** Runs when a person asks to close while the playbook still acts (the close update's handler). */
export async function requestEarlyClose(
  incident: Incident,
  req: CloseIncidentRequest,
  requested: () => void,
): Promise<void> {
  const { state } = incident;
  const closure = {
    ...(req.disposition ? { disposition: req.disposition } : {}),
    requestedBy: req.actor,
    requestedAt: new Date().toISOString(),
    reason: req.reason,
    phase: state.phase,
    early: true,
    status: 'pending' as const,
  };
  state.closure = closure;
  incident.log(
    'note',
    `close requested as ${req.disposition} during phase '${state.phase}' (a second person approves): ${req.reason}`,
    req.actor,
    req.origin,
  );
  const resolution = await awaitApproval(incident, {
    action: 'closeEarly',
    summary: `stop and close as ${req.disposition} during phase '${state.phase}': ${req.reason}`.slice(
      0,
      500,
    ),
    policy: CLOSE_EARLY,
    requestedBy: { actor: req.actor, actorId: personOf(req.actor, req.origin) },
    onRequested: (approval) => {
      state.closure = { ...closure, approvalId: approval.id };
      requested();
    },
  });
  requested();
  if (resolution === 'approved') {
    state.closure = { ...state.closure!, status: 'approved' };
    incident.log('note', `stopping: closing as ${req.disposition} was approved; no new step starts`);
    incident.requestClose(req, true);
  } else {
    // Refused, unanswered, or the incident closed otherwise meanwhile: it goes on as it was.
    state.closure = { ...state.closure!, status: 'refused' };
    incident.log('note', `closing early was not approved (${resolution}): the incident goes on`);
  }
  incident.publish();
}

/**
 * The playbook's response, stopped when an early close is approved: what is running finishes (so
 * no change on the identity provider goes unrecorded), then everything still waiting is cancelled.
 */
export async function respondUnlessStopped(incident: Incident, respond: () => Promise<void>): Promise<void> {
  const scope = new CancellationScope();
  const responding = scope.run(respond);
  const stopped = await Promise.race([responding.then(() => false), incident.whenStopped.then(() => true)]);
  if (!stopped) return;
  await condition(() => incident.actionsInFlight === 0);
  scope.cancel();
  await responding.catch((err: unknown) => {
    if (!isCancellation(err)) throw err;
  });
  // What the stopped playbook was still asking for is withdrawn, as closing withdraws it.
  for (const approval of incident.state.approvals) {
    if (approval.status !== 'pending' || approval.action === 'closeEarly') continue;
    approval.status = 'rejected';
    approval.resolution = 'closed';
    incident.log('approval', `${approval.id} withdrawn: the incident is closing`);
  }
  incident.publish();
}

/** What had been done, and — closed as a false positive or benign — the rollback offered. */
export async function wrapUpClosure(incident: Incident, req: CloseIncidentRequest): Promise<void> {
  const { state } = incident;
  const closure = state.closure;
  if (!closure) return;
  const done = state.actions.filter(
    (a): a is Extract<ActionRecord, { status: 'done' }> => a.status === 'done' && a.outcome.changed,
  );
  const on = (a: ActionRecord) => a.target ?? state.principal.username;
  closure.done = done.map((a) => `${a.action} on ${on(a)}: ${a.outcome.detail}`);
  const undoable = done.filter((a, i) => {
    const r = REVERSIBLE[a.action];
    // Already put back by a later step (a restore of the same account)?
    return r && !done.slice(i + 1).some((b) => b.action === r.undo && on(b) === on(a));
  });
  closure.reversible = undoable.map((a) => `${a.action} on ${on(a)}: ${REVERSIBLE[a.action]!.what}`);
  closure.irreversible = done
    .filter((a) => IRREVERSIBLE[a.action])
    .map((a) => `${a.action} on ${on(a)}: ${IRREVERSIBLE[a.action]}`);
  incident.log(
    'note',
    `closing as ${closure.disposition ?? 'closed'}: ${done.length} step(s) had been done` +
      (done.length ? ` (${done.map((a) => `${a.action} on ${on(a)}`).join('; ')})` : ''),
  );
  incident.publish();
  const rollBack = closure.disposition === 'false-positive' || closure.disposition === 'benign';
  if (!rollBack || !undoable.length) return;

  closure.rollback = { undone: [] };
  const resolution = await awaitApproval(incident, {
    action: 'rollBack',
    summary: `closed as ${closure.disposition}: put back ${closure.reversible.join('; ')}`.slice(0, 500),
    policy: ROLL_BACK,
    requestedBy: { actor: req.actor, actorId: personOf(req.actor, req.origin) },
    whileClosing: true,
    onRequested: (approval) => (closure.rollback = { approvalId: approval.id, undone: [] }),
  });
  closure.rollback.resolution = resolution;
  if (!goesAhead(resolution)) {
    incident.log('note', `rollback not approved (${resolution}): the steps stay as they are`);
    return;
  }
  incident.rollingBack = true;
  try {
    for (const a of [...undoable].reverse()) {
      const { undo, what } = REVERSIBLE[a.action]!;
      const principal: Principal = { ...state.principal, username: on(a) };
      const outcome = await incident.act(undo, `roll back ${a.action} on ${on(a)}: ${what}`, { principal });
      if (outcome) closure.rollback.undone.push(`${a.action} on ${on(a)}`);
    }
  } finally {
    incident.rollingBack = false;
  }
  incident.publish();
}
