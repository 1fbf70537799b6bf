/**
 * A deliberately non-deterministic edit of the compromised-credential playbook, for the replay
 * test: one extra activity before triage — the kind of change that, shipped without `patched`,
 * breaks every incident already running.
 */
import type { IncidentState } from '../../domain/incident';
import type { IncidentInput } from '../../workflows/definitions';
import { compromisedCredential as current } from '../../workflows/compromised-credential';
import { run } from '../../workflows/kit/activities';

export async function compromisedCredential(input: IncidentInput): Promise<IncidentState> {
  await run('notify', 'an extra step the recorded incidents never took', {
    incidentId: 'replay',
    kind: 'phase',
    severity: input.severity,
    message: 'extra',
  });
  return current(input);
}
