import type { EventProvider, IdentityEvent, Outcome } from '../events';
import { EventRejected, isoTime } from '../fields';

export interface ParseContext {
  /** When the batch arrived (ISO): the time of records that carry none. */
  receivedAt: string;
  /** SHA-256 of the raw record, computed once by the caller. */
  rawRef: string;
}

/** A parser turns one raw record into zero or more normalized events (Google bundles several). */
export type Parser = (raw: unknown, ctx: ParseContext) => IdentityEvent[];

export function eventTime(
  ctx: ParseContext,
  ...candidates: unknown[]
): { time: string; timeSource: 'event' | 'received' } {
  for (const c of candidates) {
    const t = isoTime(c);
    if (t) return { time: t, timeSource: 'event' };
  }
  return { time: ctx.receivedAt, timeSource: 'received' };
}

export function outcomeOf(value: string | undefined, success: RegExp, failure: RegExp): Outcome {
  if (!value) return 'unknown';
  if (success.test(value)) return 'success';
  if (failure.test(value)) return 'failure';
  return 'unknown';
}

export function requireObject(raw: unknown, provider: EventProvider): asserts raw is Record<string, unknown> {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new EventRejected(`a ${provider} event must be a JSON object`);
  }
}
