/**
 * Benchmark: the API's rate limiter per request (before authentication, on every call), with its
 * counters in memory and in Redis (a server of its own from scripts/install-redis.sh). Requests go
 * one after another from 1,000 addresses, under a 600/60 s limit. Prints figures.
 *
 *   npm run bench:rate-limit -- [requests=50000]
 */
import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import type { NextFunction, Request, Response } from 'express';
import { rateLimiter, RateLimitStore, type RateLimit } from '../api/common/rate-limit';
import { portOpen } from '../scripts/runtime/services';

const n = Number(process.argv[2] ?? 50_000);
const PORT = 27700;
const res = {
  setHeader: () => undefined,
  status: () => res,
  type: () => res,
  send: () => res,
} as unknown as Response;

async function run(name: string, limit: RateLimit): Promise<void> {
  const store = new RateLimitStore(limit);
  const limiter = rateLimiter(limit, store);
  await new Promise((r) => setTimeout(r, 300)); // Redis: connected
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const a = i % 1000;
    const req = {
      ip: `10.0.${a >> 8}.${a & 255}`,
      socket: {},
      originalUrl: '/incidents',
    } as unknown as Request;
    await new Promise<void>((next) => limiter(req, res, next as NextFunction));
  }
  const ms = performance.now() - t0;
  store.onApplicationShutdown();
  console.log(
    `  ${name.padEnd(8)} ${((n / ms) * 1000).toFixed(0).padStart(8)} requests/s  ${((ms * 1000) / n).toFixed(1)} µs each`,
  );
}

async function main(): Promise<void> {
  const limit = { requests: 600, windowMs: 60_000 };
  console.log(`rate limiter, ${n} requests from 1,000 addresses (600/60 s):`);
  await run('memory', limit);
  const server = execFileSync('bash', [path.resolve(__dirname, '..', '..', 'scripts', 'install-redis.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  const redis = spawn(
    server,
    ['--port', String(PORT), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    {
      stdio: 'ignore',
      detached: true,
    },
  );
  try {
    for (let i = 0; i < 60 && !(await portOpen('127.0.0.1', PORT)); i++)
      await new Promise((r) => setTimeout(r, 250));
    await run('redis', { ...limit, redisUrl: `redis://127.0.0.1:${PORT}` });
  } finally {
    if (redis.pid) process.kill(-redis.pid, 'SIGTERM');
  }
}

void main();
