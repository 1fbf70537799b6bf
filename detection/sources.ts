/**
 * Identity sources and where their collectors are: types shared by the configuration, the detector
 * workflow and the collector activities (kept here so none of them imports another for a type).
 */
import type { IdentityEvent } from './events';
import type { EventCursor } from '../providers/keycloak/connector';
import type { OktaCursor } from '../providers/okta/collector';
import type { EntraCursor } from '../providers/entra/collector';
import type { LabEventCursor } from '../lab/idp';

export interface DetectionSource {
  provider: IdentityEvent['provider'];
  tenant: string;
  /** Pull from the provider's event API (Keycloak, Okta) every `intervalMs`. */
  pull?: { intervalMs: number; lookbackMs?: number; pageSize?: number };
}

/** Where each kind of collector left off; kept in the detector workflow's state. */
export type PullCursor =
  | { provider: 'keycloak'; events: EventCursor; adminEvents: EventCursor }
  | { provider: 'okta'; page: OktaCursor }
  | { provider: 'entra'; page: EntraCursor }
  | { provider: 'lab'; page: LabEventCursor };

/** What became of an alert: an incident opened or joined, an alert kept, or no connector for it. */
export type RoutedAlert =
  | { action: 'opened' | 'joined'; incidentId: string }
  | { action: 'alert-only'; joinedIncidentId?: string }
  | { action: 'no-connector'; reason: string };
