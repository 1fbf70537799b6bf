/**
 * The worker's log: the SDK's logger, with failure messages redacted. Activity and workflow failures
 * name principals ("user 'alice@corp' not in realm 'corp'"); history keeps them (encrypted), logs
 * keep the failure's type and the message with every quoted value masked.
 */
import { DefaultLogger, LogLevel, LogMetadata } from '@temporalio/worker';

export function redactQuoted(message: string): string {
  return message.replace(/'[^'\n]*'/g, "'…'").replace(/"[^"\n]*"/g, '"…"');
}

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

export function redactingLogger(level: LogLevel): DefaultLogger {
  const plain = new DefaultLogger(level);
  return new DefaultLogger(level, (entry) =>
    plain.log(entry.level, redactQuoted(entry.message), redactMeta(entry.meta)),
  );
}

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
