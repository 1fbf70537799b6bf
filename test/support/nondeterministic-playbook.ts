/**
 * A deliberately non-deterministic edit of the playbooks, for the replay test: one extra activity
 * before triage — the kind of change that, shipped without `patched`, breaks every incident
 * already running.
 */
import type { IncidentState } from '../../domain/incident';
import type { IncidentInput } from '../../workflows/definitions';
import * as current from '../../workflows';
import { run } from '../../workflows/kit/activities';

function withExtraStep(playbook: (input: IncidentInput) => Promise<IncidentState>) {
  return async (input: IncidentInput): Promise<IncidentState> => {
    await run('notify', 'an extra step the recorded incidents never took', {
      incidentId: 'replay',
      kind: 'phase',
      severity: input.severity,
      message: 'extra',
    });
    return playbook(input);
  };
}

export const compromisedCredential = withExtraStep(current.compromisedCredential);
export const privilegeEscalation = withExtraStep(current.privilegeEscalation);
export const sessionHijack = withExtraStep(current.sessionHijack);
export const mfaFatigue = withExtraStep(current.mfaFatigue);
export const leakedClientSecret = withExtraStep(current.leakedClientSecret);
export const signingKeyCompromise = withExtraStep(current.signingKeyCompromise);
