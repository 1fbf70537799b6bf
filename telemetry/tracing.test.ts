import { SpanStatusCode } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { RedactingExporter } from './tracing';

describe('spans leave with failure messages redacted', () => {
  it('masks quoted values in the status message and the exception event, keeping the rest', async () => {
    const memory = new InMemorySpanExporter();
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(new RedactingExporter(memory))],
    });
    const span = provider.getTracer('t').startSpan('RunActivity:disableAccount');
    const err = new Error("KeycloakUserNotFound: user 'alice@corp.example' not in realm 'corp'");
    span.recordException(err);
    span.setStatus({ code: SpanStatusCode.ERROR, message: err.message });
    span.setAttribute('ir.idp.provider', 'keycloak');
    span.end();
    await provider.forceFlush();
    const [out] = memory.getFinishedSpans();
    expect(out.name).toBe('RunActivity:disableAccount');
    expect(out.attributes['ir.idp.provider']).toBe('keycloak');
    expect(out.spanContext().traceId).toBe(span.spanContext().traceId);
    expect(out.status).toEqual({
      code: SpanStatusCode.ERROR,
      message: "KeycloakUserNotFound: user '…' not in realm '…'",
    });
    expect(out.events[0].attributes?.['exception.message']).toBe(
      "KeycloakUserNotFound: user '…' not in realm '…'",
    );
    expect(JSON.stringify(out.events)).not.toContain('alice');
    await provider.shutdown();
  });
});
