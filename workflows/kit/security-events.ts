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
