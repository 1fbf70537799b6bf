/**
 * Tells the SSF receivers what a step did (activities/security-events.ts): relying parties that
 * only trust Shared Signals end their sessions then, not when their tokens expire. A receiver that
 * cannot be told is a finding on the timeline, never a stalled playbook.
 */
import { patched } from '@temporalio/workflow';
import type { Principal } from '../../domain/incident';
import type { SecurityEventKind } from '../../ssf/events';
import { run } from './activities';
import { failureText, type Incident } from './incident';

export async function tellReceivers(
  incident: Incident,
  kinds: SecurityEventKind[],
  principal: Principal = incident.principal,
  /** One session the events are about (a complex subject: user and session). */
  opts: { sessionId?: string } = {},
): Promise<void> {
  // (Incidents from before Shared Signals replay without it.)
  if (!kinds.length || !patched('ssf-events')) return;
  const at = new Date().toISOString();
  try {
    const told = await run(
      'emitSecurityEvents',
      `tell SSF receivers: ${kinds.join(', ')} for ${principal.username}`,
      {
        principal,
        incidentId: incident.state.incidentId,
        events: kinds.map((kind) => ({ kind, at })),
        ...(opts.sessionId ? { sessionId: opts.sessionId } : {}),
      },
    );
    if (told.streams)
      incident.log(
        'notification',
        `told ${told.streams} SSF stream(s): ${kinds.join(', ')} (subject by ${told.subject})`,
      );
  } catch (err) {
    incident.log('note', `finding: SSF receivers were not told ${kinds.join(', ')} (${failureText(err)})`);
  }
}

/**
 * Asks every downstream app (GTR_APPS) to revoke the principal's tokens and sessions (Global Token
 * Revocation); each answer is in the evidence chain and on the incident, and an app that did not
 * revoke is a finding, never a stalled playbook.
 */
export async function revokeDownstream(
  incident: Incident,
  principal: Principal = incident.principal,
): Promise<void> {
  // (Incidents from before Global Token Revocation replay without it.)
  if (!patched('global-token-revocation')) return;
  try {
    const { revocations, evidence } = await run(
      'revokeDownstream',
      `ask downstream apps to revoke every token of ${principal.username}`,
      { principal, evidenceId: incident.state.evidenceId },
    );
    if (!revocations.length) return;
    if (evidence) incident.addEvidence(evidence, 'global token revocation answers recorded');
    incident.state.downstreamRevocations = [
      ...(incident.state.downstreamRevocations ?? []).filter(
        (r) => !revocations.some((n) => n.app === r.app),
      ),
      ...revocations,
    ];
    const revoked = revocations.filter((r) => r.status === 'revoked').map((r) => r.app);
    if (revoked.length)
      incident.log(
        'notification',
        `downstream apps revoked ${principal.username}'s tokens: ${revoked.join(', ')}`,
      );
    const unknown = revocations.filter((r) => r.status === 'unknown-subject').map((r) => r.app);
    if (unknown.length)
      incident.log(
        'notification',
        `downstream apps with no account for ${principal.username}: ${unknown.join(', ')}`,
      );
    for (const r of revocations.filter((x) => x.status === 'refused' || x.status === 'failed'))
      incident.log(
        'note',
        `finding: downstream app ${r.app} did not revoke ${principal.username}'s tokens (${r.status}: ${r.detail ?? ''})`,
      );
  } catch (err) {
    incident.log('note', `finding: downstream apps were not asked to revoke tokens (${failureText(err)})`);
  }
}

/**
 * After a playbook cut a principal's access (kit/steps cutAccess): tells SSF receivers what was
 * done — credential-compromise, then credential-change, session-revoked and account-disabled for
 * the steps that were done — and asks downstream apps to revoke the principal's tokens.
 */
export async function announceContainment(
  incident: Incident,
  principal: Principal = incident.principal,
): Promise<void> {
  const own = principal.username === incident.principal.username;
  const done = (action: string) =>
    incident.state.actions.some(
      (a) =>
        a.action === action &&
        a.status === 'done' &&
        (own ? !a.target : a.target === principal.username) &&
        (action !== 'disableAccount' || a.outcome.changed),
    );
  await tellReceivers(
    incident,
    [
      'credential-compromise',
      ...(done('requireReauthentication') ? (['credential-change'] as const) : []),
      ...(done('revokeSessions') ? (['session-revoked'] as const) : []),
      ...(done('disableAccount') ? (['account-disabled'] as const) : []),
    ],
    principal,
  );
  if (done('revokeSessions')) await revokeDownstream(incident, principal);
}
