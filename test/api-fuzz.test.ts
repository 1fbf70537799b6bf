/**
 * OpenAPI-driven fuzzing of the live API: for every operation in /openapi.json, requests built from
 * its schemas and then broken — wrong types, missing and unknown fields, hostile strings, bad JSON,
 * wrong content types, oversized bodies, garbage path parameters. Whatever comes in: no 5xx, no
 * stack trace or source path in a response, and the server still answers afterwards. The status
 * histogram goes to .runtime/reports/api-fuzz.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { EngineConfig } from '../config/config';
import { testConfig, TestApi, TestWorker } from './support/engine';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);
const RUN = `-${Date.now().toString(36)}`;

let config: EngineConfig;
let api: TestApi;
let worker: TestWorker;

beforeAll(async () => {
  config = testConfig();
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
});

afterAll(async () => {
  // Leave nothing running on the shared server: fuzzed ingest starts detectors, valid bodies incidents.
  const running = worker.client.workflow.list({
    query: `TaskQueue = '${config.temporal.taskQueue}' AND ExecutionStatus = 'Running'`,
  });
  for await (const wf of running) {
    await worker.client.workflow
      .getHandle(wf.workflowId, wf.runId)
      .terminate('fuzz run over')
      .catch(() => undefined);
  }
  await api?.stop();
  await worker?.stop();
});

/** mulberry32: reproducible runs (FUZZ_SEED). */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Schema = Record<string, any>;

const HOSTILE = [
  '',
  ' ',
  '../../etc/passwd',
  '%00',
  '\u0000',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  '${jndi:ldap://x}',
  'constructor',
  '__proto__',
  '🔥'.repeat(50),
  'x'.repeat(5000),
  'incident-' + '0'.repeat(24),
  'keycloak',
  'critical',
  '\\u0000',
  'null',
  '-1',
  '1e309',
];

class Fuzzer {
  constructor(
    readonly rnd: () => number,
    private readonly doc: Schema,
  ) {}

  pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rnd() * xs.length)];
  }

  chance(p: number): boolean {
    return this.rnd() < p;
  }

  junk(depth = 0): unknown {
    const kinds = ['string', 'number', 'bool', 'null', 'array', 'object'];
    switch (this.pick(depth > 2 ? kinds.slice(0, 4) : kinds)) {
      case 'string':
        return this.pick(HOSTILE);
      case 'number':
        return this.pick([0, -1, 1.5, 2 ** 53, -(2 ** 63), 1e308]);
      case 'bool':
        return this.chance(0.5);
      case 'null':
        return null;
      case 'array':
        return Array.from({ length: Math.floor(this.rnd() * 4) }, () => this.junk(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: Math.floor(this.rnd() * 4) }, () => [
            this.pick(HOSTILE),
            this.junk(depth + 1),
          ]),
        );
    }
  }

  resolve(schema: Schema): Schema {
    if (schema?.$ref) {
      const name = String(schema.$ref).split('/').pop()!;
      return this.doc.components?.schemas?.[name] ?? {};
    }
    return schema ?? {};
  }

  /** A value for `schema`: usually valid-shaped, sometimes broken at this level. */
  value(raw: Schema, depth = 0): unknown {
    const schema = this.resolve(raw);
    if (depth > 5 || this.chance(0.08)) return this.junk(depth);
    const options = schema.anyOf ?? schema.oneOf;
    if (options) return this.value(this.pick(options), depth + 1);
    if (schema.enum) return this.pick(schema.enum);
    if (schema.const !== undefined) return schema.const;
    const type = Array.isArray(schema.type) ? this.pick(schema.type) : schema.type;
    switch (type) {
      case 'string': {
        if (schema.pattern && this.chance(0.5)) return this.fromPattern(schema.pattern);
        const len = Math.floor(this.rnd() * (this.chance(0.1) ? 2000 : 20));
        return this.chance(0.3)
          ? this.pick(HOSTILE)
          : 'f'.repeat(len) + this.pick(['', 'ü', '@corp.example']);
      }
      case 'integer':
      case 'number': {
        const lo = schema.minimum ?? 0;
        const hi = schema.maximum ?? lo + 1000;
        return this.pick([lo, hi, lo - 1, hi + 1, Math.floor(lo + this.rnd() * (hi - lo)), 0.5]);
      }
      case 'boolean':
        return this.chance(0.5);
      case 'array':
        return Array.from({ length: Math.floor(this.rnd() * 4) }, () =>
          this.value(schema.items ?? {}, depth + 1),
        );
      case 'object':
      default: {
        const out: Record<string, unknown> = {};
        const required = new Set<string>(schema.required ?? []);
        for (const [key, sub] of Object.entries<Schema>(schema.properties ?? {})) {
          if (this.chance(required.has(key) ? 0.93 : 0.5)) out[key] = this.value(sub, depth + 1);
        }
        if (this.chance(0.07)) out[this.pick(HOSTILE) || 'extra'] = this.junk(depth + 1);
        return out;
      }
    }
  }

  /** Strings a few known patterns accept (realm, alertId, incident ids); others get letters. */
  fromPattern(pattern: string): string {
    if (pattern.includes('incident-')) {
      return 'incident-' + Array.from({ length: 24 }, () => this.pick([...'0123456789abcdef'])).join('');
    }
    // A per-run suffix: principals never collide with incidents left by earlier runs on a reused server.
    const letters = Array.from({ length: 1 + Math.floor(this.rnd() * 12) }, () =>
      this.pick([...'abcXYZ019._-']),
    );
    return letters.join('') + RUN;
  }
}

interface Operation {
  method: string;
  path: string;
  op: Schema;
}

function operations(doc: Schema): Operation[] {
  return Object.entries<Schema>(doc.paths).flatMap(([p, item]) =>
    Object.entries<Schema>(item)
      .filter(([m]) => ['get', 'post', 'put', 'patch', 'delete'].includes(m))
      .map(([method, op]) => ({ method: method.toUpperCase(), path: p, op })),
  );
}

function build(f: Fuzzer, { method, path: template, op }: Operation) {
  const params: Schema[] = op.parameters ?? [];
  let url = template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const p = params.find((x) => x.name === name && x.in === 'path');
    const v = f.chance(0.6) && p ? f.value(p.schema ?? { type: 'string' }) : f.junk();
    return encodeURIComponent(typeof v === 'string' ? v : JSON.stringify(v));
  });
  const query = new URLSearchParams();
  for (const p of params.filter((x) => x.in === 'query')) {
    if (f.chance(0.6)) {
      const v = f.value(p.schema ?? { type: 'string' });
      query.set(p.name, typeof v === 'string' ? v : JSON.stringify(v));
    }
  }
  if (f.chance(0.05)) query.set(f.pick(HOSTILE) || 'x', f.pick(HOSTILE));
  if ([...query].length) url += `?${query}`;

  const headers: Record<string, string> = {};
  if (f.chance(0.9))
    headers['x-actor'] = f.chance(0.9)
      ? 'fuzz.responder'
      : f
          .pick(HOSTILE)
          .replace(/[^\x20-\x7e]/g, '?')
          .slice(0, 200);
  let body: string | undefined;
  if (method !== 'GET') {
    const schema = op.requestBody?.content?.['application/json']?.schema;
    const roll = f.rnd();
    if (template === '/events') {
      headers['content-type'] = f.pick(['application/x-ndjson', 'application/json', 'text/plain']);
      const records = Array.from({ length: Math.floor(f.rnd() * 5) }, () => f.junk());
      body = roll < 0.5 ? records.map((r) => JSON.stringify(r)).join('\n') : JSON.stringify(records);
      if (roll > 0.9) body = f.pick(HOSTILE);
    } else {
      headers['content-type'] =
        roll < 0.9
          ? 'application/json'
          : f.pick(['text/plain', 'application/xml', 'application/x-www-form-urlencoded']);
      body = JSON.stringify(schema ? f.value(schema) : f.junk());
      if (roll > 0.93) body = f.pick(['{', '{"a":', 'null', '[]', '"str"', '{"a":1}}', '\u0000']);
    }
    if (f.chance(0.01)) body = JSON.stringify({ big: 'x'.repeat(6 * 1024 * 1024) }); // over every limit
  }
  return { url, init: { method, headers, body } as RequestInit };
}

it(`answers ${REQUESTS} fuzzed requests without a 5xx, a crash or a stack trace`, async () => {
  const doc = (await api.call<Schema>('GET', '/openapi.json')).body;
  const ops = operations(doc);
  expect(ops.length).toBeGreaterThanOrEqual(10);
  const f = new Fuzzer(prng(SEED), doc);
  const histogram: Record<string, number> = {};
  const perOperation: Record<string, Record<string, number>> = {};
  const failures: string[] = [];
  const slow: string[] = [];

  for (let i = 0; i < REQUESTS; i++) {
    const op = ops[i % ops.length];
    const { url, init } = build(f, op);
    const t0 = Date.now();
    const res = await fetch(`${api.url}${url}`, { ...init, signal: AbortSignal.timeout(30_000) });
    const text = await res.text();
    const ms = Date.now() - t0;
    if (ms > 1000) slow.push(`${init.method} ${url.slice(0, 120)} → ${res.status} in ${ms} ms`);
    histogram[res.status] = (histogram[res.status] ?? 0) + 1;
    const key = `${op.method} ${op.path}`;
    (perOperation[key] ??= {})[res.status] = (perOperation[key][res.status] ?? 0) + 1;
    const leak = /\n\s+at |node_modules|\.ts:\d+|ECONNREFUSED|TypeError|ReferenceError/.exec(text);
    if (res.status >= 500 || leak) {
      failures.push(
        `${init.method} ${url.slice(0, 200)} ${String(init.body ?? '').slice(0, 300)} → ${res.status}${leak ? ` leaked '${leak[0]}'` : ''}: ${text.slice(0, 300)}`,
      );
    }
  }
  const health = await api.call('GET', '/health');

  const dir = path.resolve(__dirname, '..', '.runtime', 'reports');
  mkdirSync(dir, { recursive: true });
  const report = {
    seed: SEED,
    requests: REQUESTS,
    operations: ops.length,
    slow,
    histogram,
    perOperation,
    failures,
  };
  writeFileSync(path.join(dir, 'api-fuzz.json'), JSON.stringify(report, null, 2));
  process.stdout.write(
    `\napi fuzz (seed ${SEED}): ${REQUESTS} requests over ${ops.length} operations, statuses ${JSON.stringify(histogram)}\n`,
  );

  expect(failures).toEqual([]);
  expect(health.status).toBe(200);
  // Not everything bounced off validation: some requests reached the engine and were served.
  expect(Object.keys(histogram).some((s) => s.startsWith('2'))).toBe(true);
});
