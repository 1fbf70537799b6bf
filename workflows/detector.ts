/**
 * Detector: one durable workflow per identity source (provider + tenant). It keeps the detection
 * windows in workflow state, so a burst split by a worker or server restart is still detected;
 * takes pushed events (update `ingestEvents`) and, for Keycloak, pulls them itself with a cursor;
 * drops events it has already seen (vendor event id); and turns alerts into incidents.
 */
import {
  allHandlersFinished,
  log,
  ApplicationFailure,
  condition,
  patched,
  makeContinueAsNewFunc,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { IdentityEvent } from '../detection/events';
import { DEFAULT_DETECTION_CONFIG, DetectionAlert, Detector } from '../detection/rules';
import type { DetectionSource, PullCursor } from '../detection/sources';
import { searchAttributes } from './definitions';
import { run, runDetection, runPull } from './kit/activities';
import { detectorMetrics } from './kit/metrics';
import {
  addIndicatorsUpdate,
  detectorId,
  detectorStatusQuery,
  ingestEventsUpdate,
  reconfigureDetectorUpdate,
  type CollectorHealth,
  type DetectorCounters,
  type DetectorInput,
  type IngestReceipt,
  type PendingRoute,
  type RecordedAlert,
} from './detector-api';

export * from './detector-api';

const MAX_BATCH = 5000;
const RECENT_EVENTS = 5000;
const MAX_EVIDENCE_EVENTS = 50;
const RECENT_ALERTS = 500;
const SEEN_LIMIT = 100_000;
const SEEN_HORIZON_MS = 24 * 60 * 60_000;
/** Bytes (of JSON) a detector carries into its next run at most: under Temporal's 2 MB payload limit. */
const CARRY_BUDGET = 1_500_000;
/** History stays small: a fresh run after this many events (state carried over). */
const EVENTS_PER_RUN = 20_000;

export async function detector(input: DetectorInput): Promise<void> {
  let tuning = input.config;
  // The single-event and vendor-verdict rules of the catalog coverage: off for detectors replaying
  // a history from before them, so their recorded alerts (and routing activities) stay as they were.
  const coverage = patched('detection-coverage');
  // Housekeeping paced by the state's size, likewise only for histories recorded with it.
  const pacedHousekeeping = patched('detection-paced-housekeeping');
  const scope = input.shard?.scope;
  let engine = new Detector(
    { ...DEFAULT_DETECTION_CONFIG, ...tuning, coverage, pacedHousekeeping, scope },
    input.carried?.state,
  );
  let moveTo: string | undefined;
  const seen: Record<string, number> = input.carried?.seen ?? {};
  const alerts: RecordedAlert[] = input.carried?.alerts ?? [];
  const counters: DetectorCounters = input.carried?.counters ?? { received: 0, duplicates: 0, alerts: 0 };
  // Alerts go on to the next run with their routing pending, so a detector under a steady stream of
  // alerts still continues-as-new (it had waited for the queue to empty: its history grew until
  // Temporal's limit); and they are routed eight at a time.
  const carryRoutes = patched('detector-carries-pending-routes');
  const toRoute: PendingRoute[] = (input.carried?.toRoute ?? []).map((r) => ({
    ...r,
    // The same object as in `alerts` (the carried copies are separate): routing marks it there.
    alert: alerts.find((a) => a.id === r.alert.id) ?? r.alert,
  }));
  // The last events seen, so an alert can carry the events that triggered it as evidence.
  const recent = new Map<string, IdentityEvent>();
  // Ids of recent events that arrived by push: alerts they took part in are `pushed` evidence.
  const pushed = new Set<string>();
  let eventsThisRun = 0;
  const eventsPerRun = input.eventsPerRun ?? EVENTS_PER_RUN;
  const source: DetectionSource = { ...input.source };
  let cursor =
    input.carried?.cursor ??
    (source.pull ? firstCursor(source, Date.now() - (source.pull.lookbackMs ?? 0)) : undefined);

  upsertSearchAttributes([{ key: searchAttributes.playbook, value: 'detector' }]);
  let health: CollectorHealth | undefined = input.carried?.health;
  const pull = (from: PullCursor) =>
    runPull('pullEvents', `pull ${source.provider} events of '${source.tenant}'`, {
      tenant: source.tenant,
      cursor: from,
      max: source.pull?.pageSize ?? 500,
    });

  const ingest = (events: IdentityEvent[], via: 'push' | 'pull'): IngestReceipt => {
    let duplicates = 0;
    const raised: DetectionAlert[] = [];
    for (const e of events) {
      if (Object.hasOwn(seen, e.id)) {
        duplicates++;
        continue;
      }
      // When it arrived, by the server's clock: an event's own (forgeable) date never keeps it here.
      seen[e.id] = Date.now();
      recent.set(e.id, e);
      if (via === 'push') pushed.add(e.id);
      if (recent.size > RECENT_EVENTS) {
        const oldest = recent.keys().next().value!;
        recent.delete(oldest);
        pushed.delete(oldest);
      }
      for (const alert of engine.process(e, Date.now())) {
        const evidence = via === 'push' || alert.eventIds.some((id) => pushed.has(id)) ? 'pushed' : 'pulled';
        const recorded: RecordedAlert = { ...alert, evidence };
        raised.push(recorded);
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
    detectorMetrics.batch(
      workflowInfo().workflowId,
      events.length - duplicates,
      duplicates,
      raised.length,
      newest(events),
    );
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

  setHandler(ingestEventsUpdate, (events) => ingest(events, 'push'), {
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
  // The worker's configuration wins over what a running detector was started with.
  setHandler(reconfigureDetectorUpdate, (req) => {
    const changed =
      JSON.stringify(req.pull ?? null) !== JSON.stringify(source.pull ?? null) ||
      JSON.stringify(req.config ?? null) !== JSON.stringify(tuning ?? null) ||
      req.taskQueue !== workflowInfo().taskQueue;
    if (!source.pull && req.pull) cursor = firstCursor(source, Date.now() - (req.pull.lookbackMs ?? 0));
    source.pull = req.pull;
    tuning = req.config;
    engine = new Detector(
      { ...DEFAULT_DETECTION_CONFIG, ...tuning, coverage, pacedHousekeeping, scope },
      engine.state,
    );
    if (req.taskQueue !== workflowInfo().taskQueue) moveTo = req.taskQueue;
    return { changed };
  });

  setHandler(detectorStatusQuery, () => ({
    source,
    config: tuning,
    taskQueue: workflowInfo().taskQueue,
    health,
    counters,
    cursor,
    recentAlerts: alerts.slice(-100),
  }));

  const due = () => eventsThisRun >= eventsPerRun || workflowInfo().continueAsNewSuggested || moveTo;
  for (;;) {
    while (toRoute.length && !(carryRoutes && due())) {
      await Promise.all(
        toRoute.splice(0, carryRoutes ? 8 : 1).map(async ({ alert, events }) => {
          alert.routed = await runDetection(
            'routeAlert',
            `route ${alert.rule} alert: ${alert.summary}`,
            alert,
            events,
          );
        }),
      );
    }
    if (due()) {
      await condition(allHandlersFinished);
      if (toRoute.length && !carryRoutes) continue;
      forgetOldIds(seen, Date.now());
      engine.prune(Date.now());
      fitCarried(engine, seen, alerts, counters, toRoute);
      return makeContinueAsNewFunc<typeof detector>(moveTo ? { taskQueue: moveTo } : {})({
        source,
        config: tuning,
        eventsPerRun: input.eventsPerRun,
        shard: input.shard,
        carried: {
          state: engine.state,
          seen,
          cursor,
          alerts,
          counters,
          health,
          ...(toRoute.length ? { toRoute } : {}),
        },
      });
    }
    if (source.pull && cursor) {
      let page: Awaited<ReturnType<typeof pull>>;
      try {
        page = await pull(cursor);
      } catch (err) {
        // The provider is down or refuses the engine (an hour-long outage, a revoked credential):
        // the detector stays, says so once, and tries again less often, never failing for it.
        health = await collectorFailing(source, health, err);
        await condition(() => toRoute.length > 0, backoffMs(source.pull.intervalMs, health.failures));
        continue;
      }
      if (health) health = await collectorRecovered(source, health);
      cursor = page.cursor;
      if (page.events.length) ingest(page.events, 'pull');
      if (page.more) continue;
      await condition(() => toRoute.length > 0, source.pull.intervalMs);
    } else {
      await condition(() => toRoute.length > 0 || eventsThisRun >= eventsPerRun);
    }
  }
}

/** Up to 5 minutes between tries while the provider fails, doubling from the pull interval. */
function backoffMs(intervalMs: number, failures: number): number {
  return Math.min(5 * 60_000, intervalMs * 2 ** Math.min(failures, 12));
}

/** Records a failed pull; responders hear of it on the first failure of a run of them. */
async function collectorFailing(
  source: DetectionSource,
  health: CollectorHealth | undefined,
  err: unknown,
): Promise<CollectorHealth> {
  const lastError = (
    err instanceof Error ? (err.cause instanceof Error ? err.cause.message : err.message) : String(err)
  ).slice(0, 300);
  const next = {
    failingSince: health?.failingSince ?? new Date().toISOString(),
    failures: (health?.failures ?? 0) + 1,
    lastError,
  };
  if (!health)
    await tell(
      source,
      'escalation',
      `detector ${detectorId(source)}: pulling events FAILS (${lastError}); detection from this source is blind until it recovers`,
    );
  return next;
}

async function collectorRecovered(source: DetectionSource, health: CollectorHealth): Promise<undefined> {
  await tell(
    source,
    'phase',
    `detector ${detectorId(source)}: pulling events works again after ${health.failures} failed pull(s) since ${health.failingSince}`,
  );
  return undefined;
}

async function tell(source: DetectionSource, kind: 'escalation' | 'phase', message: string): Promise<void> {
  await run('notify', message, { incidentId: detectorId(source), kind, severity: 'high', message }).catch(
    () => undefined, // the notifier is down too: the status query still shows the failure
  );
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

/**
 * What a detector carries into its next run must fit one Temporal payload (2 MB). A tenant too large
 * for one detector (a few thousand active accounts) would otherwise fail its continue-as-new and stop
 * detecting: instead the oldest memories are forgotten a quarter at a time until it fits, counted in
 * `counters.stateTrims` and logged — the sign to shard the source (DETECTION_SHARDS).
 */
function fitCarried(
  engine: Detector,
  seen: Record<string, number>,
  alerts: RecordedAlert[],
  counters: DetectorCounters,
  toRoute: PendingRoute[],
): void {
  const size = () =>
    JSON.stringify(engine.state).length +
    JSON.stringify(seen).length +
    JSON.stringify(alerts).length +
    JSON.stringify(toRoute).length;
  const before = size();
  let after = before;
  let rounds = 0;
  for (; after > CARRY_BUDGET && rounds < 12; rounds++) {
    engine.trim(0.25, Date.now());
    const ids = Object.keys(seen);
    for (const id of ids.slice(0, Math.ceil(ids.length * 0.25))) delete seen[id];
    if (alerts.length > 100) alerts.splice(0, alerts.length - 100);
    // Pending alerts keep their routing, with fewer of their events as evidence.
    for (const r of toRoute) if (r.events.length > 5) r.events = r.events.slice(-5);
    after = size();
  }
  if (!rounds) return;
  counters.stateTrims = (counters.stateTrims ?? 0) + 1;
  log.warn(
    `detector ${workflowInfo().workflowId}: state of ${before} bytes over the ${CARRY_BUDGET} a run may carry; forgot its oldest memories in ${rounds} quarter(s), now ${after}. Shard this source (DETECTION_SHARDS) to keep every account's memory.`,
  );
}

function forgetOldIds(seen: Record<string, number>, now: number): void {
  for (const [id, t] of Object.entries(seen)) if (now - t > SEEN_HORIZON_MS || t > now) delete seen[id];
  const left = Object.entries(seen);
  if (left.length > SEEN_LIMIT) {
    left.sort((a, b) => a[1] - b[1]);
    for (const [id] of left.slice(0, left.length - SEEN_LIMIT)) delete seen[id];
  }
}

/** The newest event time in a batch (ISO-8601 UTC strings compare as times). */
function newest(events: IdentityEvent[]): string | undefined {
  let last: string | undefined;
  for (const e of events) if (e.time && (last === undefined || e.time > last)) last = e.time;
  return last;
}
