/**
 * Every activity heartbeats while it runs, so a worker that dies (kill -9, OOM, lost node) is
 * noticed within the heartbeat timeout and the activity retried elsewhere — not after the
 * two-minute start-to-close timeout. Activities stay plain async functions; this wraps them.
 */
import { Context } from '@temporalio/activity';

export const HEARTBEAT_EVERY_MS = 2_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyFn = (...args: any[]) => Promise<unknown>;

export function withHeartbeats<T extends Record<string, AnyFn>>(activities: T): T {
  const wrapped: Record<string, AnyFn> = {};
  for (const [name, fn] of Object.entries(activities)) {
    wrapped[name] = async (...args: unknown[]) => {
      const ctx = Context.current();
      ctx.heartbeat();
      const timer = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
      try {
        return await fn(...args);
      } finally {
        clearInterval(timer);
      }
    };
  }
  return wrapped as T;
}
