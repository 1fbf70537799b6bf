/**
 * Records and reports: non-secret incident facts into the evidence chain, the post-incident review
 * from verified evidence, notifications, and the permissions doctor.
 */
import { activityInfo } from '@temporalio/activity';
import type { EvidenceRef, IncidentState } from '../domain/incident';
import { PORTS, type ProviderReport } from '../domain/ports';
import { buildReview } from '../domain/review';
import { verifyIncidentEvidence } from '../evidence/store';
import type { InvestigationReport } from '../providers/ports';
import type { ActivityContext } from './context';
import type { EvidenceInput } from './inputs';
import type { Notification } from './notifier';

export function recordActivities(ctx: ActivityContext) {
  const deps = ctx.deps;
  return {
    /**
     * The permissions doctor: for each provider and tenant, which ports the worker's credentials
     * allow. A provider this worker has no connector for is reported as such, never skipped.
     */
    async checkProviders(input: {
      targets: { provider: string; tenant: string }[];
    }): Promise<ProviderReport[]> {
      return Promise.all(
        input.targets.map(async ({ provider, tenant }) => {
          const own = <T>(map: Partial<Record<string, T>> | undefined) =>
            map && Object.hasOwn(map, provider) ? map[provider] : undefined;
          const connector = own(deps.providers);
          if (!connector)
            return uncheckable(
              provider,
              tenant,
              'not-supported',
              `not supported by ${provider}: this worker has no ${provider} connector`,
            );
          // One tenant that cannot be checked (no such realm, provider down) is a finding, not a failure.
          return connector
            .checkPermissions(tenant)
            .catch((err: Error) =>
              uncheckable(provider, tenant, 'missing', `could not be checked: ${err.message.slice(0, 200)}`),
            );
        }),
      );
    },

    /** Records non-secret incident facts (alerts, decisions) in the evidence chain. */
    async recordEvidence(input: EvidenceInput & { kind: string; content: unknown }): Promise<EvidenceRef> {
      return ctx.record(input.evidenceId, input.kind, input.content);
    },

    /** Builds the post-incident review from the state and the verified evidence, and records it. */
    async writeReview(
      input: EvidenceInput & { state: IncidentState },
    ): Promise<{ ref: EvidenceRef; indicators: ReviewIndicators }> {
      const { verification } = await verifyIncidentEvidence(
        deps.evidence,
        input.evidenceId,
        input.state.evidence,
        { running: true },
      );
      // What the attacker was seen with: the triggering events' addresses and user agents, the
      // routable addresses of the auth timeline, the confidential clients used.
      const events = input.state.alerts.flatMap(
        (a) => (a.events ?? []) as { sourceIp?: string; userAgent?: string }[],
      );
      const ips = new Set(events.map((e) => e.sourceIp).filter(isPublicAddress));
      const userAgents = new Set(events.map((e) => e.userAgent).filter((u): u is string => Boolean(u)));
      const clients = new Set<string>();
      const reportHash = input.state.investigation?.reportHash;
      if (reportHash) {
        const report = (await deps.evidence.read(reportHash)) as InvestigationReport;
        for (const e of report.authTimeline) if (isPublicAddress(e.ip)) ips.add(e.ip);
        for (const c of report.blastRadius.clients) if (c.confidential) clients.add(c.clientId);
      }
      const indicators = { ips: [...ips], clients: [...clients], userAgents: [...userAgents] };
      const review = buildReview(input.state, verification, new Date().toISOString(), indicators);
      return { ref: await ctx.record(input.evidenceId, 'post-incident-review', review), indicators };
    },

    async notify(notification: Notification): Promise<void> {
      const { workflowExecution: wf, activityId } = activityInfo();
      await deps.notifier.notify(notification, wf ? `${wf.workflowId}/${wf.runId}/${activityId}` : undefined);
    },
  };
}

/** What a review hands to detection (ASNs are derived from the addresses there). */
export interface ReviewIndicators {
  ips: string[];
  clients: string[];
  userAgents: string[];
}

/** Every port of a provider and tenant in one state, for one reason. */
function uncheckable(
  provider: string,
  tenant: string,
  status: 'missing' | 'not-supported',
  detail: string,
): ProviderReport {
  return {
    provider,
    tenant,
    checkedAt: new Date().toISOString(),
    ports: PORTS.map((port) => ({ port, status, detail })),
  };
}

/** Not loopback, link-local or a private (RFC 1918 / ULA) range. */
export function isPublicAddress(ip: string | undefined): ip is string {
  if (!ip) return false;
  if (/^(127\.|10\.|192\.168\.|169\.254\.|0\.)/.test(ip)) return false;
  if (/^172\.(1[6-9]|2\d|3[01])\./.test(ip)) return false;
  if (/^(::1$|fe80:|fc|fd)/i.test(ip)) return false;
  return true;
}
