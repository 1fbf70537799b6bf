/**
 * Detector: one durable workflow per identity source (provider + tenant). It keeps the detection
 * windows in workflow state, so a burst split by a worker or server restart is still detected;
 * takes pushed events (update `ingestEvents`) and, for Keycloak, pulls them itself with a cursor;
 * drops events it has already seen (vendor event id); and turns alerts into incidents.
 */
import {
  allHandlersFinished,
  ApplicationFailure,
  condition,
  continueAsNew,
  defineQuery,
  defineUpdate,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { IdentityEvent } from '../detection/events';
import {
  DEFAULT_DETECTION_CONFIG,
  DetectionAlert,
  DetectionConfig,
  DetectionState,
  Detector,
} from '../detection/rules';
import type { PullCursor, RoutedAlert } from '../activities/detection';
import { searchAttributes } from './definitions';
import { runDetection } from './kit/activities';

export interface DetectionSource {
  provider: IdentityEvent['provider'];
  tenant: string;
  /** Pull from the provider's event API (Keycloak, Okta) every `intervalMs`. */
  pull?: { intervalMs: number; lookbackMs?: number; pageSize?: number };
}

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

interface DetectorCarried {
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
  counters: DetectorCounters;
  cursor?: PullCursor;
  recentAlerts: RecordedAlert[];
}

export const ingestEventsUpdate = defineUpdate<IngestReceipt, [IdentityEvent[]]>('ingestEvents');
export const detectorStatusQuery = defineQuery<DetectorStatus>('detectorStatus');

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

const MAX_BATCH = 5000;
const RECENT_EVENTS = 5000;
const MAX_EVIDENCE_EVENTS = 50;
const RECENT_ALERTS = 500;
const SEEN_LIMIT = 100_000;
const SEEN_HORIZON_MS = 24 * 60 * 60_000;
/** History stays small: a fresh run after this many events (state carried over). */
const EVENTS_PER_RUN = 20_000;

export function detectorId(source: Pick<DetectionSource, 'provider' | 'tenant'>): string {
  return `detector-${source.provider}-${source.tenant}`;
}

export async function detector(input: DetectorInput): Promise<void> {
  const config: DetectionConfig = { ...DEFAULT_DETECTION_CONFIG, ...input.config };
  const engine = new Detector(config, input.carried?.state);
  const seen: Record<string, number> = input.carried?.seen ?? {};
  const alerts: RecordedAlert[] = input.carried?.alerts ?? [];
  const counters: DetectorCounters = input.carried?.counters ?? { received: 0, duplicates: 0, alerts: 0 };
  const toRoute: { alert: RecordedAlert; events: IdentityEvent[] }[] = [];
  // The last events seen, so an alert can carry the events that triggered it as evidence.
  const recent = new Map<string, IdentityEvent>();
  let eventsThisRun = 0;
  const eventsPerRun = input.eventsPerRun ?? EVENTS_PER_RUN;
  const { source } = input;
  let cursor =
    input.carried?.cursor ??
    (source.pull ? firstCursor(source, Date.now() - (source.pull.lookbackMs ?? 0)) : undefined);

  upsertSearchAttributes([{ key: searchAttributes.playbook, value: 'detector' }]);

  const ingest = (events: IdentityEvent[]): IngestReceipt => {
    let duplicates = 0;
    const raised: DetectionAlert[] = [];
    for (const e of events) {
      if (Object.hasOwn(seen, e.id)) {
        duplicates++;
        continue;
      }
      seen[e.id] = Date.parse(e.time) || Date.now();
      recent.set(e.id, e);
      if (recent.size > RECENT_EVENTS) recent.delete(recent.keys().next().value!);
      for (const alert of engine.process(e)) {
        const recorded: RecordedAlert = { ...alert };
        raised.push(alert);
        alerts.push(recorded);
        const events = alert.eventIds
          .map((id) => recent.get(id))
          .filter((x): x is IdentityEvent => Boolean(x));
        toRoute.push({ alert: recorded, events: events.slice(-MAX_EVIDENCE_EVENTS) });
      }
    }
    if (alerts.length > RECENT_ALERTS) alerts.splice(0, alerts.length - RECENT_ALERTS);
    counters.received += events.length - duplicates;
    counters.duplicates += duplicates;
    counters.alerts += raised.length;
    eventsThisRun += events.length;
    return { accepted: events.length - duplicates, duplicates, alerts: raised };
  };

  setHandler(
    addIndicatorsUpdate,
    (req) => ({ watched: engine.addIndicators(req, Date.parse(req.until), req.incidentId) }),
    {
      validator: (req) => {
        if (!Array.isArray(req?.ips) || req.ips.length > 1000 || Number.isNaN(Date.parse(req.until))) {
          throw ApplicationFailure.nonRetryable(
            'indicators: ips[] (at most 1000) and an ISO until',
            'BadIndicators',
          );
        }
      },
    },
  );

  setHandler(ingestEventsUpdate, ingest, {
    validator: (events) => {
      if (!Array.isArray(events))
        throw ApplicationFailure.nonRetryable('events must be an array', 'BadEvents');
      if (events.length > MAX_BATCH) {
        throw ApplicationFailure.nonRetryable(
          `at most ${MAX_BATCH} events per batch (got ${events.length})`,
          'BatchTooLarge',
        );
      }
    },
  });
  setHandler(detectorStatusQuery, () => ({
    source,
    counters,
    cursor,
    recentAlerts: alerts.slice(-100),
  }));

  for (;;) {
    while (toRoute.length) {
      const { alert, events } = toRoute.shift()!;
      alert.routed = await runDetection(
        'routeAlert',
        `route ${alert.rule} alert: ${alert.summary}`,
        alert,
        events,
      );
    }
    if (eventsThisRun >= eventsPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      if (toRoute.length) continue;
      forgetOldIds(seen);
      engine.prune(Date.now());
      return continueAsNew<typeof detector>({
        source,
        config: input.config,
        eventsPerRun: input.eventsPerRun,
        carried: { state: engine.state, seen, cursor, alerts, counters },
      });
    }
    if (source.pull && cursor) {
      const page = await runDetection('pullEvents', `pull ${source.provider} events of '${source.tenant}'`, {
        tenant: source.tenant,
        cursor,
        max: source.pull.pageSize ?? 500,
      });
      cursor = page.cursor;
      if (page.events.length) ingest(page.events);
      if (page.more) continue;
      await condition(() => toRoute.length > 0, source.pull.intervalMs);
    } else {
      await condition(() => toRoute.length > 0 || eventsThisRun >= eventsPerRun);
    }
  }
}

/** Where a new collector starts: `from` (epoch ms), for the kind of API the provider has. */
function firstCursor(source: DetectionSource, from: number): PullCursor | undefined {
  const iso = new Date(from).toISOString();
  switch (source.provider) {
    case 'keycloak':
      return {
        provider: 'keycloak',
        events: { time: from, seenAtTime: [] },
        adminEvents: { time: from, seenAtTime: [] },
      };
    case 'okta':
      return { provider: 'okta', page: { since: iso } };
    case 'entra':
      return { provider: 'entra', page: { time: iso, seenAtTime: [] } };
    case 'lab':
      return { provider: 'lab', page: { since: from } };
    default:
      return undefined; // push-only providers
  }
}

function forgetOldIds(seen: Record<string, number>): void {
  const entries = Object.entries(seen);
  const newest = entries.reduce((m, [, t]) => Math.max(m, t), 0);
  for (const [id, t] of entries) if (newest - t > SEEN_HORIZON_MS) delete seen[id];
  const left = Object.entries(seen);
  if (left.length > SEEN_LIMIT) {
    left.sort((a, b) => a[1] - b[1]);
    for (const [id] of left.slice(0, left.length - SEEN_LIMIT)) delete seen[id];
  }
}
