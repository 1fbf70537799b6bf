/**
 * The API's Prometheus metrics (prom-client, one registry per app): HTTP requests by route and
 * status, pushed events by provider and outcome, and the incident picture read from Temporal's
 * visibility at scrape time (incidents by phase, incidents waiting for an approval and for how long).
 * Visibility is asked at most once per 10 s however often it is scraped.
 */
import type { Client } from '@temporalio/client';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { PHASES } from '../../domain/incident';

/** Ages the approval gauge counts incidents past (the label is the threshold). */
const WAITING = [
  ['0s', 0],
  ['15m', 15 * 60],
  ['1h', 3600],
  ['4h', 4 * 3600],
  ['24h', 86400],
] as const;

const VISIBILITY_TTL_MS = 10_000;

export class ApiMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly latency: Histogram<'method' | 'route'>;
  private readonly ingested: Counter<'provider' | 'outcome'>;
  private picture?: Promise<Picture>;
  private pictureAt = 0;

  constructor(private readonly temporal: Client) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.requests = new Counter({
      name: 'ir_http_requests_total',
      help: 'API requests by method, route (the pattern, not the path) and status',
      labelNames: ['method', 'route', 'status'],
      registers,
    });
    this.latency = new Histogram({
      name: 'ir_http_request_duration_seconds',
      help: 'API request latency by method and route',
      labelNames: ['method', 'route'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.ingested = new Counter({
      name: 'ir_ingest_events_total',
      help: 'Pushed identity-provider records by provider and outcome (accepted, duplicate, rejected)',
      labelNames: ['provider', 'outcome'],
      registers,
    });
    const read = () => this.read();
    new Gauge({
      name: 'ir_incidents',
      help: 'Incidents by phase (closed incidents included; from Temporal visibility)',
      labelNames: ['phase'],
      registers,
      async collect() {
        const { phases } = await read();
        for (const phase of PHASES) this.set({ phase }, phases[phase] ?? 0);
      },
    });
    new Gauge({
      name: 'ir_incidents_awaiting_approval',
      help: 'Open incidents with an approval pending for longer than the label (from Temporal visibility)',
      labelNames: ['waiting_longer_than'],
      registers,
      async collect() {
        const { waiting } = await read();
        for (const [label] of WAITING) this.set({ waiting_longer_than: label }, waiting[label] ?? 0);
      },
    });
    new Gauge({
      name: 'ir_visibility_read_errors',
      help: '1 when the last visibility read for these metrics failed (the gauges then hold their last values)',
      registers,
      async collect() {
        this.set((await read()).failed ? 1 : 0);
      },
    });
  }

  request(method: string, route: string, status: number, seconds: number): void {
    this.requests.inc({ method, route, status: String(status) });
    this.latency.observe({ method, route }, seconds);
  }

  ingest(provider: string, accepted: number, duplicates: number, rejected: number): void {
    if (accepted) this.ingested.inc({ provider, outcome: 'accepted' }, accepted);
    if (duplicates) this.ingested.inc({ provider, outcome: 'duplicate' }, duplicates);
    if (rejected) this.ingested.inc({ provider, outcome: 'rejected' }, rejected);
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  private last: Picture = { phases: {}, waiting: {}, failed: false };

  /** One visibility read shared by every gauge of a scrape, and by scrapes within 10 s. */
  private read(): Promise<Picture> {
    if (!this.picture || Date.now() - this.pictureAt > VISIBILITY_TTL_MS) {
      this.pictureAt = Date.now();
      this.picture = this.count().then(
        (p) => (this.last = p),
        () => ({ ...this.last, failed: true }),
      );
    }
    return this.picture;
  }

  private async count(): Promise<Picture> {
    const n = async (query: string) => (await this.temporal.workflow.count(query)).count;
    // Runs continued as new share an id with their successor: count each incident once.
    const live = `ExecutionStatus != 'ContinuedAsNew'`;
    const now = Date.now();
    // One count per phase and per age, asked at once (visibility has no GROUP BY on custom attributes).
    const [phaseCounts, waitingCounts] = await Promise.all([
      Promise.all(PHASES.map((phase) => n(`IncidentPhase = '${phase}' AND ${live}`))),
      Promise.all(
        WAITING.map(([, seconds]) =>
          n(
            `ExecutionStatus = 'Running' AND ApprovalsPendingSince <= '${new Date(now - seconds * 1000).toISOString()}'`,
          ),
        ),
      ),
    ]);
    return {
      phases: Object.fromEntries(PHASES.map((phase, i) => [phase, phaseCounts[i]])),
      waiting: Object.fromEntries(WAITING.map(([label], i) => [label, waitingCounts[i]])),
      failed: false,
    };
  }
}

interface Picture {
  phases: Record<string, number>;
  waiting: Record<string, number>;
  failed: boolean;
}
