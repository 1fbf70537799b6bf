/**
 * Handing normalized events to a source's detector workflow (push ingest, Shared Signals): in
 * chunks small enough for Temporal's payload limits, in order, starting the detector only when
 * the caller may.
 */
import { Client, WithStartWorkflowOperation, WorkflowNotFoundError } from '@temporalio/client';
import type { EventProvider, IdentityEvent } from '../detection/events';
import {
  detectorId,
  ingestEventsUpdate,
  partitionEvents,
  type detector,
  type DetectorShard,
  type IngestReceipt,
} from '../workflows/detector';

/** Events per update: keeps each update payload well under Temporal's 2 MB blob limit. */
const CHUNK = 250;

/** The detector a part of the events goes to, and whether this delivery may start it. */
export interface DetectorTarget {
  provider: EventProvider;
  tenant: string;
  shard: DetectorShard | undefined;
  mayStart: boolean;
}

/** One detector's part, in chunks and in order; undefined when it may not be started. */
export async function sendToDetector(
  client: Client,
  taskQueue: string,
  to: DetectorTarget,
  events: IdentityEvent[],
): Promise<IngestReceipt | undefined> {
  const total: IngestReceipt = { accepted: 0, duplicates: 0, alerts: [] };
  for (let i = 0; i < events.length; i += CHUNK) {
    const receipt = await sendChunk(client, taskQueue, to, events.slice(i, i + CHUNK));
    if (!receipt) return undefined;
    total.accepted += receipt.accepted;
    total.duplicates += receipt.duplicates;
    total.alerts.push(...receipt.alerts);
  }
  return total;
}

/**
 * A tenant's events to its detector (or its shards), starting it when needed: what an
 * authenticated source says about its own tenant is always taken.
 */
export async function deliverTenantEvents(
  client: Client,
  taskQueue: string,
  shards: number,
  provider: EventProvider,
  tenant: string,
  events: IdentityEvent[],
): Promise<{ accepted: number; duplicates: number; alerts: number }> {
  const parts = partitionEvents(events, shards);
  const receipts = await Promise.all(
    parts.map((p) =>
      sendToDetector(client, taskQueue, { provider, tenant, shard: p.shard, mayStart: true }, p.events),
    ),
  );
  const out = { accepted: 0, duplicates: 0, alerts: 0 };
  receipts.forEach((r, i) => {
    out.alerts += r?.alerts.length ?? 0;
    if (parts[i].shard?.scope === 'tenant') return;
    out.accepted += r?.accepted ?? 0;
    out.duplicates += r?.duplicates ?? 0;
  });
  return out;
}

async function sendChunk(
  client: Client,
  taskQueue: string,
  { provider, tenant, shard, mayStart }: DetectorTarget,
  events: IdentityEvent[],
): Promise<IngestReceipt | undefined> {
  const source = { provider, tenant };
  const workflowId = detectorId(source, shard);
  if (!mayStart) {
    try {
      return await client.workflow
        .getHandle(workflowId)
        .executeUpdate(ingestEventsUpdate, { args: [events] });
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return undefined;
      throw err;
    }
  }
  return client.workflow.executeUpdateWithStart(ingestEventsUpdate, {
    args: [events],
    startWorkflowOperation: new WithStartWorkflowOperation<typeof detector>('detector', {
      workflowId,
      taskQueue,
      args: [{ source, shard }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `detector for ${provider} ${tenant}${
        shard
          ? shard.scope === 'tenant'
            ? ` (tenant-wide rules of ${shard.of} shards)`
            : ` (shard ${shard.index + 1} of ${shard.of})`
          : ''
      }`,
    }),
  });
}
