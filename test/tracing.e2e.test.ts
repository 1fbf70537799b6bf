/**
 * Tracing: one trace from the API request (continuing the caller's W3C traceparent) through the
 * Temporal client, the playbook workflow and its activities to the Keycloak calls, exported over
 * OTLP/HTTP by the API and worker processes (their production entry points) to a local receiver.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { engineEnv } from './support/engine-env';
import { EngineProcess, freePort } from './support/engine-process';
import { eventually, testConfig } from './support/engine';
import { readTestEnv } from './support/env';
import { KeycloakTestClient, REALM } from './support/keycloak';
import { WorkerProcess } from './support/worker-process';

const kc = new KeycloakTestClient(readTestEnv().keycloak.url);

interface Span {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
}

/** A minimal OTLP/HTTP JSON receiver: what a collector would be given. */
async function otlpReceiver(): Promise<{ url: string; spans: Span[]; server: Server }> {
  const spans: Span[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && req.headers['content-type']?.includes('json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? []) {
          const service = rs.resource?.attributes?.find((a: { key: string }) => a.key === 'service.name')
            ?.value?.stringValue;
          for (const ss of rs.scopeSpans ?? [])
            for (const s of ss.spans ?? [])
              spans.push({
                service,
                traceId: s.traceId,
                spanId: s.spanId,
                parentSpanId: s.parentSpanId || undefined,
                name: s.name,
              });
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans, server };
}

it('one trace from the API request through the workflow and activities to each Keycloak call', async () => {
  const receiver = await otlpReceiver();
  const otel = { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '200' };
  const config = testConfig();
  // The worker bundles its workflows itself, so the tracing workflow interceptors are in the bundle.
  const worker = new WorkerProcess(config, { ...otel, WORKFLOW_BUNDLE_PATH: '' });
  let api: EngineProcess | undefined;
  try {
    await worker.start(120_000);
    const port = await freePort();
    api = await EngineProcess.start(
      'api/main.ts',
      { ...engineEnv(config), ...otel, AUTH_MODE: 'dev', API_PORT: String(port), API_RATE_LIMIT: 'off' },
      'listening on http',
    );
    const user = await kc.createUser('traced');
    const traceId = randomBytes(16).toString('hex');
    const res = await fetch(`http://127.0.0.1:${port}/incidents`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-actor': 'trace.responder',
        traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01`,
      },
      body: JSON.stringify({
        playbook: 'compromised-credential',
        principal: { provider: 'keycloak', realm: REALM, username: user.username },
        severity: 'critical',
        summary: 'traced takeover',
      }),
    });
    expect(res.status).toBe(201);
    const { incidentId } = (await res.json()) as { incidentId: string };

    await eventually(
      async () =>
        receiver.spans.some((s) => s.traceId === traceId && s.name === 'RunActivity:verifyContainment'),
      `incident ${incidentId} verified`,
      60_000,
    );
    // Closed, the workflow ends and its own span (open while it runs) is exported too.
    const closed = await fetch(`http://127.0.0.1:${port}/incidents/${incidentId}/close`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-actor': 'trace.responder' },
      body: JSON.stringify({ reason: 'traced test over' }),
    });
    expect(closed.status).toBe(200);
    const spans = await eventually(
      async () => {
        const mine = receiver.spans.filter((s) => s.traceId === traceId);
        return mine.some((s) => s.name === 'RunWorkflow:compromisedCredential') ? mine : undefined;
      },
      `the workflow span of incident ${incidentId}`,
      60_000,
    );
    const byId = new Map(spans.map((s) => [s.spanId, s]));
    const request = spans.find((s) => s.name === 'POST /incidents');
    expect(request).toMatchObject({ service: 'ir-api' });
    // The API opens incidents with update-with-start (the alert is the update).
    const start = spans.find((s) => s.name === 'UpdateWithStartWorkflow:raiseAlert');
    expect(start).toMatchObject({ service: 'ir-api', parentSpanId: request!.spanId });
    const run = spans.find((s) => s.name === 'RunWorkflow:compromisedCredential');
    expect(run).toMatchObject({ service: 'ir-worker', parentSpanId: start!.spanId });
    // Each Keycloak call hangs under an activity, which hangs (through the workflow) under the request.
    const calls = spans.filter((s) => s.name === 'keycloak call');
    expect(calls.length).toBeGreaterThanOrEqual(5);
    const activities = new Set<string>();
    for (const call of calls) {
      const chain: string[] = [];
      for (let s: Span | undefined = call; s; s = s.parentSpanId ? byId.get(s.parentSpanId) : undefined)
        chain.push(s.name);
      expect(chain[1]).toMatch(/^RunActivity:/);
      activities.add(chain[1]);
      expect(chain).toContain('RunWorkflow:compromisedCredential');
      expect(chain[chain.length - 1]).toBe('POST /incidents');
    }
    expect([...activities]).toEqual(
      expect.arrayContaining([
        'RunActivity:snapshotEvidence',
        'RunActivity:disableAccount',
        'RunActivity:verifyContainment',
      ]),
    );
    // No principal names in span names (they go to spans only as the incident's opaque id, if at all).
    expect(JSON.stringify(spans)).not.toContain(user.username);
  } finally {
    await api?.stop();
    await worker.stop();
    receiver.server.close();
  }
});
