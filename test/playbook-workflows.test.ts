/**
 * Fast workflow tests of the compromised-credential playbook on the real Temporal dev server with
 * stand-in activities (no identity provider): the order of containment, what waits for a person,
 * and what a failed step does to the verdict — in a second or two each. The end-to-end tests on
 * Keycloak prove the same playbook against the real thing.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { Alert, IncidentState } from '../domain/incident';
import { decideApprovalUpdate, incidentStateQuery, type IncidentInput } from '../workflows/definitions';
import { eventually } from './support/engine';
import { readTestEnv } from './support/env';

const address = readTestEnv().temporal.url.replace(/^\w+:\/\//, '');
const taskQueue = `playbook-workflows-${randomUUID()}`;
const calls: string[] = [];
let failing: string | undefined;
let failingAs: { type: string; message: string } | undefined;
let worker: Worker;
let running: Promise<void>;
let client: Client;
let connection: NativeConnection;

const ref = (kind: string) => ({
  kind,
  objectHash: 'a'.repeat(64),
  entryHash: 'b'.repeat(64),
  seq: calls.length,
});

/** Stand-ins for every activity the playbook calls; each call is recorded by name. */
const standIn = (name: string) => async (input: Record<string, unknown>) => {
  calls.push(name);
  if (name === failing)
    throw ApplicationFailure.nonRetryable(
      failingAs?.message ?? `${name} refused (stand-in)`,
      failingAs?.type ?? 'StandInRefused',
    );
  switch (name) {
    case 'recordEvidence':
      return ref(String(input.kind));
    case 'snapshotEvidence':
      return {
        ref: ref('principal-snapshot'),
        counts: { sessions: 1, offlineSessions: 0, consents: 0, credentials: 1, loginEvents: 3 },
      };
    case 'verifyContainment':
      return {
        ref: ref('containment-verification'),
        verification: {
          verified: true,
          checkedAt: new Date().toISOString(),
          checks: [{ name: 'stand-in', ok: true, detail: 'ok' }],
        },
      };
    case 'investigate':
      return {
        ref: ref('investigation-report'),
        summary: { since: input.since, until: input.until, findings: [], reportHash: 'c'.repeat(64) },
      };
    case 'writeReview':
      return { ref: ref('post-incident-review'), indicators: { ips: [], clients: [], userAgents: [] } };
    case 'notify':
      return undefined;
    default:
      return { action: name, changed: true, detail: `${name} (stand-in)` };
  }
};

/** Every activity the compromised-credential playbook may call. */
const ACTIVITIES = [
  'recordEvidence',
  'snapshotEvidence',
  'requireReauthentication',
  'revokeSessions',
  'revokeOfflineAccess',
  'disableAccount',
  'verifyContainment',
  'investigate',
  'eradicate',
  'hardenRealm',
  'rotateSigningKeys',
  'reinstateAccount',
  'rollBackReinstatement',
  'runRecoveryCheck',
  'writeReview',
  'publishIndicators',
  'notify',
];
const activities = Object.fromEntries(ACTIVITIES.map((name) => [name, standIn(name)]));

beforeAll(async () => {
  connection = await NativeConnection.connect({ address });
  worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: { codePath: readTestEnv().workflowBundlePath },
    activities,
  });
  running = worker.run();
  client = new Client({ connection: await Connection.connect({ address }) });
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await client?.connection.close();
});

beforeEach(() => {
  calls.length = 0;
  failing = undefined;
  failingAs = undefined;
});

function input(severity: IncidentInput['severity'], alert: Partial<Alert> = {}): IncidentInput {
  return {
    playbook: 'compromised-credential',
    principal: { provider: 'keycloak', realm: 'corp', username: `wf-${randomUUID().slice(0, 8)}` },
    principalKey: randomUUID().replace(/-/g, '').slice(0, 24),
    severity,
    summary: 'stand-in incident',
    openedBy: 'wf.responder',
    alert: {
      id: randomUUID(),
      source: 'test',
      severity,
      summary: 'stand-in alert',
      raisedAt: new Date().toISOString(),
      reportedBy: 'wf.responder',
      ...alert,
    },
    policy: { holdOpenMs: 60_000 },
  };
}

async function start(i: IncidentInput) {
  return client.workflow.start('compromisedCredential', {
    workflowId: `incident-wf-${randomUUID().slice(0, 12)}`,
    taskQueue,
    args: [i],
  });
}

function until(handle: Awaited<ReturnType<typeof start>>, ok: (s: IncidentState) => boolean) {
  return eventually(async () => {
    const s = await handle.query(incidentStateQuery);
    return ok(s) ? s : undefined;
  }, 'the incident to get there');
}

/** The stolen password first, then sessions, offline access, and the account. */
const CONTAINMENT = ['requireReauthentication', 'revokeSessions', 'revokeOfflineAccess', 'disableAccount'];

const providerCalls = () =>
  calls.filter((c) => !['recordEvidence', 'snapshotEvidence', 'notify', 'verifyContainment'].includes(c));

it('replaces the stolen password before anything else, then cuts sessions and disables (critical)', async () => {
  const handle = await start(input('critical'));
  const state = await until(handle, (s) => s.containedAt !== undefined);
  expect(providerCalls().slice(0, 4)).toEqual(CONTAINMENT);
  expect(state.approvals.filter((a) => a.action !== 'reinstateAccount')).toEqual([]);
  await handle.terminate('test done');
});

it('changes nothing on pushed evidence until a person confirms, then contains', async () => {
  const handle = await start(input('critical', { evidence: 'pushed' }));
  const waiting = await until(handle, (s) => s.approvals.some((a) => a.action === 'confirmContainment'));
  expect(providerCalls()).toEqual([]);
  const confirm = waiting.approvals.find((a) => a.action === 'confirmContainment')!;
  await handle.executeUpdate(decideApprovalUpdate, {
    args: [{ approvalId: confirm.id, decision: 'approve', actor: 'wf.approver' }],
  });
  const state = await until(handle, (s) => s.containedAt !== undefined);
  // Confirmed: the rest acts at the severity it had (disabling without another question).
  expect(providerCalls().slice(0, 4)).toEqual(CONTAINMENT);
  expect(state.approvals.map((a) => a.action)).not.toContain('disableAccount');
  await handle.terminate('test done');
});

it('refuses the opener as approver of their own request, by identity', async () => {
  const handle = await start(input('high'));
  const waiting = await until(handle, (s) => s.approvals.some((a) => a.status === 'pending'));
  const approval = waiting.approvals.find((a) => a.status === 'pending')!;
  await expect(
    handle.executeUpdate(decideApprovalUpdate, {
      args: [{ approvalId: approval.id, decision: 'approve', actor: 'WF.Responder' }],
    }),
  ).rejects.toThrow();
  await handle.terminate('test done');
});

it('never calls containment verified when a step failed', async () => {
  failing = 'revokeOfflineAccess';
  const handle = await start(input('critical'));
  const state = await until(handle, (s) => s.phase === 'containment-unverified');
  expect(state.containedAt).toBeUndefined();
  expect(state.actions.find((a) => a.action === 'revokeOfflineAccess')?.status).toBe('failed');
  await handle.terminate('test done');
});

it('records a port the provider lacks as a finding, and the containment as unverified', async () => {
  failing = 'revokeOfflineAccess';
  failingAs = {
    type: 'PortNotSupported',
    message: 'not supported by okta: the okta connector has no sessions-and-tokens port',
  };
  const handle = await start(input('critical'));
  const state = await until(handle, (s) => s.phase === 'containment-unverified');
  expect(state.containedAt).toBeUndefined();
  const notes = state.timeline.filter((e) => e.kind === 'note').map((e) => e.message);
  expect(notes).toContainEqual(
    expect.stringMatching(/^finding: revokeOfflineAccess .*not supported by okta/),
  );
  // The steps after it still ran: one missing port does not leave the account enabled.
  expect(providerCalls()).toContain('disableAccount');
  await handle.terminate('test done');
});
