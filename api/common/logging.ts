/**
 * The API's log on pino (telemetry/log.ts): one line per request with its id (X-Request-Id when
 * the caller sent a sane one, else a fresh UUID, echoed back), method, path without the query
 * string (the "was this you?" links carry tokens there), status, latency and the incident id the
 * path names; never headers or bodies. Nest's own messages go to the same logger.
 */
import type { LoggerService, LogLevel } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const INCIDENT_PATH = /^\/incidents\/([A-Za-z0-9._-]{1,128})(?:[/?]|$)/;

/** The path without its query string (tokens travel there), bounded. */
const pathOf = (url: string | undefined) =>
  String(url ?? '')
    .split('?')[0]
    .slice(0, 200);

export function requestLogging(log: Logger) {
  return pinoHttp({
    logger: log,
    genReqId: (req: IncomingMessage, res: ServerResponse) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => {
        const path = pathOf(req.url);
        const incident = INCIDENT_PATH.exec(path)?.[1];
        return { id: req.id, method: req.method, path, ...(incident ? { incidentId: incident } : {}) };
      },
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    customSuccessMessage: (req, res) => `${req.method} ${pathOf(req.url)} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${pathOf(req.url)} ${res.statusCode}`,
    // Probes and scrapes every few seconds would drown the rest.
    autoLogging: { ignore: (req) => /^\/(health|metrics)(\?|$)/.test(req.url ?? '') },
  });
}

/** Nest's LoggerService on pino: its context becomes a field; levels outside `levels` are dropped. */
export class PinoNestLogger implements LoggerService {
  private readonly levels: Set<LogLevel>;
  constructor(
    private readonly sink: Logger,
    levels: LogLevel[] = ['error', 'warn', 'log'],
  ) {
    this.levels = new Set(levels);
  }
  log(message: unknown, ...rest: unknown[]): void {
    this.write('log', 'info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', 'error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', 'warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', 'debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('verbose', 'trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', 'fatal', message, rest);
  }

  private write(
    nest: LogLevel,
    level: 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal',
    message: unknown,
    rest: unknown[],
  ): void {
    if (!this.levels.has(nest)) return;
    // Nest passes the context last (and, for errors, a stack before it).
    const context = typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const text =
      message instanceof Error
        ? message.message
        : typeof message === 'string'
          ? message
          : JSON.stringify(message);
    this.sink[level](context ? { context } : {}, text);
  }
}
