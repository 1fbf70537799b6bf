/**
 * What talks to a detector from outside (the API, the worker, the collector activities): its id,
 * input, updates, query and their types — with no workflow code, so importing it pulls nothing in.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { IdentityEvent } from '../detection/events';
import type { DetectionAlert, DetectionConfig, DetectionState } from '../detection/rules';
import type { DetectionSource, PullCursor, RoutedAlert } from '../detection/sources';

export type { DetectionSource };

export interface DetectorInput {
  source: DetectionSource;
  config?: Partial<DetectionConfig>;
  /** Events per run before continue-as-new (default 20,000). */
  eventsPerRun?: number;
  carried?: DetectorCarried;
}

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
}

export interface DetectorCounters {
  received: number;
  duplicates: number;
  alerts: number;
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

export function detectorId(source: Pick<DetectionSource, 'provider' | 'tenant'>): string {
  return `detector-${source.provider}-${source.tenant}`;
}
