/**
 * The REST API as a Nest application, built here so main.ts and the tests start the same thing.
 */
import { INestApplication, LogLevel, Module } from '@nestjs/common';
import { APP_GUARD, NestFactory } from '@nestjs/core';
import { requireAuth, requirePayloadProtection, requirePrincipalKeySecret } from '../config/config';
import { usePrincipalKeySecret } from '../domain/principal-key';
import { warnIfPlaintext } from '../client/connect';
import { authenticateBeforeBody, AuthedRequest, AuthGuard } from './auth/auth';
import { rateLimiter, RateLimitStore } from './common/rate-limit';
import { PinoNestLogger, requestLogging } from './common/logging';
import { problem, PROBLEM_CONTENT_TYPE, sendProblem } from './common/problem';
import { routeOf } from './common/route';
import { serviceLogger } from '../telemetry/log';
import { tracingEnabled } from '../telemetry/tracing';
import { requestTracing } from './common/request-tracing';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { NextFunction, Request, Response } from 'express';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { problemSchema, responseSchema } from './common/responses';
import type { EngineConfig } from '../config/config';
import { ApiErrorFilter } from './common/error.filter';
import { EventsController, EVENTS_BODY_LIMIT } from './events/events.controller';
import { EventsService } from './events/events.service';
import { HealthController } from './health/health.controller';
import { json, text } from 'express';
import { CodecController, CODEC_BODY_LIMIT } from './codec/codec.controller';
import { IncidentsController } from './incidents/incidents.controller';
import { ProvidersController } from './providers/providers.controller';
import { IncidentsService } from './incidents/incidents.service';
import { ApprovalsController } from './approvals/approvals.controller';
import { ApprovalsService } from './approvals/approvals.service';
import { SlackController } from './integrations/slack.controller';
import { SsfController } from './ssf/ssf.controller';
import { GlobalTokenRevocationController } from './ssf/gtr.controller';
import { SsfReceiverController } from './ssf/receiver.controller';
import { consoleRouter } from './console';
import { TemporalModule, TEMPORAL_CLIENT } from './temporal/temporal.module';
import type { Client } from '@temporalio/client';
import { ApiMetrics } from './metrics/metrics';
import { API_METRICS, MetricsController } from './metrics/metrics.controller';
import { PlaybooksController } from './playbooks/playbooks.controller';

export const BODY_LIMIT = '256kb';

export async function createApp(
  config: EngineConfig,
  opts: { logger?: LogLevel[] | false } = {},
): Promise<INestApplication> {
  const auth = requireAuth(config);
  warnIfPlaintext(requirePayloadProtection(config), 'api');
  usePrincipalKeySecret(requirePrincipalKeySecret(config));
  if (auth.mode === 'dev') {
    serviceLogger('api').warn(
      'AUTHENTICATION IS OFF (AUTH_MODE=dev): anyone who reaches this API can contain accounts. Never run this way outside a trial.',
    );
  }

  @Module({
    imports: [TemporalModule.forRoot(config)],
    controllers: [
      IncidentsController,
      EventsController,
      CodecController,
      HealthController,
      ProvidersController,
      MetricsController,
      PlaybooksController,
      ApprovalsController,
      SlackController,
      SsfController,
      GlobalTokenRevocationController,
      SsfReceiverController,
    ],
    providers: [
      IncidentsService,
      ApprovalsService,
      EventsService,
      { provide: APP_GUARD, useClass: AuthGuard },
      {
        provide: API_METRICS,
        useFactory: (client: Client) => new ApiMetrics(client),
        inject: [TEMPORAL_CLIENT],
      },
      // The rate limit's counters (memory, or Redis shared by replicas); closed with the app.
      { provide: RateLimitStore, useFactory: () => new RateLimitStore(config.api.rateLimit) },
    ],
  })
  class AppModule {}

  const log = serviceLogger('api');
  const app = await NestFactory.create<NestExpressApplication>(AppModule, {
    logger: opts.logger === false ? false : new PinoNestLogger(log, opts.logger ?? ['error', 'warn']),
    bodyParser: false,
  });
  if (tracingEnabled()) app.use(requestTracing());
  // One line per request (not for in-process callers that asked for silence: tests, benches).
  if (opts.logger !== false) app.use(requestLogging(log));
  const metrics = app.get<ApiMetrics>(API_METRICS);
  app.use(countRequests(metrics));
  // Event batches are read as text (JSON array or NDJSON) with their own, larger limit.
  if (config.api.trustProxy !== undefined) app.set('trust proxy', config.api.trustProxy);
  if (config.api.rateLimit) app.use(rateLimiter(config.api.rateLimit, app.get(RateLimitStore)));
  // Large bodies are read only for callers already known to hold the route's role.
  app.use(
    '/events',
    authenticateBeforeBody(config, () => 'ingest'),
    text({
      type: () => true,
      limit: EVENTS_BODY_LIMIT,
      // The exact bytes, for sources that sign their pushes (api/auth/signed-ingest.ts).
      verify: (req, _res, buf) => ((req as AuthedRequest).rawBody = buf),
    }),
  );
  app.use(
    '/codec',
    corsFor(config.api.corsOrigins),
    authenticateBeforeBody(config, (req) => (req.path.startsWith('/encode') ? 'admin' : 'viewer')),
    json({ limit: CODEC_BODY_LIMIT }),
  );
  // The incident console: its page and files (the calls it makes are authenticated like any other).
  app.use('/console', consoleRouter(config));
  // Slack's interaction requests are signed over their exact bytes (api/integrations/slack.ts).
  app.use(
    '/integrations/slack',
    text({
      type: () => true,
      limit: '64kb',
      verify: (req, _res, buf) => ((req as AuthedRequest).rawBody = buf),
    }),
  );
  // SETs pushed by upstream transmitters (RFC 8935: application/secevent+jwt, a compact JWS).
  app.use('/ssf/receiver', text({ type: () => true, limit: '64kb' }));
  app.useBodyParser('json', { limit: BODY_LIMIT });
  // The "was this you?" page posts a plain HTML form.
  app.useBodyParser('urlencoded', { limit: '4kb', extended: false });
  // body-parser failures happen before Nest routes the request: answer them here, precisely.
  app.use((err: { type?: string } | undefined, req: Request, res: Response, next: NextFunction) => {
    if (err?.type === 'entity.parse.failed') {
      sendProblem(res, problem(400, 'BadRequest', 'request body is not valid JSON', req));
    } else if (err?.type === 'entity.too.large') {
      const limit = req.originalUrl.startsWith('/events')
        ? EVENTS_BODY_LIMIT
        : req.originalUrl.startsWith('/codec')
          ? CODEC_BODY_LIMIT
          : BODY_LIMIT;
      sendProblem(res, problem(413, 'PayloadTooLarge', `request body is larger than ${limit}`, req));
    } else next(err);
  });
  app.useGlobalFilters(new ApiErrorFilter());
  app.enableShutdownHooks();

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Identity incident response engine')
      .setDescription('Incidents are durable Temporal workflows; see the README for the lifecycle.')
      .setVersion('0.1.0')
      .addBearerAuth()
      .build(),
  );
  withProblemResponses(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'openapi.json' });
  return app;
}

/**
 * CORS for the codec endpoint only: the Temporal UI calls it from the browser, with the user's
 * bearer token when the UI is configured to pass it. Preflights from other origins get no grant.
 */
function corsFor(origins: string[]) {
  const allowed = new Set(origins);
  return (req: Request, res: Response, next: NextFunction) => {
    const origin = req.header('origin');
    if (origin && allowed.has(origin)) {
      res.vary('Origin');
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      if (req.method === 'OPTIONS') {
        res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
        res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Namespace');
        res.setHeader('Access-Control-Max-Age', '600');
      }
    }
    if (req.method === 'OPTIONS') {
      res.status(204).end();
      return;
    }
    next();
  };
}

/** Every request, by the route pattern it matched (never the raw path: ids stay out of labels). */
function countRequests(metrics: ApiMetrics) {
  return (req: Request, res: Response, next: NextFunction) => {
    const started = performance.now();
    res.once('finish', () => {
      metrics.request(
        req.method,
        routeOf(req) ?? 'unmatched',
        res.statusCode,
        (performance.now() - started) / 1000,
      );
    });
    next();
  };
}

/** Every operation can answer a problem (RFC 9457): documented once, as every operation's default. */
function withProblemResponses(document: OpenAPIObject): void {
  const problem = {
    description: 'an error: RFC 9457 problem details',
    content: { [PROBLEM_CONTENT_TYPE]: { schema: responseSchema(problemSchema) } },
  };
  for (const item of Object.values(document.paths))
    for (const op of [item.get, item.post, item.put, item.patch, item.delete])
      if (op) op.responses = { ...op.responses, default: problem as never };
}
