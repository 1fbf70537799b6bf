/**
 * Steps most playbooks take, each recorded on the incident: snapshot a principal's evidence before
 * anything destructive, verify containment (a failure to verify is a failed check, never a crash),
 * and write the post-incident review into the evidence chain.
 */
import { allHandlersFinished, condition, patched, sleep } from '@temporalio/workflow';
import {
  principalLabel,
  type ContainmentVerification,
  type Finding,
  type Principal,
} from '../../domain/incident';
import { describeFinding } from '../../domain/review';
import type { IncidentInput } from '../definitions';
import type { ApprovalPolicy } from '../../domain/policy';
import { run, runInvestigation } from './activities';
import { awaitApproval, goesAhead } from './approvals';
import { failureText, Incident } from './incident';
import { wrapUpClosure } from './close';

const DEFAULT_LOOKBACK_MS = 7 * 24 * 60 * 60_000;

/** Triage: the incident's opening on the timeline, and the alert that opened it as evidence. */
export async function recordOpening(incident: Incident, input: IncidentInput, about: string): Promise<void> {
  incident.log(
    'alert',
    `incident opened by ${input.openedBy}: ${input.summary}`,
    input.openedBy,
    input.alert?.origin,
  );
  incident.addEvidence(
    await run('recordEvidence', `record the alert that opened the incident on ${about}`, {
      evidenceId: incident.state.evidenceId,
      kind: 'alert',
      content: input.alert,
    }),
    'alert recorded',
  );
}

/**
 * Investigates what `principal` did from `since` (read-only; the report is evidence), logs the
 * findings `worth` naming on the timeline, and keeps the summary on the incident. A failure is
 * logged, never thrown.
 */
export async function investigatePrincipal(
  incident: Incident,
  principal: Principal,
  since: string,
  worth: (f: Finding) => boolean,
): Promise<void> {
  try {
    const { ref, summary } = await runInvestigation(
      'investigate',
      `investigate ${principal.username} since ${since}`,
      {
        evidenceId: incident.state.evidenceId,
        principal,
        since,
        until: new Date().toISOString(),
      },
    );
    incident.state.investigation = summary;
    incident.addEvidence(ref, `investigation report: ${summary.findings.length} finding(s)`);
    for (const f of summary.findings.filter(worth)) incident.log('note', `finding: ${describeFinding(f)}`);
  } catch (err) {
    incident.log('note', `investigation FAILED: ${failureText(err)}`);
  }
}

/** Snapshots what containment would destroy for `principal` into the evidence chain. */
export async function snapshotPrincipal(incident: Incident, principal: Principal, lookbackMs?: number) {
  const snapshot = await run(
    'snapshotEvidence',
    `snapshot what containment would destroy for ${principalLabel(principal)}`,
    {
      evidenceId: incident.state.evidenceId,
      principal,
      lookbackMs: lookbackMs ?? DEFAULT_LOOKBACK_MS,
    },
  );
  // The account is protected under another of its names (it was named by id or e-mail): from here
  // on nothing happens to it automatically, as if it had been named by its login.
  if (snapshot.protectedPrincipal && !incident.state.protectedPrincipal && patched('protected-by-any-name')) {
    incident.state.protectedPrincipal = true;
    incident.log(
      'note',
      `${principal.username} is a protected principal (on the list under another of its names): nothing happens to it automatically`,
    );
  }
  const c = snapshot.counts;
  incident.addEvidence(
    snapshot.ref,
    `pre-containment snapshot of ${principal.username}: ${c.sessions} session(s), ${c.offlineSessions} offline session(s), ` +
      `${c.consents} consent(s), ${c.credentials} credential(s), ${c.loginEvents} login event(s)`,
  );
  return snapshot;
}

/** Verifies that containment of one principal holds; a verification that cannot run is a failed check. */
export async function verify(
  incident: Incident,
  input: Parameters<typeof run<'verifyContainment'>>[2],
): Promise<ContainmentVerification> {
  try {
    const { verification, ref } = await run(
      'verifyContainment',
      `verify containment of ${principalLabel(input.principal)}`,
      { cutFrom: incident.state.openedAt, ...input },
    );
    const who = input.principal.username;
    incident.addEvidence(
      ref,
      `containment verification of ${who}: ${verification.verified ? 'holds' : 'FAILED'}`,
    );
    for (const check of verification.checks)
      incident.log('verification', `${check.ok ? 'ok' : 'FAIL'} ${who} ${check.name}: ${check.detail}`);
    const residual = latestResidual(verification);
    if (residual && patched('reverify-after-residual-access'))
      void reverifyWhenResidualEnds(incident, input, residual);
    return verification;
  } catch (err) {
    const detail = failureText(err);
    const verification: ContainmentVerification = {
      verified: false,
      checkedAt: new Date().toISOString(),
      checks: [{ name: 'verification-ran', ok: false, detail: `verification could not run: ${detail}` }],
    };
    incident.log('verification', `FAIL ${input.principal.username} verification-ran: ${detail}`);
    return verification;
  }
}

/** The end of the latest residual access a verification reported, if it is still ahead. */
function latestResidual(verification: ContainmentVerification): number | undefined {
  const ends = verification.checks
    .map((c) => (c.residualUntil ? Date.parse(c.residualUntil) : NaN))
    .filter((t) => Number.isFinite(t) && t > Date.now());
  return ends.length ? Math.max(...ends) : undefined;
}

/**
 * Alongside the rest of the playbook: once the residual access has run out, verify again and say
 * whether containment now holds with nothing left (a failure is announced, not just logged).
 */
async function reverifyWhenResidualEnds(
  incident: Incident,
  input: Parameters<typeof run<'verifyContainment'>>[2],
  at: number,
): Promise<void> {
  const who = input.principal.username;
  incident.log(
    'note',
    `residual access of ${who} ends ${new Date(at).toISOString()}: verification runs again then`,
  );
  await sleep(at - Date.now() + 1000);
  if (incident.closing) return;
  try {
    const { verification, ref } = await run(
      'verifyContainment',
      `verify again once the residual access of ${principalLabel(input.principal)} has ended`,
      { cutFrom: incident.state.openedAt, ...input },
    );
    incident.addEvidence(
      ref,
      `re-verification of ${who} after residual access: ${verification.verified ? 'holds' : 'FAILED'}`,
    );
    for (const check of verification.checks)
      incident.log(
        'verification',
        `${check.ok ? 'ok' : 'FAIL'} ${who} ${check.name} (re-verified): ${check.detail}`,
      );
    if (!verification.verified)
      await incident.notify('escalation', `${who}: containment NOT verified once residual access ended`);
  } catch (err) {
    incident.log('verification', `FAIL ${who} re-verification: ${failureText(err)}`);
  }
}

/** Builds the review from the current state into the evidence chain; returns its indicators. */
export async function recordReview(incident: Incident, what: string) {
  try {
    const { ref, indicators } = await run('writeReview', `write the ${what}`, {
      evidenceId: incident.state.evidenceId,
      state: incident.state,
    });
    incident.addEvidence(ref, `${what} written`);
    return indicators;
  } catch (err) {
    incident.log('note', `${what} FAILED: ${failureText(err)}`);
    return undefined;
  }
}

/**
 * Keeps the incident open (for investigation, and for later alerts about its principal to join)
 * until a person closes it or the hold-open window ends, then closes it with a final review.
 * `continue-as-new`: history grew long; the caller continues as new with the incident's state.
 */
export async function holdOpenThenClose(
  incident: Incident,
  holdOpenMs: number,
): Promise<'closed' | 'continue-as-new'> {
  const closeBy = Date.parse(incident.state.openedAt) + holdOpenMs;
  await condition(
    () => incident.closeRequested !== undefined || incident.shouldContinueAsNew,
    Math.max(0, closeBy - Date.now()),
  );
  if (!incident.closeRequested && incident.shouldContinueAsNew) {
    await condition(allHandlersFinished);
    return 'continue-as-new';
  }
  if (!incident.closeRequested) incident.holdOpenEnded = true;
  // Closing withdraws pending approvals and ends watch windows; let what is mid-action finish.
  await incident.settled();

  const closer = incident.closeRequested;
  // What had been done, and the rollback a false positive or benign close offers.
  // (Closes from before dispositions replay without it.)
  const closure =
    closer && incident.state.closure && patched('closure-wrap-up') ? incident.state.closure : undefined;
  if (closure) await wrapUpClosure(incident, closer!);
  incident.state.status = 'closed';
  incident.state.closedAt = new Date().toISOString();
  await incident.announcePhase(
    'closed',
    closer
      ? `closed by ${closer.actor}${closure?.disposition ? ` as ${closure.disposition}` : ''}: ${closer.reason}`
      : 'closed automatically at the end of the hold-open window',
  );
  // The review's final version: with the close and everything before it (an early close too).
  if (incident.state.containedAt || closure?.early)
    await recordReview(incident, 'final post-incident review');
  await condition(allHandlersFinished);
  return 'closed';
}

/**
 * Nothing destructive happens by itself when the incident cannot vouch for its evidence: its only
 * evidence was pushed to the API (forgeable by whoever holds an ingest credential), or its
 * principal is on the protected list (the engine's own account, break-glass administrators). A
 * person confirms first (two people for a protected principal); evidence the engine pulls itself
 * decides it too. Unconfirmed, the incident records why and contains nothing.
 */
export async function containmentConfirmed(incident: Incident, what: string): Promise<boolean> {
  if (incident.automaticSeverity !== undefined) return true;
  const why = incident.state.protectedPrincipal
    ? `${incident.principal.username} is a protected principal`
    : 'the only evidence was pushed to the API, not read from the identity provider';
  const resolution = await awaitApproval(incident, {
    action: 'confirmContainment',
    summary: `confirm before acting (${why}): ${what}`.slice(0, 500),
    policy: CONFIRM_CONTAINMENT,
    until: () => !incident.state.protectedPrincipal && incident.automaticSeverity !== undefined,
  });
  if (goesAhead(resolution)) {
    // The person vouched for the evidence: later steps may act on the severity it had then.
    incident.state.confirmedSeverity = incident.state.severity;
    return true;
  }
  if (resolution === 'superseded') return true;
  incident.enterPhase(
    'containment-unverified',
    `nothing contained: containment not confirmed (${resolution})`,
  );
  await incident.notify(
    'containment-unverified',
    `${incident.principal.username}: containment not confirmed`,
  );
  return false;
}

/** Confirming containment the engine could not start by itself: a responder's call, within 15 minutes. */
const CONFIRM_CONTAINMENT: ApprovalPolicy = {
  autoApproveAt: 'never',
  timeoutMs: 15 * 60_000,
  escalations: 1,
  onTimeout: 'skip',
  quorum: 1,
};

/**
 * Every way in: the stolen password first (replaced by one nobody knows, a new password and second
 * factor required), then sessions, offline tokens and consents at once, then the account itself when
 * `disable` — so no session can be made with the known password between the cuts, and no state
 * hands the account to whoever holds it.
 */
export async function cutAccess(
  incident: Incident,
  principal: Principal,
  opts: { disable?: boolean } = {},
): Promise<void> {
  const who = principalLabel(principal);
  const passwordFirst = patched('stolen-password-first');
  if (passwordFirst) {
    await incident.act(
      'requireReauthentication',
      `replace the stolen password of ${who} and require a new password and OTP`,
      { principal },
    );
  }
  if (passwordFirst && patched('concurrent-containment')) {
    // With the password replaced, sessions and offline tokens depend on nothing but it: at once.
    // Not the account itself: a logout and a disable both write the user's record, and Keycloak
    // keeps whichever lands last whole (the account was seen enabled again) — one after the other.
    await incident.actTogether([
      { action: 'revokeSessions', summary: `revoke all sessions of ${who}`, extra: { principal } },
      {
        action: 'revokeOfflineAccess',
        summary: `revoke offline tokens and consents of ${who}`,
        extra: { principal },
      },
    ]);
    if (opts.disable) await incident.act('disableAccount', `disable the account of ${who}`, { principal });
    return;
  }
  await incident.act('revokeSessions', `revoke all sessions of ${who}`, { principal });
  await incident.act('revokeOfflineAccess', `revoke offline tokens and consents of ${who}`, { principal });
  if (!passwordFirst) {
    // Incidents that began before the stolen password was replaced first replay as they ran.
    await incident.act('requireReauthentication', `force password reset and OTP re-enrolment for ${who}`, {
      principal,
    });
  }
  if (opts.disable) await incident.act('disableAccount', `disable the account of ${who}`, { principal });
}
