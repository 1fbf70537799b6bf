/**
 * Push ingest: vendor records → normalized events → the detector workflow of their source, in
 * chunks small enough for Temporal's payload limits. Alerts are read back from the detectors.
 */
import { Inject, Injectable, PayloadTooLargeException } from '@nestjs/common';
import { Client } from '@temporalio/client';
import { sendToDetector } from '../../client/detector-ingest';
import type { EngineConfig, IngestSource } from '../../config/config';
import type { EventProvider, IdentityEvent } from '../../detection/events';
import { GeoIp } from '../../detection/geoip';
import { normalizeBatch, Rejection, splitRecords } from '../../detection/normalize';
import type { DetectionAlert } from '../../detection/rules';
import { detectorStatusQuery, partitionEvents, RecordedAlert } from '../../workflows/detector';
import { ENGINE_CONFIG, TEMPORAL_CLIENT } from '../temporal/temporal.module';
import { timeIdCursor } from '../common/cursor';

/** Records one request may carry (the body limit bounds their bytes). */
export const MAX_RECORDS = 10_000;

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

  /**
   * `source`: the signing source that pushed the batch (HMAC), whose records may name only its own
   * tenants. Records go to their tenant's detector; a push never creates a detector for a tenant
   * the configuration does not name (DETECTION_SOURCES): such records are rejected with the reason.
   */
  async ingest(provider: EventProvider, body: string, source?: IngestSource): Promise<IngestResult> {
    const texts: (string | undefined)[] = [];
    const records = splitRecords(body, { textLines: provider === 'keycloak', texts });
    if (records.length > MAX_RECORDS) {
      throw new PayloadTooLargeException({
        error: 'PayloadTooLarge',
        message: `at most ${MAX_RECORDS} records per request (got ${records.length}): send smaller batches`,
      });
    }
    const batch = normalizeBatch(provider, records, { receivedAt: new Date().toISOString() }, texts);
    const geo = await GeoIp.shared();
    const configured = new Set(
      this.config.detectionSources.filter((s) => s.provider === provider).map((s) => s.tenant),
    );
    const byTenant = new Map<string, { events: IdentityEvent[]; indexes: number[] }>();
    const rejected = [...batch.rejected];
    batch.events.forEach((x, i) => {
      const e = geo.enrich(x);
      const index = batch.indexes[i];
      const tenant = e.tenant;
      if (!tenant) {
        rejected.push({ index, reason: `the record names no ${provider} tenant (realm, org or tenant id)` });
      } else if (source && !source.tenants.includes(tenant)) {
        rejected.push({
          index,
          reason: `source '${source.name}' may push events of ${source.tenants.join(', ')} only, not '${tenant.slice(0, 100)}'`,
        });
      } else {
        const group = byTenant.get(tenant);
        if (group) {
          group.events.push(e);
          group.indexes.push(index);
        } else byTenant.set(tenant, { events: [e], indexes: [index] });
      }
    });
    const result: IngestResult = {
      received: records.length,
      accepted: 0,
      duplicates: 0,
      rejected,
      alerts: [],
    };
    const shards = this.config.detectionShards ?? 1;
    for (const [tenant, { events, indexes }] of byTenant) {
      // A tenant the configuration names gets its detector on first push; others only an existing one.
      const mayStart = configured.has(tenant) || source !== undefined;
      // Sharded: each event to its account's principal shard, and those that count across accounts
      // to the tenant-wide detector too; the shards take their parts at once, each in order.
      const parts = partitionEvents(events, shards);
      const receipts = await Promise.all(
        parts.map((p) =>
          sendToDetector(
            this.temporal,
            this.config.temporal.taskQueue,
            { provider, tenant, shard: p.shard, mayStart },
            p.events,
          ),
        ),
      );
      if (receipts.some((r) => r === undefined)) {
        const reason = `no detector for ${provider} tenant '${tenant.slice(0, 100)}': name it in DETECTION_SOURCES`;
        for (const index of new Set(indexes)) rejected.push({ index, reason });
        continue;
      }
      receipts.forEach((r, i) => {
        // Every event is in exactly one principal shard (or the one detector): count it there.
        if (parts[i].shard?.scope !== 'tenant') {
          result.accepted += r!.accepted;
          result.duplicates += r!.duplicates;
        }
        result.alerts.push(...r!.alerts);
      });
    }
    rejected.sort((a, b) => a.index - b.index);
    return result;
  }

  /**
   * Recent alerts from every running detector, queried in parallel with a deadline: a detector
   * that does not answer (its worker is down) is named in `unavailable`, not waited for.
   */
  async alerts(filter: { rule?: string; severity?: string; limit: number; cursor?: string }) {
    const after = filter.cursor ? timeIdCursor.decode(filter.cursor) : undefined;
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
    return { ...pageAlerts(all, filter, after), unavailable };
  }
}

/**
 * One page of alerts, newest first with ties broken by id (a total order, so a page ends where the
 * next starts after), and the cursor of the next page when there is more.
 */
export function pageAlerts(
  all: RecordedAlert[],
  filter: { rule?: string; severity?: string; limit: number },
  after?: { time: string; id: string },
): { alerts: RecordedAlert[]; nextCursor?: string } {
  const matching = all
    .filter(
      (a) =>
        (!filter.rule || a.rule === filter.rule) &&
        (!filter.severity || a.severity === filter.severity) &&
        (!after || a.time < after.time || (a.time === after.time && a.id < after.id)),
    )
    // Code-unit order, as the cursor's comparison above (localeCompare would disagree with it).
    .sort((a, b) => cmp(b.time, a.time) || cmp(b.id, a.id));
  const alerts = matching.slice(0, filter.limit);
  const last = alerts[alerts.length - 1];
  return matching.length > alerts.length && last
    ? { alerts, nextCursor: timeIdCursor.encode(last.time, last.id) }
    : { alerts };
}

const cmp = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
