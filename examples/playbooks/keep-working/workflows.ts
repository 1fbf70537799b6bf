/**
 * keep-working: evidence first, then cut every way in (password replaced, sessions, offline tokens
 * and consents revoked) without disabling the account, prove it holds, and stay open for the
 * investigation and for later alerts. Workflow code: only the kit and @temporalio/workflow.
 */
import {
  concludeContainment,
  containmentConfirmed,
  cutAccess,
  Incident,
  type IncidentInput,
  type IncidentState,
  principalLabel,
  recordOpening,
  runPlaybook,
  snapshotPrincipal,
  verify,
} from '../../../kit/workflow';

const HOLD_OPEN_MS = 7 * 24 * 3600_000;

export async function keepWorking(input: IncidentInput): Promise<IncidentState> {
  const incident = new Incident(input);
  const who = principalLabel(input.principal);
  return runPlaybook(incident, input, HOLD_OPEN_MS, async () => {
    await recordOpening(incident, input, who);

    incident.enterPhase('evidence', `snapshot sessions, consents, credentials and events of ${who}`);
    await snapshotPrincipal(incident, input.principal, input.evidenceLookbackMs);

    incident.enterPhase('contain', `cut every way into ${who}; the account stays enabled`);
    if (!(await containmentConfirmed(incident, `cut every way into ${who}`))) return;
    await cutAccess(incident, input.principal, { disable: false });
    const containedAt = new Date().toISOString();

    incident.enterPhase('verify', `check that containment of ${who} holds`);
    const verification = await verify(incident, {
      evidenceId: incident.state.evidenceId,
      principal: input.principal,
      containedAt,
      accountDisabled: false,
      suspectTokenRefs: input.suspectTokenRefs ?? [],
    });
    await concludeContainment(
      incident,
      verification,
      {
        contained: `containment verified (${verification.checks.length} checks); ${who} signs in again with a new password and second factor`,
        notContained: `containment NOT verified: ${verification.checks
          .filter((c) => !c.ok)
          .map((c) => c.name)
          .join(', ')}`,
      },
      containedAt,
    );
  });
}
