/**
 * Detection's side effects: pulling events from identity providers (collectors) and turning alerts
 * into incidents. The detector workflow decides; these act.
 */
import type { EngineConfig } from '../config/config';
import { activityInfo, ApplicationFailure, log } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { addIndicatorsUpdate, detectorId, detectorShards } from '../workflows/detector-api';
import type { DetectionSource, PullCursor, RoutedAlert } from '../detection/sources';
export type { PullCursor, RoutedAlert };
import { joinOpenIncident, openOrJoinIncident } from '../client/incidents';
import { incidentIdFor } from '../domain/principal-key';
import {
  isProtectedPrincipal,
  PROVIDERS,
  type Alert,
  type Principal,
  type ProviderName,
} from '../domain/incident';
import type { IdentityEvent } from '../detection/events';
import { GeoIp } from '../detection/geoip';
import { normalizeBatch } from '../detection/normalize';
import { ROUTES } from '../detection/routing';
import type { DetectionAlert } from '../detection/rules';
import { asActivityFailure } from './failures';
import type { KeycloakProvider } from '../providers/keycloak/connector';
import type { AccountIdentity, IdentityProvider } from '../providers/ports';
import type { OktaSystemLog } from '../providers/okta/collector';
import type { EntraSignIns } from '../providers/entra/collector';
import type { LabEventCursor } from '../lab/idp';

/** Reads the lab identity provider's event log (the lab connector does). */
export interface LabEventSource {
  pullEvents(
    cursor: LabEventCursor,
    max: number,
  ): { records: unknown[]; cursor: LabEventCursor; more: boolean };
}

export interface DetectionActivityDeps {
  client: Client;
  taskQueue: string;
  keycloak?: KeycloakProvider;
  okta?: OktaSystemLog;
  entra?: EntraSignIns;
  /** The lab identity provider, when the worker was given one explicitly. */
  lab?: LabEventSource;
  /** Policy overrides for incidents detection opens, per playbook (PLAYBOOK_POLICIES). */
  playbookPolicies?: EngineConfig['playbookPolicies'];
  /** Principals never contained automatically (PROTECTED_PRINCIPALS). */
  protectedPrincipals?: EngineConfig['protectedPrincipals'];
  approverRoutes?: EngineConfig['approverRoutes'];
  /** The connectors that know each provider's accounts: an alert's principal is named canonically. */
  providers?: Partial<Record<ProviderName, IdentityProvider | undefined>>;
  /** DETECTION_SHARDS: a sharded source's indicators go to each of its detectors. */
  detectionShards?: number;
  /** Rules playbook packages route to their own playbooks (PLAYBOOK_PACKAGES). */
  playbookRoutes?: EngineConfig['playbookRoutes'];
}

export interface PulledEvents {
  events: IdentityEvent[];
  cursor: PullCursor;
  /** Records that could not be normalized (kept out, counted). */
  rejected: number;
  more: boolean;
}

export function createDetectionActivities(deps: DetectionActivityDeps) {
  return {
    /**
     * The next page of a source's events after `cursor`, normalized, GeoIP-enriched and oldest
     * first, with the cursor to continue from. One activity for every collector.
     */
    async pullEvents(input: { tenant: string; cursor: PullCursor; max: number }): Promise<PulledEvents> {
      const page = await asActivityFailure(() => pullPage(deps, input.tenant, input.cursor, input.max));
      const batch = normalizeBatch(input.cursor.provider, page.records, {
        receivedAt: new Date().toISOString(),
      });
      const geo = await GeoIp.shared();
      // Keycloak's REST events name the realm by its internal id; the source names it by name.
      const tenantOf = (e: IdentityEvent) =>
        input.cursor.provider === 'keycloak' ? input.tenant : (e.tenant ?? input.tenant);
      const events = batch.events.map((e) => geo.enrich({ ...e, tenant: tenantOf(e) }));
      events.sort((a, b) => a.time.localeCompare(b.time));
      return { events, cursor: page.cursor, rejected: batch.rejected.length, more: page.more };
    },

    /** Opens or joins the incident an alert routes to, or records it as alert-only. */
    /** `events` are the events that triggered the alert: the incident keeps them as evidence. */
    /**
     * Hands a review's indicators to the detector of the principal's source, if one runs there
     * (a source without a detector has nothing to watch with: the review keeps them).
     */
    async publishIndicators(input: {
      provider: string;
      tenant: string;
      ips: string[];
      clients?: string[];
      userAgents?: string[];
      until: string;
      incidentId: string;
    }): Promise<{ published: boolean; watched?: number; asns?: number[] }> {
      if (!input.ips.length && !input.clients?.length && !input.userAgents?.length)
        return { published: false };
      const source = { provider: input.provider as DetectionSource['provider'], tenant: input.tenant };
      // The source's own detector (it pulls, or takes unsharded pushes), and its shards if sharded.
      const ids = [
        ...new Set(
          [undefined, ...detectorShards(deps.detectionShards)].map((shard) => detectorId(source, shard)),
        ),
      ];
      // The attacker's networks, from the offline ASN table.
      const geo = await GeoIp.shared();
      const asns = [
        ...new Set(input.ips.map((ip) => geo.lookup(ip)?.asn).filter((a): a is number => a !== undefined)),
      ];
      const request = {
        ips: input.ips,
        clients: input.clients,
        userAgents: input.userAgents,
        asns,
        until: input.until,
        incidentId: input.incidentId,
      };
      let watched: number | undefined;
      for (const id of ids) {
        try {
          const answer = await deps.client.workflow
            .getHandle(id)
            .executeUpdate(addIndicatorsUpdate, { args: [request] });
          watched = Math.max(watched ?? 0, answer.watched);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError)) throw err;
        }
      }
      return watched === undefined ? { published: false } : { published: true, watched, asns };
    },

    async routeAlert(alert: DetectionAlert, events: IdentityEvent[] = []): Promise<RoutedAlert> {
      const route = deps.playbookRoutes?.[alert.rule] ?? ROUTES[alert.rule];
      const named = toPrincipal(alert);
      const identity = named && (await identifyOrFallBack(deps, named));
      // One account, one incident: by its login, whichever of its names (id, email) the alert carried.
      const principal = named && identity ? { ...named, username: identity.username } : named;
      const protectedNames = identity ? [identity.username, ...identity.aliases] : [];
      const incidentAlert: Alert = {
        id: alert.id,
        source: `detection:${alert.rule}`,
        severity: alert.severity,
        summary: alert.summary,
        raisedAt: alert.time,
        reportedBy: 'detector',
        ...(alert.evidence ? { evidence: alert.evidence } : {}),
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
      if (!deps.providers?.[principal.provider])
        return {
          action: 'no-connector',
          reason: `this worker has no ${principal.provider} connector configured`,
        };
      const receipt = await openOrJoinIncident(deps.client, deps.taskQueue, {
        playbook: route,
        principal,
        severity: alert.severity,
        summary: alert.summary,
        openedBy: 'detector',
        alert: incidentAlert,
        policy: deps.playbookPolicies?.[route],
        ...(deps.approverRoutes?.length ? { approverRoutes: deps.approverRoutes } : {}),
        ...([principal.username, ...protectedNames].some((username) =>
          isProtectedPrincipal({ ...principal, username }, deps.protectedPrincipals),
        )
          ? { protectedPrincipal: true }
          : {}),
      });
      return { action: receipt.joined ? 'joined' : 'opened', incidentId: receipt.incidentId };
    },
  };
}

export type DetectionActivities = ReturnType<typeof createDetectionActivities>;

/**
 * The account an alert names, by its login. A provider that cannot answer is asked again (the
 * activity's retries) a few times; then the alert is routed by the name it carried rather than held
 * back from an incident.
 */
async function identifyOrFallBack(
  deps: DetectionActivityDeps,
  p: Principal,
): Promise<AccountIdentity | undefined> {
  try {
    return await asActivityFailure(() => identify(deps, p));
  } catch (err) {
    if (activityInfo().attempt < 3) throw err;
    // No account name in logs: the alert keeps it (encrypted, in history).
    log.warn(
      `routeAlert: could not identify a ${p.provider} account; routing by the name the alert carried`,
      {
        error: (err as { type?: string }).type ?? (err as Error).name,
      },
    );
    return undefined;
  }
}

/** The account an alert's principal names, if its provider's connector knows it. */
async function identify(deps: DetectionActivityDeps, p: Principal): Promise<AccountIdentity | undefined> {
  const audit = Object.hasOwn(deps.providers ?? {}, p.provider)
    ? deps.providers?.[p.provider]?.ports['audit-source']
    : undefined;
  return audit?.identify(p);
}

function toPrincipal(alert: DetectionAlert): Principal | undefined {
  const p = alert.principal;
  if (!p?.tenant || !(PROVIDERS as readonly string[]).includes(p.provider)) return undefined;
  return { provider: p.provider as ProviderName, realm: p.tenant, username: p.username };
}

async function pullPage(
  deps: DetectionActivityDeps,
  tenant: string,
  cursor: PullCursor,
  max: number,
): Promise<{ records: unknown[]; cursor: PullCursor; more: boolean }> {
  const missing = (what: string) =>
    ApplicationFailure.nonRetryable(`the worker has no ${what} connection`, 'ProviderNotConfigured');
  switch (cursor.provider) {
    case 'keycloak': {
      if (!deps.keycloak) throw missing('Keycloak (KEYCLOAK_URL)');
      const [events, admin] = await Promise.all([
        deps.keycloak.pullEvents(tenant, 'events', cursor.events, max),
        deps.keycloak.pullEvents(tenant, 'admin-events', cursor.adminEvents, max),
      ]);
      return {
        records: [...events.records, ...admin.records],
        cursor: { provider: 'keycloak', events: events.cursor, adminEvents: admin.cursor },
        more: events.more || admin.more,
      };
    }
    case 'okta': {
      if (!deps.okta) throw missing('Okta (OKTA_ORG_URL, OKTA_API_TOKEN)');
      const page = await deps.okta.pull(cursor.page, max);
      return {
        records: page.records,
        cursor: { provider: 'okta', page: page.cursor },
        more: page.records.length >= max,
      };
    }
    case 'entra': {
      if (!deps.entra) throw missing('Entra ID (ENTRA_TENANT_ID, ENTRA_CLIENT_ID, ENTRA_CLIENT_SECRET)');
      const page = await deps.entra.pull(cursor.page, max);
      return { records: page.records, cursor: { provider: 'entra', page: page.cursor }, more: page.more };
    }
    case 'lab': {
      if (!deps.lab) throw missing('lab identity provider (LAB_IDP)');
      const page = deps.lab.pullEvents(cursor.page, max);
      return { records: page.records, cursor: { provider: 'lab', page: page.cursor }, more: page.more };
    }
  }
}
