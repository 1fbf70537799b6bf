/**
 * Identity-provider call telemetry: latency per provider and outcome, and throttling (429/503), on
 * the worker's metrics endpoint (the Temporal runtime's Prometheus exporter, WORKER_METRICS_PORT).
 * Recorded through the running activity's metric meter, so the SDK's tags (namespace, task queue,
 * activity type) come with them; outside an activity (doctor, tests) nothing is recorded.
 */
import { Context } from '@temporalio/activity';
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { TRACER } from '../telemetry/tracing';

export type IdpOutcome = 'ok' | 'throttled' | 'error';

/** Runs one call to an identity provider and records how long it took and how it ended. */
export async function observeIdpCall<T>(
  provider: string,
  fn: () => Promise<T>,
  throttled: (err: unknown) => boolean,
): Promise<T> {
  // A client span per call (a no-op unless tracing is on): the trace reaches the identity provider.
  return trace
    .getTracer(TRACER)
    .startActiveSpan(`${provider} call`, { kind: SpanKind.CLIENT }, async (span) => {
      span.setAttribute('ir.idp.provider', provider);
      const started = performance.now();
      try {
        const value = await fn();
        record(provider, performance.now() - started, 'ok');
        return value;
      } catch (err) {
        const outcome = throttled(err) ? 'throttled' : 'error';
        record(provider, performance.now() - started, outcome);
        span.setAttribute('ir.idp.outcome', outcome);
        span.setStatus({ code: SpanStatusCode.ERROR });
        throw err;
      } finally {
        span.end();
      }
    });
}

function record(provider: string, ms: number, outcome: IdpOutcome): void {
  let meter;
  try {
    meter = Context.current().metricMeter;
  } catch {
    return; // not in an activity
  }
  meter
    .createHistogram('ir_idp_call_duration_seconds', 'float', 's', 'Identity-provider API call latency')
    .record(ms / 1000, { provider, outcome });
  if (outcome === 'throttled')
    meter
      .createCounter(
        'ir_idp_throttled_total',
        '1',
        'Identity-provider calls refused by a rate limit (429/503)',
      )
      .add(1, { provider });
}
