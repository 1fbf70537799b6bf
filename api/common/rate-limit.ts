/**
 * Per-address request limits in front of every route (before authentication, so floods of bad
 * tokens are limited too). Over the limit → 429 with Retry-After, for the rest of the window.
 * Counting is @nestjs/throttler's storage: in this process's memory, or — with
 * API_RATE_LIMIT_REDIS_URL — in Redis (@nest-lab/throttler-storage-redis), so a limit holds across
 * every API replica. If Redis cannot be reached the request goes through (logged): responders must
 * not lose the API mid-incident because a counter is down.
 */
import { ThrottlerStorageService, type ThrottlerStorage } from '@nestjs/throttler';
import { ThrottlerStorageRedisService } from '@nest-lab/throttler-storage-redis';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { serviceLogger } from '../../telemetry/log';
import { problem, sendProblem } from './problem';

export interface RateLimit {
  /** Requests allowed per window. */
  requests: number;
  windowMs: number;
  /** Shared counters for every replica (redis:// or rediss:// URL). */
  redisUrl?: string;
}

/**
 * The counters: Redis when configured, else memory. A Nest provider, so closing the app ends them
 * (the memory store's sweep timer, the Redis connection).
 */
export class RateLimitStore implements ThrottlerStorage, OnApplicationShutdown {
  private readonly store: ThrottlerStorageService | ThrottlerStorageRedisService;

  constructor(limit: RateLimit | undefined) {
    if (limit?.redisUrl) {
      const redis = new ThrottlerStorageRedisService(limit.redisUrl, {
        maxRetriesPerRequest: 1,
        enableOfflineQueue: false,
      });
      // ioredis reports a lost connection here; the limiter logs what a request meets.
      redis.redis.on('error', () => undefined);
      this.store = redis;
    } else this.store = new ThrottlerStorageService();
  }

  increment(key: string, ttl: number, limit: number, blockDuration: number, name: string) {
    return this.store.increment(key, ttl, limit, blockDuration, name);
  }

  onApplicationShutdown(): void {
    if (this.store instanceof ThrottlerStorageRedisService) this.store.onModuleDestroy();
    else this.store.onApplicationShutdown();
  }
}

export function rateLimiter({ requests, windowMs }: RateLimit, storage: ThrottlerStorage) {
  const log = serviceLogger('api');
  let lastWarned = 0;
  return (req: Request, res: Response, next: NextFunction) => {
    const key = `ir-api:${req.ip ?? req.socket.remoteAddress ?? 'unknown'}`;
    storage.increment(key, windowMs, requests, windowMs, 'api').then(
      (record) => {
        if (!record.isBlocked) return next();
        const retryAfter = Math.max(1, Math.ceil(record.timeToBlockExpire));
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
      },
      (err: Error) => {
        if (Date.now() - lastWarned > 60_000) {
          lastWarned = Date.now();
          log.warn(
            `rate limit not applied: its store is unavailable (${err.name}: ${err.message.slice(0, 200)})`,
          );
        }
        next();
      },
    );
  };
}
