/**
 * Playbook: session or token hijack.
 *
 * One session of this account is being used by someone else (a stolen cookie or token). End that
 * session only — the person keeps working in their other sessions — and prove it is gone. Then
 * watch: a new detection about the account is evidence the attacker has more than that session,
 * and escalates at once to containing the whole account; a responder can also decide to escalate.
 * Without evidence, nothing broader happens. Where the provider cannot end one session (Entra ID:
 * Graph revokes all of a user's sessions or none), every session of the account is ended instead —
 * the person signs in again, the account stays enabled — and the incident says so.
 */
import { patched } from '@temporalio/workflow';
import { principalLabel, type IncidentState } from '../domain/incident';
import { resolveSessionHijackPolicy } from '../domain/policy';
import type { IncidentInput } from './definitions';
import { run } from './kit/activities';
import { awaitApproval, goesAhead } from './kit/approvals';
import { concludeContainment, runPlaybook } from './kit/playbook';
import { failureText, Incident } from './kit/incident';
import { revokeDownstream, tellReceivers } from './kit/security-events';
import {
  cutAccess,
  recordReview,
  snapshotPrincipal,
  verify,
  recordOpening,
  containmentConfirmed,
} from './kit/steps';

export async function sessionHijack(input: IncidentInput): Promise<IncidentState> {
  const policy = resolveSessionHijackPolicy(input.policy);
  const incident = new Incident(input);
  const { principal } = input;
  const who = principalLabel(principal);

  return runPlaybook(incident, input, policy.holdOpenMs, async () => {
    // Triage: the alert, and the session it names.
    await recordOpening(incident, input, who);
    const sessionId = input.sessionId ?? sessionFromAlert(input);
    if (!sessionId) {
      incident.enterPhase('containment-unverified', 'the alert names no session: nothing precise to end');
      await incident.notify('containment-unverified', `${who}: session hijack without a named session`);
    } else {
      // Evidence, then the one session.
      incident.enterPhase('evidence', `snapshot ${who} before ending the stolen session`);
      await snapshotPrincipal(incident, principal, input.evidenceLookbackMs);
      incident.enterPhase('contain', `end the stolen session of ${who}`);
      const confirmed = await containmentConfirmed(incident, `end the stolen session of ${who}`);
      let everySession = false;
      if (confirmed) {
        const ended = await incident.act('revokeSession', `end session ${sessionId.slice(0, 8)}… of ${who}`, {
          sessionId,
        });
        // Relying parties hear which session ended (a complex subject: the user and that session).
        if (ended) await tellReceivers(incident, ['session-revoked'], principal, { sessionId });
        if (incident.unsupported.has('revokeSession') && patched('every-session-when-one-unsupported')) {
          incident.log(
            'note',
            `${principal.provider} cannot end one session: ending every session of ${who} instead (the person signs in again; the account stays enabled)`,
          );
          everySession = Boolean(await incident.act('revokeSessions', `end every session of ${who}`));
          if (everySession) {
            await tellReceivers(incident, ['session-revoked'], principal);
            await revokeDownstream(incident, principal);
          }
        }
        incident.enterPhase('verify', 'check that the stolen session is gone');
      }
      const ok = confirmed && (await sessionGone(incident, sessionId, everySession));
      if (!confirmed) {
        // containmentConfirmed recorded why nothing was done.
      } else if (!ok) {
        incident.enterPhase('containment-unverified', 'the stolen session is still there');
        await incident.notify('containment-unverified', `${who}: stolen session NOT ended`);
      } else {
        incident.state.containedAt = new Date().toISOString();
        incident.enterPhase(
          'contained',
          everySession
            ? 'stolen session ended with every other session of the account'
            : 'stolen session ended; the account keeps its other sessions',
        );
        await incident.notify('contained', `${who}: stolen session ended`);
        await escalateOnEvidence(incident, input, policy.escalate);
        if (!incident.closing) {
          incident.enterPhase('review', 'write the post-incident review');
          await recordReview(incident, 'post-incident review');
        }
      }
    }
  });
}

/**
 * Watches for evidence while a responder may decide: a new detection about the account (or an
 * approval) contains the whole account; the window ending without either leaves it precise.
 */
async function escalateOnEvidence(
  incident: Incident,
  input: IncidentInput,
  policy: Parameters<typeof awaitApproval>[1]['policy'],
): Promise<void> {
  const { principal } = input;
  const who = principalLabel(principal);
  const alertsBefore = incident.state.alerts.length;
  const evidence = () => incident.alertsAbout([principal.username], alertsBefore) > 0;
  const resolution = await awaitApproval(incident, {
    action: 'escalateToAccount',
    summary: `contain the whole account of ${who} (a new detection decides it without waiting)`,
    policy,
    until: evidence,
  });
  if (resolution === 'superseded')
    incident.log('note', `a new detection about ${who}: escalating to the whole account`);
  else if (!goesAhead(resolution)) {
    incident.log('note', `no evidence beyond the stolen session (${resolution}): containment stays precise`);
    return;
  }

  incident.enterPhase('contain', `contain the whole account of ${who}`);
  await cutAccess(incident, principal, { disable: true });
  const containedAt = new Date().toISOString();
  incident.enterPhase('verify', `check that containment of ${who} holds`);
  const verification = await verify(incident, {
    evidenceId: incident.state.evidenceId,
    principal,
    containedAt,
    accountDisabled: true,
    suspectTokenRefs: input.suspectTokenRefs ?? [],
  });
  // The stolen session was contained already: the incident's containment time moves either way.
  incident.state.containedAt = containedAt;
  await concludeContainment(
    incident,
    verification,
    {
      contained: 'whole account contained and verified',
      notContained: 'whole-account containment NOT verified',
      notify: {
        contained: `${who}: whole account contained`,
        notContained: `${who}: whole account NOT verified as contained`,
      },
    },
    containedAt,
  );
}

async function sessionGone(incident: Incident, sessionId: string, everySession: boolean): Promise<boolean> {
  try {
    // Every session ended: read back the account's sessions (the provider cannot name one).
    const state = await run('inspectAccess', 'read back the sessions', {
      principal: incident.principal,
      ...(everySession ? {} : { sessionId }),
    });
    const gone = everySession ? state.sessions === 0 : !state.sessionIds.includes(sessionId);
    const detail = everySession
      ? `every session ended: ${state.sessions} session(s) since`
      : `${state.sessionIds.length} session(s) left`;
    incident.log(
      'verification',
      everySession
        ? `${gone ? 'ok' : 'FAIL'} stolen-session-ended: ${detail}`
        : `${gone ? 'ok' : 'FAIL'} stolen-session-ended: ${state.sessionIds.length} other session(s) kept`,
    );
    incident.state.verification = {
      verified: gone,
      checkedAt: new Date().toISOString(),
      checks: [{ name: 'stolen-session-ended', ok: gone, detail }],
    };
    return gone;
  } catch (err) {
    incident.log('verification', `FAIL verification-ran: ${failureText(err)}`);
    return false;
  }
}

/** The session of the event that raised the alert (detection-opened incidents). */
function sessionFromAlert(input: IncidentInput): string | undefined {
  for (const e of input.alert?.events ?? []) {
    const id = (e as { sessionId?: unknown }).sessionId;
    if (typeof id === 'string' && id) return id;
  }
  return undefined;
}
