/**
 * Playbook: compromised credential.
 *
 * Someone else holds this person's password or tokens. Snapshot what containment would destroy,
 * then cut every way in (sessions, offline tokens, password, second factor), disable the account
 * when policy or a human says so, and prove that containment holds before calling it contained.
 */
import { condition, continueAsNew, allHandlersFinished } from '@temporalio/workflow';
import { principalLabel, type ContainmentVerification, type IncidentState } from '../domain/incident';
import {
  CompromisedCredentialPolicy,
  CompromisedCredentialPolicyOverrides,
  DEFAULT_COMPROMISED_CREDENTIAL_POLICY,
} from '../domain/policy';
import type { IncidentInput } from './definitions';
import { run } from './kit/activities';
import { awaitApproval, goesAhead } from './kit/approvals';
import { Incident } from './kit/incident';

const DEFAULT_LOOKBACK_MS = 7 * 24 * 60 * 60_000;

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
  incident.enterPhase(
    'closed',
    closer
      ? `closed by ${closer.actor}: ${closer.reason}`
      : 'closed automatically at the end of the hold-open window',
  );
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
    const detail =
      err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err);
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
  return {
    ...DEFAULT_COMPROMISED_CREDENTIAL_POLICY,
    ...overrides,
    disableAccount: { ...DEFAULT_COMPROMISED_CREDENTIAL_POLICY.disableAccount, ...overrides.disableAccount },
  };
}
