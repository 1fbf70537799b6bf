/**
 * The shape every playbook shares, so each reads as its runbook: respond once (opening, evidence,
 * containment, what follows) unless this run carries an earlier run's state; end containment as
 * contained or not, said the same way everywhere; then hold the incident open until a person
 * closes it or the window ends, continuing as new when history grows long. And the step most
 * runbooks repeat: ask, then act — or record why not.
 */
import { continueAsNew } from '@temporalio/workflow';
import type { ActionOutcome, ContainmentVerification, IncidentState, Principal } from '../../domain/incident';
import type { ActionInput } from '../../activities';
import type { IncidentInput } from '../definitions';
import { awaitApproval, goesAhead } from './approvals';
import type { Incident, ProviderAction } from './incident';
import type { ActionName } from '../../domain/incident';
import { holdOpenThenClose } from './steps';
import { requestEarlyClose, respondUnlessStopped } from './close';

/** Runs `respond` on a fresh incident, then holds it open; the playbook's whole outline. */
export async function runPlaybook(
  incident: Incident,
  input: IncidentInput,
  holdOpenMs: number,
  respond: () => Promise<void>,
): Promise<IncidentState> {
  incident.allowEarlyClose((req, requested) => requestEarlyClose(incident, req, requested));
  if (!input.carried) await respondUnlessStopped(incident, respond);
  if ((await holdOpenThenClose(incident, holdOpenMs)) === 'continue-as-new') {
    // The same workflow type, fresh history, the incident's state carried over.
    return continueAsNew<(i: IncidentInput) => Promise<IncidentState>>({ ...input, carried: incident.state });
  }
  return incident.state;
}

/**
 * Containment's verdict: the verification kept on the incident, `contained` (with its time) only
 * when every check passed, the phase and the responders told either way. Returns the verdict.
 */
export async function concludeContainment(
  incident: Incident,
  verification: ContainmentVerification,
  says: { contained: string; notContained: string; notify?: { contained: string; notContained: string } },
  containedAt = new Date().toISOString(),
): Promise<boolean> {
  const { verified } = verification;
  incident.state.verification = verification;
  if (verified) incident.state.containedAt = containedAt;
  incident.enterPhase(
    verified ? 'contained' : 'containment-unverified',
    verified ? says.contained : says.notContained,
  );
  const notify = says.notify ?? says;
  await incident.notify(
    verified ? 'contained' : 'containment-unverified',
    verified ? notify.contained : notify.notContained,
  );
  return verified;
}

/** A verification from checks a playbook made itself (read back, or the outcome of its actions). */
export function verdictOf(checks: ContainmentVerification['checks']): ContainmentVerification {
  return { verified: checks.every((c) => c.ok), checkedAt: new Date().toISOString(), checks };
}

/** Asks for `request`: true when it goes ahead, else the step is recorded `skipped` with the resolution. */
export async function approved(
  incident: Incident,
  request: Parameters<typeof awaitApproval>[1],
  skipped: { action: ActionName; principal?: Principal } = { action: request.action },
): Promise<boolean> {
  const resolution = await awaitApproval(incident, request);
  if (goesAhead(resolution)) return true;
  incident.skip(skipped.action, `approval resolved as ${resolution}`, skipped.principal);
  return false;
}

/** Asks for `request`, then runs `act` when it goes ahead: what `act` returned, or undefined. */
export async function approveThen<T>(
  incident: Incident,
  request: Parameters<typeof awaitApproval>[1],
  act: () => Promise<T>,
  skipped: { action: ActionName; principal?: Principal } = { action: request.action },
): Promise<T | undefined> {
  return (await approved(incident, request, skipped)) ? act() : undefined;
}

/** Asks for `request`, then one provider action (skipped under that action's name when refused). */
export function approveThenAct(
  incident: Incident,
  request: Parameters<typeof awaitApproval>[1],
  action: ProviderAction,
  summary: string,
  extra: Partial<ActionInput> = {},
): Promise<ActionOutcome | undefined> {
  return approveThen(incident, request, () => incident.act(action, summary, extra), {
    action,
    principal: extra.principal,
  });
}
