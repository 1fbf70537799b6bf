/**
 * Observability: after a real incident on Keycloak, the worker's Prometheus endpoint (the Temporal
 * runtime's exporter, WORKER_METRICS_PORT, in a worker process of its own) and the API's `/metrics`
 * hold the numbers that incident made — counts, milestones, approval waits, identity-provider calls
 * and the SDK's own `temporal_` metrics.
 */
import type { EngineConfig } from '../config/config';
import { eventually, testConfig, TestApi } from './support/engine';
import { freePort } from './support/engine-process';
import { readTestEnv } from './support/env';
import { KeycloakTestClient } from './support/keycloak';
import { WorkerProcess } from './support/worker-process';

const RESPONDER = 'metrics.responder';
const APPROVER = 'metrics.approver';
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
let config: EngineConfig;
let worker: WorkerProcess;
let api: TestApi;
let workerMetricsUrl: string;

beforeAll(async () => {
  const port = await freePort();
  config = { ...testConfig(), workerMetrics: { host: '127.0.0.1', port } };
  workerMetricsUrl = `http://127.0.0.1:${port}/metrics`;
  worker = new WorkerProcess(config);
  await worker.start();
  api = await TestApi.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
});

/** Values of the samples named `name` whose labels include `labels` (Prometheus text format). */
function samples(text: string, name: string, labels: Record<string, string> = {}): number[] {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries(
      [...(m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((x) => [x[1], x[2]]),
    );
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) out.push(Number(m[3]));
  }
  return out;
}
const one = (text: string, name: string, labels: Record<string, string> = {}) => {
  const values = samples(text, name, labels);
  if (values.length !== 1) throw new Error(`${name} ${JSON.stringify(labels)}: ${values.length} samples`);
  return values[0];
};
const sum = (values: number[]) => values.reduce((a, b) => a + b, 0);

async function scrape(url: string): Promise<string> {
  const res = await fetch(url, { headers: { 'x-actor': RESPONDER } });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain;.*version=0\.0\.4/);
  return res.text();
}

it('a contained and recovered incident shows in the worker and API metrics', async () => {
  const victim = await kc.createUser('metrics');
  const opened = await api.openIncident(victim.username, RESPONDER, {
    severity: 'critical',
    policy: { recoveryWatchMs: 1000, reinstate: { timeoutMs: 120_000 } },
  });
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  const reinstate = await api.pendingApproval(id, 'reinstateAccount');

  // Contained and verified, waiting for a person: the worker counted it, the API sees it waiting.
  let w = await scrape(workerMetricsUrl);
  expect(
    one(w, 'ir_incidents_opened_total', { playbook: 'compromised-credential', severity: 'critical' }),
  ).toBe(1);
  expect(one(w, 'ir_incident_phase_entered_total', { phase: 'contained' })).toBe(1);
  expect(samples(w, 'ir_incident_phase_entered_total', { phase: 'containment-unverified' })).toEqual([]);
  expect(one(w, 'ir_incident_time_to_contain_seconds_count', { verified: 'true' })).toBe(1);
  const ttc = one(w, 'ir_incident_time_to_contain_seconds_sum', { verified: 'true' });
  expect(ttc).toBeGreaterThan(0);
  expect(ttc).toBeLessThan(90);
  expect(one(w, 'ir_incident_time_to_detect_seconds_count', { playbook: 'compromised-credential' })).toBe(1);
  // Keycloak calls: the snapshot, the logout, the disable, the checks — each timed, none throttled.
  const calls = samples(w, 'ir_idp_call_duration_seconds_count', { provider: 'keycloak', outcome: 'ok' });
  expect(sum(calls)).toBeGreaterThanOrEqual(5);
  expect(calls.length).toBeGreaterThanOrEqual(3); // tagged by activity type: snapshot, containment, verification…
  expect(samples(w, 'ir_idp_throttled_total')).toEqual([]);
  // The SDK's own, on the same endpoint, for this worker's task queue.
  const tq = { task_queue: config.temporal.taskQueue };
  expect(sum(samples(w, 'temporal_activity_execution_latency_count', tq))).toBeGreaterThan(3);
  expect(sum(samples(w, 'temporal_workflow_task_execution_latency_count', tq))).toBeGreaterThan(3);

  const a = await scrape(`${api.url}/metrics`);
  expect(one(a, 'ir_http_requests_total', { method: 'POST', route: '/incidents', status: '201' })).toBe(1);
  expect(one(a, 'ir_incidents_awaiting_approval', { waiting_longer_than: '0s' })).toBeGreaterThanOrEqual(1);
  expect(one(a, 'ir_incidents', { phase: 'recover' })).toBeGreaterThanOrEqual(1);
  expect(one(a, 'ir_visibility_read_errors')).toBe(0);

  // Proposed realm hardening (the shared test realm keeps its settings), then reinstatement.
  const hardening = await api.pendingApproval(id, 'hardenRealm');
  await api.call(
    'POST',
    `/incidents/${id}/approvals`,
    { approvalId: hardening.id, decision: 'reject' },
    APPROVER,
  );
  const decided = await api.call(
    'POST',
    `/incidents/${id}/approvals`,
    { approvalId: reinstate.id, decision: 'approve', comment: 'user called back' },
    APPROVER,
  );
  expect(decided.status).toBe(200);
  await api.untilPhase(id, ['review']);

  w = await eventually(
    async () => {
      const text = await scrape(workerMetricsUrl);
      return samples(text, 'ir_incident_time_to_recover_seconds_count').length ? text : undefined;
    },
    'the recovery recorded',
    20_000,
  );
  expect(one(w, 'ir_incident_time_to_recover_seconds_count', { playbook: 'compromised-credential' })).toBe(1);
  expect(
    one(w, 'ir_approval_wait_seconds_count', { action: 'reinstateAccount', resolution: 'approved' }),
  ).toBe(1);
  expect(one(w, 'ir_approval_wait_seconds_count', { action: 'hardenRealm', resolution: 'rejected' })).toBe(1);
  expect(one(w, 'ir_incident_phase_entered_total', { phase: 'recovered' })).toBe(1);
});
