/**
 * Detection's side effects: pulling events from identity providers (collectors) and turning alerts
 * into incidents. The detector workflow decides; these act.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { joinOpenIncident, openOrJoinIncident } from '../client/incidents';
import { incidentIdFor } from '../domain/principal-key';
import { PROVIDERS, type Alert, type Principal, type ProviderName } from '../domain/incident';
import type { IdentityEvent } from '../detection/events';
import { GeoIp } from '../detection/geoip';
import { normalizeBatch } from '../detection/normalize';
import { ROUTES } from '../detection/routing';
import type { DetectionAlert } from '../detection/rules';
import { IdentityProviderError } from './identity-provider';
import type { EventCursor, KeycloakProvider } from './keycloak/keycloak-provider';
import type { OktaCursor, OktaSystemLog } from './okta/system-log';
import type { EntraCursor, EntraSignIns } from './entra/sign-ins';

export interface DetectionActivityDeps {
  client: Client;
  taskQueue: string;
  keycloak?: KeycloakProvider;
  okta?: OktaSystemLog;
  entra?: EntraSignIns;
}

export interface KeycloakCursors {
  events: EventCursor;
  adminEvents: EventCursor;
}

export interface PulledEvents {
  events: IdentityEvent[];
  cursors: KeycloakCursors;
  /** Records that could not be normalized (kept out, counted). */
  rejected: number;
  more: boolean;
}

export type RoutedAlert =
  | { action: 'opened' | 'joined'; incidentId: string }
  | { action: 'alert-only'; joinedIncidentId?: string }
  | { action: 'no-connector'; reason: string };

export function createDetectionActivities(deps: DetectionActivityDeps) {
  return {
    /** One page of Keycloak login and admin events after the cursors, normalized. */
    async pullKeycloakEvents(input: {
      realm: string;
      cursors: KeycloakCursors;
      max: number;
    }): Promise<PulledEvents> {
      if (!deps.keycloak) {
        throw ApplicationFailure.nonRetryable(
          'the worker has no Keycloak connection (KEYCLOAK_URL)',
          'ProviderNotConfigured',
        );
      }
      const [events, admin] = await asFailure(() =>
        Promise.all([
          deps.keycloak!.pullEvents(input.realm, 'events', input.cursors.events, input.max),
          deps.keycloak!.pullEvents(input.realm, 'admin-events', input.cursors.adminEvents, input.max),
        ]),
      );
      const receivedAt = new Date().toISOString();
      const batch = normalizeBatch('keycloak', [...events.records, ...admin.records], { receivedAt });
      // Keycloak's REST events name the realm by its internal id; the source names it by name.
      const geo = await GeoIp.shared();
      const normalized = batch.events.map((e) => geo.enrich({ ...e, tenant: input.realm }));
      normalized.sort((a, b) => a.time.localeCompare(b.time));
      return {
        events: normalized,
        cursors: { events: events.cursor, adminEvents: admin.cursor },
        rejected: batch.rejected.length,
        more: events.more || admin.more,
      };
    },

    /** One page of Okta System Log events after the cursor (a polling request), normalized. */
    async pullOktaEvents(input: { tenant: string; cursor: OktaCursor; max: number }) {
      if (!deps.okta) {
        throw ApplicationFailure.nonRetryable(
          'the worker has no Okta connection (OKTA_ORG_URL, OKTA_API_TOKEN)',
          'ProviderNotConfigured',
        );
      }
      const page = await asFailure(() => deps.okta!.pull(input.cursor, input.max));
      const batch = normalizeBatch('okta', page.records, { receivedAt: new Date().toISOString() });
      const geo = await GeoIp.shared();
      return {
        events: batch.events.map((e) => geo.enrich({ ...e, tenant: e.tenant ?? input.tenant })),
        cursor: page.cursor,
        rejected: batch.rejected.length,
        more: page.records.length >= input.max,
      };
    },

    /** Entra ID sign-ins after the cursor (Microsoft Graph), normalized and enriched. */
    async pullEntraSignIns(input: { tenant: string; cursor: EntraCursor; max: number }) {
      if (!deps.entra) {
        throw ApplicationFailure.nonRetryable(
          'the worker has no Entra connection (ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET)',
          'ProviderNotConfigured',
        );
      }
      const page = await asFailure(() => deps.entra!.pull(input.cursor, input.max));
      const batch = normalizeBatch('entra', page.records, { receivedAt: new Date().toISOString() });
      const geo = await GeoIp.shared();
      return {
        events: batch.events.map((e) => geo.enrich({ ...e, tenant: e.tenant ?? input.tenant })),
        cursor: page.cursor,
        rejected: batch.rejected.length,
        more: page.more,
      };
    },

    /** Opens or joins the incident an alert routes to, or records it as alert-only. */
    /** `events` are the events that triggered the alert: the incident keeps them as evidence. */
    async routeAlert(alert: DetectionAlert, events: IdentityEvent[] = []): Promise<RoutedAlert> {
      const route = ROUTES[alert.rule];
      const principal = toPrincipal(alert);
      const incidentAlert: Alert = {
        id: alert.id,
        source: `detection:${alert.rule}`,
        severity: alert.severity,
        summary: alert.summary,
        raisedAt: alert.time,
        reportedBy: 'detector',
        eventIds: alert.eventIds,
        events,
      };
      if (route === 'alert-only') {
        if (!principal) return { action: 'alert-only' };
        const joined = await joinOpenIncident(deps.client, principal, incidentAlert);
        return joined
          ? { action: 'alert-only', joinedIncidentId: incidentIdFor(principal) }
          : { action: 'alert-only' };
      }
      if (!alert.principal) return { action: 'alert-only' }; // about an IP or a tenant: nobody to contain
      if (!principal)
        return { action: 'no-connector', reason: `no connector for ${alert.principal.provider} yet` };
      const receipt = await openOrJoinIncident(deps.client, deps.taskQueue, {
        playbook: route,
        principal,
        severity: alert.severity,
        summary: alert.summary,
        openedBy: 'detector',
        alert: incidentAlert,
      });
      return { action: receipt.joined ? 'joined' : 'opened', incidentId: receipt.incidentId };
    },
  };
}

export type DetectionActivities = ReturnType<typeof createDetectionActivities>;

function toPrincipal(alert: DetectionAlert): Principal | undefined {
  const p = alert.principal;
  if (!p?.tenant || !(PROVIDERS as readonly string[]).includes(p.provider)) return undefined;
  return { provider: p.provider as ProviderName, realm: p.tenant, username: p.username };
}

/** Provider errors become Temporal failures: retryable or not, honouring the provider's wait. */
async function asFailure<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof IdentityProviderError) {
      throw ApplicationFailure.create({
        type: err.type,
        message: err.message,
        nonRetryable: !err.retryable,
        nextRetryDelay: err.retryAfterMs,
      });
    }
    throw err;
  }
}
