/**
 * Scope and staged recovery on the real Keycloak: a responder adds a second account to an incident
 * (contained only after approval; its alerts then join this incident), recovery brings the accounts
 * back one wave at a time after an application integrity check and an approval, and a detection
 * about the second account after its reinstatement rolls its wave back. Keycloak assertions use
 * the test's own calls.
 */
import type { EngineConfig } from '../config/config';
import type { IncidentState } from '../domain/incident';
import { eventually, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { KeycloakTestClient } from './support/keycloak';
import { startReceiver } from './support/receiver';
import { captureHistory } from './support/histories';

const RESPONDER = 'scope.responder';
const APPROVER = 'scope.approver';
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
let config: EngineConfig;
let worker: TestWorker;
let api: TestApi;
let checks: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  // The application integrity check a playbook names: answered by a local receiver.
  checks = await startReceiver();
  config = { ...testConfig(), recoveryChecks: { app: `${checks.url}/app-check` } };
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  await checks?.close();
});

const approve = (id: string, approvalId: string) =>
  api.call('POST', `/incidents/${id}/approvals`, { approvalId, decision: 'approve' }, APPROVER);

it('adds an account after approval, recovers in waves after checks, rolls a wave back on a new detection', async () => {
  const primary = await kc.createUser('scope-a');
  const related = await kc.createUser('scope-b');
  const relatedTokens = await kc.login(related);
  expect((await kc.refresh(relatedTokens.refresh_token)).ok).toBe(true);

  const opened = await api.openIncident(primary.username, RESPONDER, {
    severity: 'critical',
    policy: {
      recoveryWatchMs: 4000,
      recoveryWaveSize: 1,
      recoveryChecks: ['app'],
      addPrincipal: { timeoutMs: 120_000 },
      reinstate: { timeoutMs: 120_000 },
    },
  });
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  await api.untilPhase(id, ['contained']);

  // Bad proposals are refused with what is wrong; nothing reaches the incident.
  const self = await api.call(
    'POST',
    `/incidents/${id}/principals`,
    { username: primary.username, reason: 'x' },
    RESPONDER,
  );
  expect(self.status).toBe(409);
  expect(self.body.error).toBe('AlreadyInScope');
  const malformed = await api.call('POST', `/incidents/${id}/principals`, { username: '' }, RESPONDER);
  expect(malformed.status).toBe(400);

  // Proposed (by another responder than the opener): nothing happens before the approval.
  const PROPOSER = 'dave.responder';
  const proposed = await api.call(
    'POST',
    `/incidents/${id}/principals`,
    { username: related.username, reason: 'same phishing campaign, same address' },
    PROPOSER,
  );
  expect(proposed.status).toBe(202);
  expect(proposed.body).toMatchObject({ status: 'proposed', proposedBy: PROPOSER });
  const approvalId: string = proposed.body.approvalId;
  expect(approvalId).toMatch(/^addPrincipal-/);
  expect((await kc.user(related.id)).enabled).toBe(true);
  const twice = await api.call(
    'POST',
    `/incidents/${id}/principals`,
    { username: related.username, reason: 'again' },
    RESPONDER,
  );
  expect(twice.status).toBe(409);

  // Four-eyes: the approval is the proposer's request (not the opener's), so the proposer cannot approve it.
  const own = await api.call(
    'POST',
    `/incidents/${id}/approvals`,
    { approvalId, decision: 'approve' },
    PROPOSER,
  );
  expect(own.status).toBe(403);
  expect(own.body.error).toBe('FourEyesViolation');
  expect((await api.incident(id)).approvals.find((a) => a.id === approvalId)?.requestedBy).toBe(PROPOSER);
  expect((await approve(id, approvalId)).status).toBe(200);

  // Contained like the incident's own principal, as Keycloak says.
  const contained = await eventually(async () => {
    const s = await api.incident(id);
    return s.related?.[0]?.status === 'contained' ? s : undefined;
  }, 'the added account contained');
  expect(contained.related![0].verification?.verified).toBe(true);
  expect((await kc.user(related.id)).enabled).toBe(false);
  expect(await kc.sessions(related.id)).toHaveLength(0);
  expect((await kc.refresh(relatedTokens.refresh_token)).ok).toBe(false);
  expect(contained.actions.filter((a) => a.target === related.username).map((a) => a.action)).toEqual([
    'requireReauthentication',
    'revokeSessions',
    'revokeOfflineAccess',
    'disableAccount',
  ]);

  // Its alerts now join this incident instead of opening one of their own.
  const joined = await api.openIncident(related.username, RESPONDER, {
    severity: 'medium',
    summary: 'seen again',
  });
  expect(joined.status).toBe(200);
  expect(joined.body).toMatchObject({ incidentId: id, joined: true });
  const listed = await api.call(
    'GET',
    `/incidents?provider=keycloak&realm=corp&username=${related.username}&status=open`,
  );
  expect(listed.body.incidents.map((i: { incidentId: string }) => i.incidentId)).toContain(id);

  // Wave 1: the incident's principal, after a quiet watch and the integrity check.
  const wave1 = await api.pendingApproval(id, 'reinstateAccount');
  expect(wave1.summary).toContain(`wave 1: ${primary.username}`);
  expect(checks.received.map((r) => r.body)).toEqual([
    { incidentId: id, wave: 1, principals: [primary.username] },
  ]);
  expect((await kc.user(related.id)).enabled).toBe(false);
  expect((await approve(id, wave1.id)).status).toBe(200);
  await eventually(async () => ((await kc.user(primary.id)).enabled ? true : undefined), 'wave 1 reinstated');

  // Wave 2: the added account; a detection about it after reinstatement rolls the wave back.
  const wave2 = await api.pendingApproval(id, 'reinstateAccount');
  expect(wave2.summary).toContain(`wave 2: ${related.username}`);
  expect(checks.received).toHaveLength(2);
  expect((await approve(id, wave2.id)).status).toBe(200);
  await eventually(async () => ((await kc.user(related.id)).enabled ? true : undefined), 'wave 2 reinstated');
  const again = await api.openIncident(related.username, RESPONDER, {
    severity: 'high',
    summary: 'login from the attacker address after reinstatement',
  });
  expect(again.body).toMatchObject({ incidentId: id, joined: true });

  const rolledBack: IncidentState = await eventually(async () => {
    const s = await api.incident(id);
    return s.recoveryWaves?.[1]?.status === 'rolled-back' ? s : undefined;
  }, 'wave 2 rolled back');
  expect((await kc.user(related.id)).enabled).toBe(false);
  expect((await kc.user(primary.id)).enabled).toBe(true);
  expect(rolledBack.recoveryWaves!.map((w) => [w.wave, w.principals, w.status])).toEqual([
    [1, [primary.username], 'reinstated'],
    [2, [related.username], 'rolled-back'],
  ]);
  expect(rolledBack.recoveredAt).toBeUndefined();

  // The review tells it: who was added, each wave, actions per account.
  const final = await api.untilPhase(id, ['review']);
  expect(final.related![0].status).toBe('rolled-back');
  const review = await api.writtenReview(id);
  expect(review.related).toEqual([
    expect.objectContaining({ username: related.username, status: 'rolled-back', proposedBy: PROPOSER }),
  ]);
  expect(review.recoveryWaves.map((w) => w.status)).toEqual(['reinstated', 'rolled-back']);
  expect(review.actions).toContainEqual(
    expect.objectContaining({ action: 'rollBackReinstatement', target: related.username, status: 'done' }),
  );
  expect(review.recommendations.join(' ')).toMatch(/rolled back/);

  expect((await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER)).status).toBe(
    200,
  );
  await api.untilPhase(id, ['closed']);
  captureHistory(id, 'scope-waves-rollback');
});

it('holds a recovery wave whose integrity check fails', async () => {
  const user = await kc.createUser('scope-check');
  const opened = await api.openIncident(user.username, RESPONDER, {
    severity: 'critical',
    policy: { recoveryWatchMs: 500, recoveryChecks: ['app', 'missing'], reinstate: { timeoutMs: 120_000 } },
  });
  const id: string = opened.body.incidentId;
  const held = await eventually(async () => {
    const s = await api.incident(id);
    return s.recoveryWaves?.[0]?.status === 'held' ? s : undefined;
  }, 'the wave held');
  const wave = held.recoveryWaves![0];
  expect(wave.checks).toEqual([
    expect.objectContaining({ name: 'app', ok: true }),
    { name: 'missing', ok: false, detail: "no recovery check named 'missing' is configured" },
  ]);
  // No reinstatement was asked for, and the account stays disabled.
  expect(held.approvals.filter((a) => a.action === 'reinstateAccount')).toHaveLength(0);
  expect((await kc.user(user.id)).enabled).toBe(false);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  await api.untilPhase(id, ['closed']);
  captureHistory(id, 'recovery-check-failed');
});
