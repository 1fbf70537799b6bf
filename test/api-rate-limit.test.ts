/**
 * The API's rate limit across replicas: two API processes' worth of apps counting in one Redis
 * (API_RATE_LIMIT_REDIS_URL, @nest-lab/throttler-storage-redis) hold one limit; counted in memory,
 * each holds its own. A Redis that goes away does not take the API with it.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { portOpen } from '../scripts/runtime/services';
import type { EngineConfig } from '../config/config';
import { eventually, testConfig, TestApi } from './support/engine';
import { freePort } from './support/engine-process';

let redis: ChildProcess;
let redisUrl: string;
let port: number;

beforeAll(async () => {
  const server = execFileSync('bash', [path.resolve(__dirname, '..', 'scripts', 'install-redis.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  port = await freePort();
  redis = spawn(server, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], {
    stdio: 'ignore',
    detached: true,
  });
  await eventually(() => portOpen('127.0.0.1', port), 'redis', 30_000);
  redisUrl = `redis://127.0.0.1:${port}`;
});

afterAll(() => {
  if (redis?.pid && redis.exitCode === null) process.kill(-redis.pid, 'SIGTERM');
});

const limited = (redisUrl?: string): EngineConfig => ({
  ...testConfig(),
  api: {
    ...testConfig().api,
    rateLimit: { requests: 5, windowMs: 60_000, ...(redisUrl ? { redisUrl } : {}) },
  },
});

async function statuses(apis: TestApi[], n: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < n; i++) out.push((await fetch(`${apis[i % 2].url}/health`)).status);
  return out;
}

it('two API replicas counting in Redis hold one limit; in memory each holds its own', async () => {
  const shared = [await TestApi.start(limited(redisUrl)), await TestApi.start(limited(redisUrl))];
  const alone = [await TestApi.start(limited()), await TestApi.start(limited())];
  try {
    // 5 allowed in all, whichever replica answers.
    expect(await statuses(shared, 7)).toEqual([200, 200, 200, 200, 200, 429, 429]);
    const refused = await fetch(`${shared[0].url}/health`);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(1);
    // Without the shared store each replica allows 5 of its own (the gap Redis closes).
    expect(await statuses(alone, 7)).toEqual([200, 200, 200, 200, 200, 200, 200]);
  } finally {
    for (const a of [...shared, ...alone]) await a.stop();
  }
});

it('lets requests through while Redis is unreachable', async () => {
  const api = await TestApi.start(limited(`redis://127.0.0.1:${await freePort()}`));
  try {
    const started = Date.now();
    expect(await statuses([api, api], 7)).toEqual([200, 200, 200, 200, 200, 200, 200]);
    expect(Date.now() - started).toBeLessThan(10_000);
  } finally {
    await api.stop();
  }
});
