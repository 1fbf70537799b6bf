/**
 * The engine's log: one JSON object per line (pino), with the service, the request id on API
 * lines and the incident id wherever one is known, and secrets redacted before anything is
 * written. LOG_FORMAT=pretty prints the same records as readable lines (what `npm start` uses).
 * LOG_LEVEL (trace, debug, info, warn, error) filters what the SDK and the web framework say; the
 * engine's own lifecycle lines (ready, listening, detector running) are kept from info, and
 * trace/debug make everything more verbose.
 */
import pino, { type Logger, type LoggerOptions } from 'pino';
import pretty from 'pino-pretty';

/** Paths pino blanks out wherever they appear in a record. */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-ir-signature"]',
  'req.headers["x-hub-signature-256"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.secret',
  '*.clientSecret',
  '*.client_secret',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.refreshToken',
  '*.refresh_token',
  '*.idToken',
  '*.id_token',
  '*.apiToken',
];

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal'] as const;
export type Level = (typeof LEVELS)[number];

/** LOG_LEVEL as pino reads it; Temporal's upper-case names are accepted too. */
export function logLevel(value = process.env.LOG_LEVEL): Level {
  const v = (value ?? 'info').toLowerCase();
  if (!(LEVELS as readonly string[]).includes(v))
    throw new Error(`LOG_LEVEL '${value}' is not one of ${LEVELS.join(', ')}`);
  return v as Level;
}

export function createLogger(
  service: string,
  opts: { level?: Level; format?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const options: LoggerOptions = {
    level: opts.level ?? (['trace', 'debug'].includes(logLevel()) ? logLevel() : 'info'),
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  const format = opts.format ?? process.env.LOG_FORMAT ?? 'json';
  if (format === 'pretty')
    return pino(
      options,
      pretty({
        destination: opts.destination ?? 1,
        sync: true,
        singleLine: true,
        translateTime: 'SYS:HH:MM:ss',
        ignore: 'pid,hostname,service',
        messageFormat: '{service}: {msg}',
      }),
    );
  if (format !== 'json') throw new Error(`LOG_FORMAT '${format}' is not json or pretty`);
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

const shared = new Map<string, Logger>();

/** The process's logger for a service (made once, from LOG_LEVEL and LOG_FORMAT). */
export function serviceLogger(service: string): Logger {
  let log = shared.get(service);
  if (!log) shared.set(service, (log = createLogger(service)));
  return log;
}
