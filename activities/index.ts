/**
 * Everything playbooks do to the world goes through these activities, in groups: containment,
 * investigation and eradication, recovery, records. Built by a factory so the worker and the tests
 * wire real or different dependencies without globals. Provider work goes through the provider's
 * ports (providers/ports.ts); a port the provider lacks fails as "not supported by <provider>".
 */
import { containmentActivities } from './containment';
import { ActivityContext, type ActivityDeps } from './context';
import { eradicationActivities } from './eradication';
import { recordActivities } from './records';
import { recoveryActivities } from './recovery';
import { securityEventActivities } from './security-events';

export type { ActivityDeps } from './context';
export type * from './inputs';
export { isPublicAddress, type ReviewIndicators } from './records';

export function createActivities(deps: ActivityDeps) {
  const ctx = new ActivityContext(deps);
  return {
    ...containmentActivities(ctx),
    ...eradicationActivities(ctx),
    ...recoveryActivities(ctx),
    ...recordActivities(ctx),
    ...securityEventActivities(ctx),
  };
}

export type Activities = ReturnType<typeof createActivities>;
