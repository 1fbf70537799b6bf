/**
 * The privilege-escalation playbook on the real Keycloak: the grant is reverted, the grantee's
 * sessions cut and the grantor suspended before anyone confirms; a confirmation leads to the
 * investigation, a rejection (never a mere cancellation) puts the role and the grantor back exactly
 * as they were. Every Keycloak assertion uses the test's own calls.
 */
import { eventually } from './support/engine';
import { useEngine } from './support/use-engine';
import { readTestEnv } from './support/env';
import { captureHistory } from './support/histories';
import { KeycloakTestClient, REALM, type TestUser } from './support/keycloak';

const RESPONDER = 'esc.responder';
const APPROVER = 'esc.approver';
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
const engine = useEngine();

const realmRoles = async (u: TestUser) =>
  (await kc.admin<{ name: string }[]>('GET', `/users/${u.id}/role-mappings/realm`)).map((r) => r.name);

/** A grantor and a grantee who was just given ir-admin and holds a session. */
async function escalated() {
  const grantor = await kc.createUser('grantor');
  const grantee = await kc.createUser('grantee');
  await kc.grantRealmRole(grantee.id, 'ir-admin');
  const tokens = await kc.login(grantee);
  expect(await realmRoles(grantee)).toContain('ir-admin');
  return { grantor, grantee, tokens };
}

function open(grantee: TestUser, grantor: TestUser, severity: string, policy: Record<string, unknown> = {}) {
  return engine.api.call(
    'POST',
    '/incidents',
    {
      playbook: 'privilege-escalation',
      principal: { provider: 'keycloak', realm: REALM, username: grantee.username },
      severity,
      summary: `ir-admin granted to ${grantee.username} by ${grantor.username}`,
      escalation: { role: 'ir-admin', container: 'realm', grantedBy: grantor.username },
      policy: { confirm: { timeoutMs: 120_000 }, ...policy },
    },
    RESPONDER,
  );
}

const decide = (id: string, approvalId: string, decision: 'approve' | 'reject') =>
  engine.api.call('POST', `/incidents/${id}/approvals`, { approvalId, decision }, APPROVER);

it('reverts the grant, cuts the sessions and suspends the grantor before asking; a confirmation leads to the investigation', async () => {
  const { grantor, grantee, tokens } = await escalated();
  const opened = await open(grantee, grantor, 'critical');
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;

  const confirm = await engine.api.pendingApproval(id, 'confirmIncident');
  expect(confirm.summary).toMatch(/was NOT authorised/);
  const state = await engine.api.incident(id);
  expect(state.playbook).toBe('privilege-escalation');
  expect(state.phase).toBe('contained');
  expect(state.verification?.checks.map((c) => [c.name, c.ok])).toEqual([
    ['grant-reverted', true],
    ['sessions-revoked', true],
    ['actor-suspended', true],
  ]);
  // As Keycloak says, before anyone confirmed.
  expect(await realmRoles(grantee)).not.toContain('ir-admin');
  expect((await kc.refresh(tokens.refresh_token)).ok).toBe(false);
  expect((await kc.user(grantor.id)).enabled).toBe(false);
  expect((await kc.user(grantee.id)).enabled).toBe(true); // precise: the grantee keeps its account

  expect((await decide(id, confirm.id, 'approve')).status).toBe(200);
  const reviewed = await engine.api.untilPhase(id, ['review']);
  expect(reviewed.investigation?.findings).toBeDefined();
  const review = await engine.api.writtenReview(id);
  expect(review.playbook).toBe('privilege-escalation');
  // Confirmed: nothing was put back.
  expect(await realmRoles(grantee)).not.toContain('ir-admin');
  expect((await kc.user(grantor.id)).enabled).toBe(false);

  await engine.api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  await engine.api.untilPhase(id, ['closed']);
  captureHistory(id, 'privilege-escalation-confirmed');
});

it('puts the role and the grantor back as they were when the approver says the grant was authorised', async () => {
  const { grantor, grantee } = await escalated();
  const id: string = (await open(grantee, grantor, 'critical')).body.incidentId;
  const confirm = await engine.api.pendingApproval(id, 'confirmIncident');
  expect((await kc.user(grantor.id)).enabled).toBe(false);

  expect((await decide(id, confirm.id, 'reject')).status).toBe(200);
  const state = await engine.api.untilPhase(id, ['review']);
  expect(await realmRoles(grantee)).toContain('ir-admin');
  expect((await kc.user(grantor.id)).enabled).toBe(true);
  // Undone newest first, each as an action on the record.
  const restored = state.actions.filter((a) => a.action === 'restoreAccount' || a.action === 'restoreGrant');
  expect(restored.map((a) => [a.action, a.status])).toEqual([
    ['restoreAccount', 'done'],
    ['restoreGrant', 'done'],
  ]);
  expect(state.timeline.map((t) => t.message)).toContainEqual(expect.stringMatching(/^false positive: /));

  await engine.api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  await engine.api.untilPhase(id, ['closed']);
  captureHistory(id, 'privilege-escalation-false-positive');
});

it('restores nothing when the incident is cancelled: a cancellation is not an approval', async () => {
  const { grantor, grantee } = await escalated();
  // High severity: suspending the grantor needs an approval first.
  const id: string = (await open(grantee, grantor, 'high')).body.incidentId;
  const suspend = await engine.api.pendingApproval(id, 'suspendAccount');
  expect(await realmRoles(grantee)).not.toContain('ir-admin'); // reverted already
  expect((await decide(id, suspend.id, 'approve')).status).toBe(200);
  await engine.api.pendingApproval(id, 'confirmIncident');
  expect((await kc.user(grantor.id)).enabled).toBe(false);

  // Cancelled from Temporal (UI, CLI or a direct connection), not through an approval.
  const handle = engine.worker.client.workflow.getHandle(id);
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow(/cancel/i);
  expect(await realmRoles(grantee)).not.toContain('ir-admin');
  expect((await kc.user(grantor.id)).enabled).toBe(false);
  const description = await handle.describe();
  expect(description.status.name).toBe('CANCELLED');
  const state = await engine.api.incident(id);
  expect(state.actions.map((a) => a.action)).not.toContain('restoreGrant');
  expect(state.actions.map((a) => a.action)).not.toContain('restoreAccount');
  expect(state.timeline.map((t) => t.message)).toContainEqual(
    expect.stringContaining('containment left in place'),
  );
});

it('leaves the incident open, unverified, when the alert names no role', async () => {
  const user = await kc.createUser('norole');
  const opened = await engine.api.call(
    'POST',
    '/incidents',
    {
      playbook: 'privilege-escalation',
      principal: { provider: 'keycloak', realm: REALM, username: user.username },
      severity: 'high',
      summary: 'something was granted',
    },
    RESPONDER,
  );
  const state = await eventually(async () => {
    const s = await engine.api.incident(opened.body.incidentId);
    return s.phase === 'containment-unverified' ? s : undefined;
  }, 'unverified');
  expect(state.actions).toEqual([]);
  await engine.api.call('POST', `/incidents/${state.incidentId}/close`, { reason: 'test done' }, RESPONDER);
});
