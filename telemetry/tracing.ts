/**
 * OpenTelemetry tracing, on when an OTLP endpoint is configured the standard way
 * (OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT; OTEL_SERVICE_NAME and the
 * other OTEL_* settings as the SDK reads them). One trace runs from the API request (continuing a
 * caller's W3C `traceparent`) through the Temporal client, the workflow and its activities
 * (@temporalio/interceptors-opentelemetry) to each identity-provider call (providers/telemetry.ts).
 * Off, nothing is registered and the spans the code asks for are no-ops.
 */
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  type ReadableSpan,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { ExportResult } from '@opentelemetry/core';
import { redactQuoted } from './redact';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';

export const TRACER = 'identity-incident-response';

export function tracingEnabled(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
}

export interface Tracing {
  resource: Resource;
  spanProcessor: SpanProcessor;
  /** Flushes what is buffered and stops exporting. */
  shutdown(): Promise<void>;
}

let started: Tracing | undefined;

/** Registers the process's tracer provider (once) when tracing is configured. */
export function startTracing(service: string): Tracing | undefined {
  if (started || !tracingEnabled()) return started;
  const resource = new Resource({ 'service.name': process.env.OTEL_SERVICE_NAME ?? service });
  const spanProcessor = new BatchSpanProcessor(new RedactingExporter(new OTLPTraceExporter()));
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register(); // AsyncLocalStorage context and the W3C trace-context propagator
  started = { resource, spanProcessor, shutdown: () => provider.shutdown() };
  return started;
}

/** The Temporal client interceptor that carries the active trace into workflows it starts or updates. */
export function clientTracingInterceptors() {
  return started ? { workflow: [new OpenTelemetryWorkflowClientInterceptor()] } : undefined;
}

/**
 * Failure messages name principals ("user 'alice@corp' not in realm 'corp'"), and the Temporal
 * interceptors put an activity's failure on its span (status message, exception event). Spans leave
 * with every quoted value masked, as the logs do.
 */
export class RedactingExporter implements SpanExporter {
  constructor(private readonly inner: SpanExporter) {}

  export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
    this.inner.export(spans.map(redactSpan), done);
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}

export function redactSpan(span: ReadableSpan): ReadableSpan {
  const status = span.status.message
    ? { ...span.status, message: redactQuoted(span.status.message) }
    : span.status;
  const events = span.events.map((e) =>
    e.attributes && typeof e.attributes['exception.message'] === 'string'
      ? {
          ...e,
          attributes: {
            ...e.attributes,
            'exception.message': redactQuoted(e.attributes['exception.message']),
            // The stack repeats the message in its first line.
            ...(typeof e.attributes['exception.stacktrace'] === 'string'
              ? { 'exception.stacktrace': redactQuoted(e.attributes['exception.stacktrace']) }
              : {}),
          },
        }
      : e,
  );
  // The span's own fields are read through its prototype's getters: keep them, override these.
  return Object.create(span, { status: { value: status }, events: { value: events } }) as ReadableSpan;
}
