import type { NextFunction, Request, Response } from 'express';
import { rateLimiter } from './rate-limit';

function call(limiter: ReturnType<typeof rateLimiter>, ip: string) {
  let status = 200;
  const headers: Record<string, string> = {};
  const res = {
    setHeader: (k: string, v: string) => (headers[k] = v),
    status: (s: number) => ((status = s), res),
    type: () => res,
    send: () => res,
  } as unknown as Response;
  let passed = false;
  limiter(
    { ip, socket: {}, originalUrl: '/incidents' } as Request,
    res,
    (() => (passed = true)) as NextFunction,
  );
  return { status: passed ? 200 : status, headers };
}

describe('rateLimiter', () => {
  it('allows a burst of the limit, then refills at limit/window', () => {
    let now = 0;
    const limiter = rateLimiter({ requests: 3, windowMs: 3000 }, () => now);
    expect([1, 2, 3].map(() => call(limiter, 'a').status)).toEqual([200, 200, 200]);
    const refused = call(limiter, 'a');
    expect(refused.status).toBe(429);
    expect(refused.headers['Retry-After']).toBe('1');
    expect(call(limiter, 'b').status).toBe(200); // per address
    now = 999;
    expect(call(limiter, 'a').status).toBe(429);
    now = 1000;
    expect(call(limiter, 'a').status).toBe(200);
    expect(call(limiter, 'a').status).toBe(429);
  });
});
