/**
 * What talks to a detector from outside (the API, the worker, the collector activities): its id,
 * input, updates, query and their types — with no workflow code, so importing it pulls nothing in.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { IdentityEvent } from '../detection/events';
import {
  shardKeyOf,
  tenantWideEvent,
  type DetectionAlert,
  type DetectionConfig,
  type DetectionState,
} from '../detection/rules';
import type { DetectionSource, PullCursor, RoutedAlert } from '../detection/sources';

export type { DetectionSource };

export interface DetectorInput {
  source: DetectionSource;
  config?: Partial<DetectionConfig>;
  /** Events per run before continue-as-new (default 20,000). */
  eventsPerRun?: number;
  carried?: DetectorCarried;
  /** One detector of a sharded source (DETECTION_SHARDS): which rules it runs. */
  shard?: DetectorShard;
}

/** `principal` shard `index` of `of`, or the source's tenant-wide detector. */
export type DetectorShard =
  { scope: 'principal'; index: number; of: number } | { scope: 'tenant'; of: number };

export interface RecordedAlert extends DetectionAlert {
  routed?: RoutedAlert;
}

/** A collector whose pulls fail: since when, how often in a row, and the last error. */
export interface CollectorHealth {
  failingSince: string;
  failures: number;
  lastError: string;
}

interface DetectorCarried {
  health?: CollectorHealth;
  state: DetectionState;
  seen: Record<string, number>;
  cursor?: PullCursor;
  alerts: RecordedAlert[];
  counters: DetectorCounters;
  /** Alerts raised but not yet routed when the run ended (with their evidence events). */
  toRoute?: PendingRoute[];
}

export interface PendingRoute {
  alert: RecordedAlert;
  events: IdentityEvent[];
}

export interface DetectorCounters {
  received: number;
  duplicates: number;
  alerts: number;
  /** Times the carried state was over budget and its oldest quarter forgotten (shard the source). */
  stateTrims?: number;
}

export interface IngestReceipt {
  accepted: number;
  duplicates: number;
  alerts: DetectionAlert[];
}

export interface DetectorStatus {
  source: DetectionSource;
  config?: Partial<DetectionConfig>;
  taskQueue: string;
  /** Set while the collector's pulls fail. */
  health?: CollectorHealth;
  counters: DetectorCounters;
  cursor?: PullCursor;
  recentAlerts: RecordedAlert[];
}

export const ingestEventsUpdate = defineUpdate<IngestReceipt, [IdentityEvent[]]>('ingestEvents');
export const detectorStatusQuery = defineQuery<DetectorStatus>('detectorStatus');

export interface ReconfigureDetectorRequest {
  pull?: DetectionSource['pull'];
  config?: Partial<DetectionConfig>;
  /** The task queue of the workers that should run it: a detector elsewhere moves (continue-as-new). */
  taskQueue: string;
}
/** Brings a running detector to the worker's configuration (pull, thresholds, task queue). */
export const reconfigureDetectorUpdate = defineUpdate<{ changed: boolean }, [ReconfigureDetectorRequest]>(
  'reconfigureDetector',
);

export interface IndicatorsRequest {
  /** Source addresses an incident attributed to the attacker. */
  ips: string[];
  /** Clients the attacker used (confidential ones), user agents and autonomous systems seen with them. */
  clients?: string[];
  userAgents?: string[];
  asns?: number[];
  /** Watched until (ISO). */
  until: string;
  incidentId: string;
}

/** Indicators from a post-incident review, watched by this source's detector. */
export const addIndicatorsUpdate = defineUpdate<{ watched: number }, [IndicatorsRequest]>('addIndicators');

export function detectorId(
  source: Pick<DetectionSource, 'provider' | 'tenant'>,
  shard?: DetectorShard,
): string {
  const base = `detector-${source.provider}-${source.tenant}`;
  if (!shard || shard.of <= 1) return base;
  return shard.scope === 'tenant' ? `${base}-tenant-of${shard.of}` : `${base}-p${shard.index}of${shard.of}`;
}

/** Every detector a source's pushed events go to with `shards` shards (one when unsharded). */
export function detectorShards(shards = 1): (DetectorShard | undefined)[] {
  if (shards <= 1) return [undefined];
  return [
    { scope: 'tenant', of: shards },
    ...Array.from({ length: shards }, (_, index) => ({ scope: 'principal' as const, index, of: shards })),
  ];
}

/**
 * A push's events split over a source's detectors: each to its account's principal shard (events
 * naming no account by their address), those that count across accounts to the tenant-wide detector
 * too. Unsharded: all to the one detector. Order within each part is the push's.
 */
export function partitionEvents(
  events: IdentityEvent[],
  shards = 1,
): { shard: DetectorShard | undefined; events: IdentityEvent[] }[] {
  if (shards <= 1) return [{ shard: undefined, events }];
  const parts = detectorShards(shards).map((shard) => ({ shard, events: [] as IdentityEvent[] }));
  for (const e of events) {
    if (tenantWideEvent(e)) parts[0].events.push(e);
    parts[1 + shardOf(shardKeyOf(e) ?? e.sourceIp ?? e.id, shards)].events.push(e);
  }
  return parts;
}

/** The principal shard of an account key (FNV-1a): stable across processes and restarts. */
export function shardOf(key: string, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 0x01000193);
  return (h >>> 0) % shards;
}
