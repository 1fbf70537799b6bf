/**
 * The worker's log: the SDK's logger, with failure messages redacted. Activity and workflow failures
 * name principals ("user 'alice@corp' not in realm 'corp'"); history keeps them (encrypted), logs
 * keep the failure's type and the message with every quoted value masked.
 */
import { DefaultLogger, LogLevel, LogMetadata } from '@temporalio/worker';
import type { Logger as PinoLogger } from 'pino';
import { serviceLogger } from '../telemetry/log';
import { redactQuoted } from '../telemetry/redact';

export { redactQuoted };

export function redactMeta(meta: LogMetadata | undefined): LogMetadata | undefined {
  if (!meta) return meta;
  const out: LogMetadata = {};
  for (const [key, value] of Object.entries(meta)) {
    if (isErrorLike(value)) {
      out[key] = redactError(value);
    } else if (typeof value === 'string' && (key === 'error' || key === 'message' || key === 'failure')) {
      out[key] = redactQuoted(value);
    } else out[key] = value;
  }
  return out;
}

/**
 * The SDK's (and activities' and workflows') log as JSON lines through pino: messages and failures
 * redacted as above, the incident id lifted out of the workflow id, the SDK's own fields kept.
 */
export function redactingLogger(level: LogLevel, sink: PinoLogger = serviceLogger('worker')): DefaultLogger {
  return new DefaultLogger(level, (entry) => {
    const meta = redactMeta(entry.meta) ?? {};
    const workflowId = typeof meta.workflowId === 'string' ? meta.workflowId : undefined;
    const fields = workflowId?.startsWith('incident-') ? { ...meta, incidentId: workflowId } : meta;
    sink[PINO_LEVEL[entry.level]](fields, redactQuoted(entry.message));
  });
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

interface ErrorLike {
  name?: unknown;
  message: unknown;
  cause?: unknown;
}

/** Errors from the workflow sandbox come from another realm: `instanceof Error` is false for them. */
function isErrorLike(value: unknown): value is ErrorLike {
  return value instanceof Error || (typeof value === 'object' && value !== null && 'message' in value);
}

function redactError(err: ErrorLike, depth = 0): Record<string, unknown> {
  const out: Record<string, unknown> = {
    name: String(err.name ?? 'Error'),
    message: redactQuoted(String(err.message)),
  };
  if (err.cause !== undefined && isErrorLike(err.cause) && depth < 5)
    out.cause = redactError(err.cause, depth + 1);
  return out;
}

/** The SDK logger's level from LOG_LEVEL (either case); WARN when unset. */
export function sdkLevel(value: string | undefined): LogLevel {
  const v = (value ?? 'warn').toUpperCase();
  if (v === 'FATAL') return 'ERROR';
  if (!(v in PINO_LEVEL))
    throw new Error(`LOG_LEVEL '${value}' is not one of trace, debug, info, warn, error`);
  return v as LogLevel;
}
