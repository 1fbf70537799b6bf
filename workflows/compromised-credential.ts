/**
 * Playbook: compromised credential.
 *
 * Someone else holds this person's password or tokens. Snapshot what containment would destroy,
 * then cut every way in (sessions, offline tokens, password, second factor), disable the account
 * when policy or a human says so, and prove that containment holds before calling it contained.
 */
import { condition, continueAsNew, allHandlersFinished, sleep } from '@temporalio/workflow';
import {
  principalLabel,
  type ContainmentVerification,
  type Finding,
  type IncidentState,
} from '../domain/incident';
import {
  CompromisedCredentialPolicy,
  CompromisedCredentialPolicyOverrides,
  DEFAULT_COMPROMISED_CREDENTIAL_POLICY,
} from '../domain/policy';
import type { IncidentInput } from './definitions';
import { run, runDetection } from './kit/activities';
import { awaitApproval, goesAhead } from './kit/approvals';
import { failureText, Incident } from './kit/incident';
import { describeFinding } from '../domain/review';

const DEFAULT_LOOKBACK_MS = 7 * 24 * 60 * 60_000;
const INDICATOR_TTL_MS = 30 * 24 * 60 * 60_000;

export async function compromisedCredential(input: IncidentInput): Promise<IncidentState> {
  const policy = resolvePolicy(input.policy);
  const incident = new Incident(input);
  const who = principalLabel(input.principal);

  if (!input.carried) {
    // Triage
    incident.log(
      'alert',
      `incident opened by ${input.openedBy}: ${input.summary}`,
      input.openedBy,
      input.alert?.origin,
    );
    incident.addEvidence(
      await run('recordEvidence', `record the alert that opened the incident on ${who}`, {
        evidenceId: incident.state.evidenceId,
        kind: 'alert',
        content: input.alert,
      }),
      'alert recorded',
    );

    // Evidence before any destructive step
    incident.enterPhase('evidence', `snapshot sessions, consents, credentials, roles and events of ${who}`);
    const snapshot = await run('snapshotEvidence', `snapshot what containment would destroy for ${who}`, {
      evidenceId: incident.state.evidenceId,
      principal: input.principal,
      lookbackMs: input.evidenceLookbackMs ?? DEFAULT_LOOKBACK_MS,
    });
    const c = snapshot.counts;
    incident.addEvidence(
      snapshot.ref,
      `pre-containment snapshot: ${c.sessions} session(s), ${c.offlineSessions} offline session(s), ` +
        `${c.consents} consent(s), ${c.credentials} credential(s), ${c.loginEvents} login event(s)`,
    );

    // Contain
    incident.enterPhase('contain', `cut every way into ${who}`);
    await incident.act('revokeSessions', `revoke all sessions of ${who}`);
    await incident.act('revokeOfflineAccess', `revoke offline tokens and consents of ${who}`);
    await incident.act('requireReauthentication', `force password reset and OTP re-enrolment for ${who}`);

    const resolution = await awaitApproval(incident, {
      action: 'disableAccount',
      summary: `disable the account of ${who}`,
      policy: policy.disableAccount,
    });
    const disable = goesAhead(resolution);
    if (disable) await incident.act('disableAccount', `disable the account of ${who}`);
    else incident.skip('disableAccount', `approval resolved as ${resolution}`);
    const containedAt = new Date().toISOString();

    // Verify: containment is proven, never assumed
    incident.enterPhase('verify', `check that containment of ${who} holds`);
    const verification = await verify(incident, {
      evidenceId: incident.state.evidenceId,
      principal: input.principal,
      containedAt,
      accountDisabled:
        disable && incident.state.actions.some((a) => a.action === 'disableAccount' && a.status === 'done'),
      suspectTokenRefs: input.suspectTokenRefs ?? [],
    });
    const failedActions = incident.state.actions.filter((a) => a.status === 'failed').map((a) => a.action);
    if (verification.verified && failedActions.length === 0) {
      incident.state.containedAt = containedAt;
      incident.enterPhase('contained', `containment verified: ${verification.checks.length} checks passed`);
      await incident.notify('contained', `${who} contained and verified`);
      const holdOpenLeft = Date.parse(incident.state.openedAt) + policy.holdOpenMs - Date.now();
      void sleep(Math.max(0, holdOpenLeft)).then(() => (incident.holdOpenEnded = true));
      await afterContainment(incident, input, policy, snapshot.ref.objectHash);
    } else {
      const failed = verification.checks.filter((x) => !x.ok).map((x) => `${x.name} (${x.detail})`);
      const why = [...failed, ...failedActions.map((a) => `${a} failed`)].join('; ');
      incident.enterPhase('containment-unverified', `containment NOT verified: ${why}`);
      await incident.notify('containment-unverified', `containment of ${who} NOT verified: ${why}`);
    }
  }

  // Stay open for investigation and for later alerts about the same principal to join.
  const closeBy = Date.parse(incident.state.openedAt) + policy.holdOpenMs;
  await condition(
    () => incident.closeRequested !== undefined || incident.shouldContinueAsNew,
    Math.max(0, closeBy - Date.now()),
  );
  if (!incident.closeRequested && incident.shouldContinueAsNew) {
    await condition(allHandlersFinished);
    return continueAsNew<typeof compromisedCredential>({ ...input, carried: incident.state });
  }

  const closer = incident.closeRequested;
  incident.state.status = 'closed';
  incident.state.closedAt = new Date().toISOString();
  await incident.announcePhase(
    'closed',
    closer
      ? `closed by ${closer.actor}: ${closer.reason}`
      : 'closed automatically at the end of the hold-open window',
  );
  // The review's final version: with the close and everything before it.
  if (incident.state.containedAt) await recordReview(incident, 'final post-incident review');
  await condition(allHandlersFinished);
  return incident.state;
}

async function verify(
  incident: Incident,
  input: Parameters<typeof run<'verifyContainment'>>[2],
): Promise<ContainmentVerification> {
  try {
    const { verification, ref } = await run(
      'verifyContainment',
      `verify containment of ${principalLabel(input.principal)}`,
      input,
    );
    incident.state.verification = verification;
    incident.addEvidence(ref, `containment verification: ${verification.verified ? 'holds' : 'FAILED'}`);
    for (const check of verification.checks)
      incident.log('verification', `${check.ok ? 'ok' : 'FAIL'} ${check.name}: ${check.detail}`);
    return verification;
  } catch (err) {
    const detail = failureText(err);
    const verification: ContainmentVerification = {
      verified: false,
      checkedAt: new Date().toISOString(),
      checks: [{ name: 'verification-ran', ok: false, detail: `verification could not run: ${detail}` }],
    };
    incident.state.verification = verification;
    incident.log('verification', `FAIL verification-ran: ${detail}`);
    return verification;
  }
}

function resolvePolicy(overrides: CompromisedCredentialPolicyOverrides = {}): CompromisedCredentialPolicy {
  const d = DEFAULT_COMPROMISED_CREDENTIAL_POLICY;
  return {
    ...d,
    ...overrides,
    disableAccount: { ...d.disableAccount, ...overrides.disableAccount },
    eradicate: { ...d.eradicate, ...overrides.eradicate },
    reinstate: { ...d.reinstate, ...overrides.reinstate },
  };
}

/**
 * After verified containment: investigate the window, eradicate what the attacker added (with
 * approval per policy), reinstate the person after a quiet watch window and an approval, and write
 * the review. A close request ends it wherever it is.
 */
async function afterContainment(
  incident: Incident,
  input: IncidentInput,
  policy: CompromisedCredentialPolicy,
  snapshotHash: string,
): Promise<void> {
  const who = principalLabel(input.principal);
  const { state } = incident;
  const closing = () => incident.closing;

  // Investigate (read-only)
  await incident.announcePhase('investigate', `trace what happened to ${who} and what it can reach`);
  const since =
    input.compromisedSince ??
    new Date(Date.parse(state.openedAt) - policy.investigationLookbackMs).toISOString();
  let findings: Finding[] = [];
  try {
    const { ref, summary } = await run('investigate', `investigate ${who} since ${since}`, {
      evidenceId: state.evidenceId,
      principal: input.principal,
      since,
      until: new Date().toISOString(),
      snapshotHash,
    });
    state.investigation = summary;
    findings = summary.findings;
    incident.addEvidence(ref, `investigation report: ${findings.length} finding(s)`);
    for (const f of findings) incident.log('note', `finding: ${describeFinding(f)}`);
  } catch (err) {
    incident.log('note', `investigation FAILED: ${failureText(err)}; eradication skipped`);
    incident.publish();
    return;
  }
  if (closing()) return;

  // Eradicate
  const plan = findings.filter((f) => 'remedy' in f && f.remedy);
  if (plan.length) {
    await incident.announcePhase('eradicate', `close the ${plan.length} way(s) in the investigation found`);
    const summary = `eradicate for ${who}: ${plan.map(describeFinding).join('; ')}`.slice(0, 500);
    const resolution = await awaitApproval(incident, {
      action: 'eradicate',
      summary,
      policy: policy.eradicate,
    });
    if (goesAhead(resolution)) {
      const outcome = await incident.act('eradicate', `eradicate for ${who}`, {
        plan,
        evidenceId: state.evidenceId,
      });
      if (outcome) state.eradicatedAt = new Date().toISOString();
    } else incident.skip('eradicate', `approval resolved as ${resolution}`);
  } else {
    incident.log('note', 'investigation found nothing to eradicate');
    state.eradicatedAt = new Date().toISOString();
  }
  if (closing()) return;

  // Recover: only what this incident disabled, after a quiet watch window and an approval.
  const disabled = state.actions.some((a) => a.action === 'disableAccount' && a.status === 'done');
  if (disabled) {
    await incident.announcePhase(
      'recover',
      `watch ${who} for ${Math.round(policy.recoveryWatchMs / 1000)} s before reinstating`,
    );
    const alertsBefore = state.alerts.length;
    await condition(() => closing() || state.alerts.length > alertsBefore, policy.recoveryWatchMs);
    if (closing()) return;
    if (state.alerts.length > alertsBefore) {
      incident.log('note', `recovery held: a new detection about ${who} arrived during the watch window`);
    } else {
      const resolution = await awaitApproval(incident, {
        action: 'reinstateAccount',
        summary: `reinstate ${who} (password reset and MFA enrolment at next login)`,
        policy: policy.reinstate,
      });
      if (goesAhead(resolution)) {
        const outcome = await incident.act('reinstateAccount', `reinstate ${who}`, {
          containedAt: state.containedAt,
        });
        if (outcome) {
          state.recoveredAt = new Date().toISOString();
          await incident.announcePhase('recovered', `${who} reinstated`);
        }
      } else incident.skip('reinstateAccount', `approval resolved as ${resolution}`);
    }
  }
  if (closing()) return;
  await writeReview(incident);
}

async function writeReview(incident: Incident): Promise<void> {
  incident.enterPhase('review', 'write the post-incident review');
  const indicators = await recordReview(incident, 'post-incident review');
  if (!indicators?.ips.length) return;
  // Fed back into detection: a later login from these addresses raises an alert.
  const { principal } = incident.state;
  const watch = await runDetection(
    'publishIndicators',
    `watch ${indicators.ips.length} address(es) in detection`,
    {
      provider: principal.provider,
      tenant: principal.realm,
      ips: indicators.ips,
      until: new Date(Date.now() + INDICATOR_TTL_MS).toISOString(),
      incidentId: incident.state.incidentId,
    },
  ).catch(() => ({ published: false }));
  incident.log(
    'note',
    watch.published
      ? `detection now watches ${indicators.ips.join(', ')} for 30 days`
      : `no detector runs for ${principal.provider} '${principal.realm}': indicators kept in the review only`,
  );
}

/** Builds the review from the current state into the evidence chain; returns its indicators. */
async function recordReview(incident: Incident, what: string) {
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
