import type { NextFunction, Request, Response } from 'express';
import { rateLimiter, RateLimitStore } from './rate-limit';

function call(
  limiter: ReturnType<typeof rateLimiter>,
  ip: string,
): Promise<{ status: number; headers: Record<string, string> }> {
  return new Promise((resolve) => {
    let status = 200;
    const headers: Record<string, string> = {};
    const res = {
      setHeader: (k: string, v: string) => (headers[k] = v),
      status: (s: number) => ((status = s), res),
      type: () => res,
      send: () => (resolve({ status, headers }), res),
    } as unknown as Response;
    limiter({ ip, socket: {}, originalUrl: '/incidents' } as Request, res, (() =>
      resolve({ status: 200, headers })) as NextFunction);
  });
}

describe('rateLimiter (on @nestjs/throttler storage)', () => {
  it('allows the limit per window per address, then 429 with Retry-After until the window ends', async () => {
    jest.useFakeTimers({ now: 0 });
    const storage = new RateLimitStore({ requests: 3, windowMs: 3000 });
    try {
      const limiter = rateLimiter({ requests: 3, windowMs: 3000 }, storage);
      const first = [await call(limiter, 'a'), await call(limiter, 'a'), await call(limiter, 'a')];
      expect(first.map((r) => r.status)).toEqual([200, 200, 200]);
      const refused = await call(limiter, 'a');
      expect(refused.status).toBe(429);
      expect(Number(refused.headers['Retry-After'])).toBeGreaterThanOrEqual(1);
      expect(Number(refused.headers['Retry-After'])).toBeLessThanOrEqual(3);
      expect((await call(limiter, 'b')).status).toBe(200); // per address
      jest.advanceTimersByTime(3001);
      expect((await call(limiter, 'a')).status).toBe(200);
    } finally {
      storage.onApplicationShutdown();
      jest.useRealTimers();
    }
  });

  it('lets requests through when its store is unavailable', async () => {
    const limiter = rateLimiter(
      { requests: 1, windowMs: 1000 },
      { increment: () => Promise.reject(new Error('connection refused')) },
    );
    expect((await call(limiter, 'a')).status).toBe(200);
    expect((await call(limiter, 'a')).status).toBe(200);
  });
});
