/**
 * Bad input gets a clear 4xx saying what is wrong, never a 500 or a stack trace.
 */
import { Client, Connection } from '@temporalio/client';
import type { ZodType } from 'zod';
import { healthSchema, incidentListSchema, playbookListSchema, problemSchema } from '../api/common/responses';
import { eventually, testConfig, TestApi } from './support/engine';

let api: TestApi;
const config = testConfig();
beforeAll(async () => {
  api = await TestApi.start(config);
});
afterAll(async () => {
  await api?.stop();
});

const valid = {
  playbook: 'compromised-credential',
  principal: { provider: 'keycloak', realm: 'corp', username: 'someone' },
  severity: 'high',
  summary: 'x',
};

describe('rate limiting', () => {
  it('answers 429 with Retry-After past the per-address limit, before authentication', async () => {
    const limited = await TestApi.start({
      ...testConfig(),
      api: { ...testConfig().api, rateLimit: { requests: 5, windowMs: 60_000 } },
    });
    try {
      const statuses: number[] = [];
      for (let i = 0; i < 5; i++) statuses.push((await limited.call('GET', '/health')).status);
      expect(statuses).toEqual([200, 200, 200, 200, 200]);
      const res = await fetch(`${limited.url}/incidents`, { method: 'POST', body: '{}' });
      expect(res.status).toBe(429);
      expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(11); // 1 token per 12 s
      expect(((await res.json()) as { message: string }).message).toContain('more than 5 requests in 60 s');
    } finally {
      await limited.stop();
    }
  });
});

describe('REST input validation', () => {
  it.each([
    ['an unknown playbook', { ...valid, playbook: 'wipe-everything' }, 'playbook'],
    ['a missing principal', { ...valid, principal: undefined }, 'principal'],
    ['an unknown severity', { ...valid, severity: 'apocalyptic' }, 'severity'],
    ['an unknown field', { ...valid, extra: 1 }, 'extra'],
    [
      'a realm with a path in it',
      { ...valid, principal: { ...valid.principal, realm: '../master' } },
      'principal.realm',
    ],
    [
      'an approval timeout below 500 ms',
      { ...valid, policy: { disableAccount: { timeoutMs: 1 } } },
      'policy.disableAccount.timeoutMs',
    ],
  ])('rejects %s with 400 naming the field', async (_what, body, field) => {
    const res = await api.call('POST', '/incidents', body, 'alice');
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('BadRequest');
    expect(res.body.message).toContain(field);
    expect(JSON.stringify(res.body)).not.toMatch(/\bat \w+ \(/); // no stack trace
  });

  it('requires X-Actor on state-changing calls', async () => {
    const res = await api.call('POST', '/incidents', valid);
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('X-Actor');
  });

  it('says when the body is not JSON', async () => {
    const res = await api.call('POST', '/incidents', undefined, 'alice', '{"playbook": ');
    expect(res.status).toBe(400);
    expect(res.body.message).toBe('request body is not valid JSON');
  });

  it('rejects an oversized body with 413', async () => {
    const res = await api.call('POST', '/incidents', { ...valid, summary: 'x'.repeat(400_000) }, 'alice');
    expect(res.status).toBe(413);
    expect(res.body.error).toBe('PayloadTooLarge');
  });

  it('rejects a malformed incident id with 400 and an unknown one with 404', async () => {
    expect((await api.call('GET', '/incidents/..%2Fetc')).status).toBe(400);
    const missing = await api.call('GET', '/incidents/incident-000000000000000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('IncidentNotFound');
  });

  it('answers every error as RFC 9457 problem details (application/problem+json)', async () => {
    const cases: [string, RequestInit, number, string][] = [
      [
        '/incidents',
        { method: 'POST', headers: { 'content-type': 'application/json', 'x-actor': 'a' }, body: '{' },
        400,
        'BadRequest',
      ],
      [
        '/incidents',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-actor': 'a' },
          body: JSON.stringify({ ...valid, severity: 'x' }),
        },
        400,
        'BadRequest',
      ],
      ['/incidents/incident-000000000000000000000000?token=abc', {}, 404, 'IncidentNotFound'],
      [
        '/incidents',
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-actor': 'a' },
          body: JSON.stringify({ ...valid, summary: 'x'.repeat(400_000) }),
        },
        413,
        'PayloadTooLarge',
      ],
      ['/no-such-route', {}, 404, 'NotFound'],
    ];
    for (const [route, init, status, error] of cases) {
      const res = await fetch(`${api.url}${route}`, init);
      expect(res.status).toBe(status);
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      const body = (await res.json()) as Record<string, unknown>;
      expect(body).toMatchObject({
        type: `urn:identity-incident-response:problem:${error}`,
        status,
        error,
        instance: route.split('?')[0],
      });
      expect(typeof body.title).toBe('string');
      expect(body.detail).toBe(body.message);
      expect(String(body.detail).length).toBeGreaterThan(0);
    }
  });

  it('pages incident lists with a cursor: every incident once, a foreign cursor refused', async () => {
    const client = new Client({ connection: await Connection.connect({ address: config.temporal.address }) });
    const ids = ['a', 'b', 'c'].map((x) => `incident-pagetest-${x}-${Date.now()}`);
    try {
      // Started on this API's task queue (no worker runs them: listed as open, never acted on).
      for (const id of ids)
        await client.workflow.start('compromisedCredential', {
          workflowId: id,
          taskQueue: config.temporal.taskQueue,
          args: [],
        });
      await eventually(
        async () =>
          (await api.call('GET', '/incidents?limit=200')).body.incidents.length === 3 ? true : undefined,
        'three incidents visible',
        20_000,
      );
      const seen: string[] = [];
      let cursor: string | undefined;
      let pages = 0;
      do {
        const res = await api.call('GET', `/incidents?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
        expect(res.status).toBe(200);
        expect(res.body.incidents.length).toBeLessThanOrEqual(2);
        conform(incidentListSchema, res.body);
        seen.push(...res.body.incidents.map((i: { incidentId: string }) => i.incidentId));
        cursor = res.body.nextCursor;
        pages++;
      } while (cursor && pages < 5);
      expect(seen.sort()).toEqual([...ids].sort());
      expect(pages).toBeGreaterThanOrEqual(2);

      // A cursor the API gave, altered; its token under another key; junk.
      const given: string = (await api.call('GET', '/incidents?limit=1')).body.nextCursor;
      const [data, tag] = given.split('.');
      const altered = `${data.slice(0, -1)}${data.endsWith('A') ? 'B' : 'A'}.${tag}`;
      for (const bad of [
        altered,
        `${data}.${'A'.repeat(tag.length)}`,
        'not base64!',
        'AAAA',
        'x'.repeat(5000),
      ]) {
        const res = await api.call('GET', `/incidents?cursor=${encodeURIComponent(bad)}`);
        expect(res.status).toBe(400);
        expect(res.body.message).toContain('cursor');
      }
      expect((await api.call('GET', '/alerts?cursor=AAAA')).status).toBe(400);
    } finally {
      for (const id of ids)
        await client.workflow
          .getHandle(id)
          .terminate('test over')
          .catch(() => undefined);
      await client.connection.close();
    }
  });

  it('rejects a malformed approval decision with 400', async () => {
    const res = await api.call(
      'POST',
      '/incidents/incident-000000000000000000000000/approvals',
      { approvalId: 'a', decision: 'maybe' },
      'bob',
    );
    expect(res.status).toBe(400);
    expect(res.body.message).toContain('decision');
  });

  it('answers a read no worker answers with 503 in seconds, not a hang', async () => {
    // Nobody polls this API's task queue: the incident starts and waits for a worker.
    const opened = await api.call('POST', '/incidents', { ...valid, summary: 'no worker' }, 'alice');
    expect(opened.status).toBe(202); // started; no worker confirmed it
    const started = Date.now();
    const res = await api.call('GET', `/incidents/${opened.body.incidentId}`);
    const took = Date.now() - started;
    expect(res.status).toBe(503);
    expect(res.body.error).toBe('WorkerNotAnswering');
    expect(res.body.message).toMatch(/no worker answered for incident .+ within 5 s/);
    // Two bounded tries of 2.5 s; the client's own default would have waited 10 s and then failed.
    expect(took).toBeGreaterThanOrEqual(4_500);
    expect(took).toBeLessThan(9_000);
  });

  it('serves its OpenAPI document and health', async () => {
    const doc = await api.call('GET', '/openapi.json');
    expect(doc.status).toBe(200);
    expect(Object.keys(doc.body.paths)).toEqual(
      expect.arrayContaining([
        '/incidents',
        '/incidents/{id}',
        '/incidents/{id}/approvals',
        '/incidents/{id}/evidence',
        '/health',
      ]),
    );
    expect(
      doc.body.paths['/incidents'].post.requestBody.content['application/json'].schema.properties.severity
        .enum,
    ).toEqual(['low', 'medium', 'high', 'critical']);
    expect((await api.call('GET', '/health')).body).toEqual({ status: 'ok', temporal: 'ok' });

    // Every operation documents its success answer's content and its problem answer (clients are
    // generated from this): none is left as "whatever comes back".
    const missing: string[] = [];
    for (const [route, item] of Object.entries(
      doc.body.paths as Record<string, Record<string, DocumentedOperation>>,
    ))
      for (const [method, op] of Object.entries(item)) {
        const ok = Object.entries(op.responses ?? {}).find(([code]) => /^2\d\d$/.test(code));
        if (!ok || !(ok[1] as { content?: object }).content) missing.push(`${method} ${route}: success`);
        if (!op.responses?.default?.content?.['application/problem+json'])
          missing.push(`${method} ${route}: problem`);
      }
    expect(missing).toEqual([]);
    expect(
      doc.body.paths['/incidents'].get.responses['200'].content['application/json'].schema.properties,
    ).toHaveProperty('nextCursor');
    // And live answers are what the document says.
    expect(conform(healthSchema, (await api.call('GET', '/health')).body)).toBeTruthy();
    expect(conform(playbookListSchema, (await api.call('GET', '/playbooks')).body)).toBeTruthy();
    expect(conform(incidentListSchema, (await api.call('GET', '/incidents')).body)).toBeTruthy();
    expect(
      conform(problemSchema, (await api.call('GET', '/incidents/incident-000000000000000000000000')).body),
    ).toBeTruthy();
  });
});

/** The value when it matches the schema; otherwise a failure naming what does not. */
function conform<T>(schema: ZodType<T>, value: unknown): T {
  const r = schema.safeParse(value);
  if (!r.success) throw new Error(`does not match the documented schema: ${JSON.stringify(r.error.issues)}`);
  return r.data;
}

interface DocumentedOperation {
  responses?: Record<string, { content?: Record<string, unknown> }>;
}
