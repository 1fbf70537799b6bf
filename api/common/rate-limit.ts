/**
 * Per-address token buckets in front of every route (before authentication, so floods of bad
 * tokens are limited too). Over the limit → 429 with Retry-After. One process's memory: behind
 * several API replicas, put the shared limit in the proxy.
 */
import type { NextFunction, Request, Response } from 'express';
import { problem, sendProblem } from './problem';

export interface RateLimit {
  /** Requests allowed per window, also the burst size. */
  requests: number;
  windowMs: number;
}

const MAX_TRACKED = 50_000;

export function rateLimiter({ requests, windowMs }: RateLimit, now: () => number = Date.now) {
  const perMs = requests / windowMs;
  const buckets = new Map<string, { tokens: number; at: number }>();
  return (req: Request, res: Response, next: NextFunction) => {
    const key = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const t = now();
    const bucket = buckets.get(key) ?? { tokens: requests, at: t };
    bucket.tokens = Math.min(requests, bucket.tokens + (t - bucket.at) * perMs);
    bucket.at = t;
    if (bucket.tokens < 1) {
      const retryAfter = Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
      res.setHeader('Retry-After', String(retryAfter));
      sendProblem(
        res,
        problem(
          429,
          'TooManyRequests',
          `more than ${requests} requests in ${windowMs / 1000} s from this address; retry after ${retryAfter} s`,
          req,
        ),
      );
      return;
    }
    bucket.tokens -= 1;
    if (!buckets.has(key)) {
      if (buckets.size >= MAX_TRACKED) prune(buckets, t, perMs, requests);
      buckets.set(key, bucket);
    }
    next();
  };
}

/** Drops buckets that have refilled (they hold no information); the oldest half if none have. */
function prune(buckets: Map<string, { tokens: number; at: number }>, t: number, perMs: number, full: number) {
  for (const [key, b] of buckets) if (b.tokens + (t - b.at) * perMs >= full) buckets.delete(key);
  if (buckets.size >= MAX_TRACKED) {
    let n = buckets.size / 2;
    for (const key of buckets.keys()) {
      if (n-- <= 0) break;
      buckets.delete(key);
    }
  }
}
