/**
 * Push ingest: vendor records → normalized events → the detector workflow of their source, in
 * chunks small enough for Temporal's payload limits. Alerts are read back from the detectors.
 */
import { Inject, Injectable } from '@nestjs/common';
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import type { EngineConfig } from '../../config/config';
import type { EventProvider, IdentityEvent } from '../../detection/events';
import { GeoIp } from '../../detection/geoip';
import { normalizeBatch, Rejection, splitRecords } from '../../detection/normalize';
import type { DetectionAlert } from '../../detection/rules';
import {
  detectorId,
  detectorStatusQuery,
  ingestEventsUpdate,
  RecordedAlert,
  type detector,
} from '../../workflows/detector';
import { ENGINE_CONFIG, TEMPORAL_CLIENT } from '../temporal/temporal.module';

/** Events per update: keeps each update payload well under Temporal's 2 MB blob limit. */
const CHUNK = 250;

export interface IngestResult {
  received: number;
  accepted: number;
  duplicates: number;
  rejected: Rejection[];
  alerts: DetectionAlert[];
}

@Injectable()
export class EventsService {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(ENGINE_CONFIG) private readonly config: EngineConfig,
  ) {}

  async ingest(provider: EventProvider, body: string): Promise<IngestResult> {
    const texts: (string | undefined)[] = [];
    const records = splitRecords(body, { textLines: provider === 'keycloak', texts });
    const batch = normalizeBatch(provider, records, { receivedAt: new Date().toISOString() }, texts);
    const geo = await GeoIp.shared();
    const byTenant = new Map<string, IdentityEvent[]>();
    for (const e of batch.events.map((x) => geo.enrich(x))) {
      const tenant = e.tenant ?? 'default';
      byTenant.set(tenant, [...(byTenant.get(tenant) ?? []), e]);
    }
    const result: IngestResult = {
      received: records.length,
      accepted: 0,
      duplicates: 0,
      rejected: batch.rejected,
      alerts: [],
    };
    for (const [tenant, events] of byTenant) {
      for (let i = 0; i < events.length; i += CHUNK) {
        const receipt = await this.send(provider, tenant, events.slice(i, i + CHUNK));
        result.accepted += receipt.accepted;
        result.duplicates += receipt.duplicates;
        result.alerts.push(...receipt.alerts);
      }
    }
    return result;
  }

  /**
   * Recent alerts from every running detector, queried in parallel with a deadline: a detector
   * that does not answer (its worker is down) is named in `unavailable`, not waited for.
   */
  async alerts(filter: { rule?: string; severity?: string; limit: number }) {
    const ids: string[] = [];
    for await (const wf of this.temporal.workflow.list({
      // This deployment's detectors: those on its task queue.
      query: `WorkflowType = 'detector' AND ExecutionStatus = 'Running' AND TaskQueue = '${this.config.temporal.taskQueue}'`,
    })) {
      ids.push(wf.workflowId);
    }
    const answers = await Promise.allSettled(
      ids.map((id) =>
        this.temporal.withDeadline(Date.now() + 3000, () =>
          this.temporal.workflow.getHandle(id).query(detectorStatusQuery),
        ),
      ),
    );
    const all: RecordedAlert[] = [];
    const unavailable: string[] = [];
    answers.forEach((a, i) =>
      a.status === 'fulfilled' ? all.push(...a.value.recentAlerts) : unavailable.push(ids[i]),
    );
    const alerts = all
      .filter(
        (a) =>
          (!filter.rule || a.rule === filter.rule) && (!filter.severity || a.severity === filter.severity),
      )
      .sort((a, b) => b.time.localeCompare(a.time))
      .slice(0, filter.limit);
    return { alerts, unavailable };
  }

  private send(provider: EventProvider, tenant: string, events: IdentityEvent[]) {
    const source = { provider, tenant };
    return this.temporal.workflow.executeUpdateWithStart(ingestEventsUpdate, {
      args: [events],
      startWorkflowOperation: new WithStartWorkflowOperation<typeof detector>('detector', {
        workflowId: detectorId(source),
        taskQueue: this.config.temporal.taskQueue,
        args: [{ source }],
        workflowIdConflictPolicy: 'USE_EXISTING',
        staticSummary: `detector for ${provider} ${tenant}`,
      }),
    });
  }
}
