import { context, propagation, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { NextFunction, Request, Response } from 'express';
import { TRACER } from '../../telemetry/tracing';
import { routeOf } from './route';

/**
 * A server span per API request, continuing the caller's `traceparent`, active while the request
 * is handled (so the Temporal client's spans are its children). Named by route pattern, never by
 * path; no headers or query strings are recorded.
 */
export function requestTracing() {
  const tracer = trace.getTracer(TRACER);
  return (req: Request, res: Response, next: NextFunction) => {
    const parent = propagation.extract(context.active(), req.headers);
    const span = tracer.startSpan(`HTTP ${req.method}`, { kind: SpanKind.SERVER }, parent);
    span.setAttribute('http.request.method', req.method);
    res.once('finish', () => {
      const route = routeOf(req);
      if (route) {
        span.updateName(`${req.method} ${route}`);
        span.setAttribute('http.route', route);
      }
      span.setAttribute('http.response.status_code', res.statusCode);
      if (res.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
      span.end();
    });
    context.with(trace.setSpan(parent, span), next);
  };
}
