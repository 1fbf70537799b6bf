/**
 * Closing with a disposition at any phase, on a real Keycloak incident. Before containment ends it
 * takes two people (the close becomes a `closeEarly` approval while containment goes on); once
 * approved no new step starts. A false positive lists what had been done and offers, through a
 * `rollBack` approval, to put back what can be put back — and the account really comes back.
 */
import type { IncidentState } from '../domain/incident';
import { useEngine } from './support/use-engine';
import { KeycloakTestClient } from './support/keycloak';
import { readTestEnv } from './support/env';

const RESPONDER = 'close.responder';
const APPROVER = 'close.approver';
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
const engine = useEngine();

const close = (id: string, body: unknown, actor = RESPONDER) =>
  engine.api.call('POST', `/incidents/${id}/close`, body, actor);
const decide = (id: string, approvalId: string, actor: string, decision = 'approve') =>
  engine.api.call('POST', `/incidents/${id}/approvals`, { approvalId, decision }, actor);

it('closes during containment only with a disposition and a second person, and stops there', async () => {
  const victim = await kc.createUser('closeearly');
  await kc.login(victim); // a session for containment to end
  const opened = await engine.api.openIncident(victim.username, RESPONDER, { severity: 'high' });
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  // Waiting for a person to approve disabling the account: still containing.
  const disable = await engine.api.pendingApproval(id, 'disableAccount');
  expect((await engine.api.incident(id)).phase).toBe('contain');

  const bare = await close(id, { reason: 'user mistyped' });
  expect(bare.status).toBe(400);
  expect(bare.body).toMatchObject({ error: 'DispositionRequired' });
  expect(bare.body.message).toMatch(/false-positive, duplicate, benign, contained/);
  const byVictim = await close(id, { reason: 'it was me', disposition: 'false-positive' }, victim.username);
  expect(byVictim.status).toBe(403);
  expect(byVictim.body).toMatchObject({ error: 'InvolvedPartyRefused' });

  const asked = await close(id, {
    reason: 'user mistyped, confirmed by phone',
    disposition: 'false-positive',
  });
  expect(asked.status).toBe(202);
  const closure = (asked.body as IncidentState).closure!;
  expect(closure).toMatchObject({
    disposition: 'false-positive',
    early: true,
    status: 'pending',
    phase: 'contain',
  });
  expect(closure.approvalId).toMatch(/^closeEarly-/);
  const again = await close(id, { reason: 'twice', disposition: 'benign' }, APPROVER);
  expect(again.status).toBe(409);
  expect(again.body).toMatchObject({ error: 'CloseAlreadyRequested' });
  // In the inbox like any approval; the closer cannot approve it.
  const inbox = await engine.api.call('GET', '/approvals', undefined, APPROVER);
  expect(inbox.body.approvals).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ incidentId: id, approvalId: closure.approvalId, canDecide: true }),
    ]),
  );
  expect((await decide(id, closure.approvalId!, RESPONDER)).body).toMatchObject({
    error: 'FourEyesViolation',
  });

  // Containment goes on meanwhile (the disable approval still stands).
  expect((await engine.api.incident(id)).approvals.find((a) => a.id === disable.id)?.status).toBe('pending');
  expect((await decide(id, closure.approvalId!, APPROVER)).status).toBe(200);

  const state = await engine.api.untilPhase(id, ['closed']);
  expect(state.status).toBe('closed');
  expect(state.closure).toMatchObject({ status: 'approved', disposition: 'false-positive' });
  // The pending step was withdrawn, never run: the account is still enabled.
  expect(state.approvals.find((a) => a.id === disable.id)?.resolution).toBe('closed');
  expect(state.actions.some((a) => a.action === 'disableAccount' && a.status === 'done')).toBe(false);
  expect((await kc.user(victim.id)).enabled).toBe(true);
  // What had been done is listed, with what cannot be put back; nothing reversible, so no rollback.
  expect(state.closure!.done!.some((d) => d.startsWith('revokeSessions'))).toBe(true);
  expect(state.closure!.irreversible).toEqual(
    expect.arrayContaining([expect.stringMatching(/^requireReauthentication on .*helpdesk/)]),
  );
  expect(state.closure!.rollback).toBeUndefined();
  const review = await engine.api.writtenReview(id, (r) => r.status === 'closed');
  expect(review.closure).toMatchObject({ disposition: 'false-positive', early: true });
  const md = await fetch(`${engine.api.url}/incidents/${id}/review?format=markdown`).then((r) => r.text());
  expect(md).toMatch(/Closed as: false-positive, requested by close\.responder in phase contain \(early/);
});

it('offers to put back what a false positive disabled, and does so once approved', async () => {
  const victim = await kc.createUser('closefp');
  await kc.login(victim);
  const opened = await engine.api.openIncident(victim.username, RESPONDER, {
    severity: 'critical',
    policy: { recoveryWatchMs: 600_000 },
  });
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  await engine.api.untilPhase(id, ['contained']);
  expect((await kc.user(victim.id)).enabled).toBe(false);

  // After containment one person closes (as before), now with a disposition.
  const closed = await close(id, { reason: 'travel was real, user verified', disposition: 'false-positive' });
  expect(closed.status).toBe(200);
  const rollBack = await engine.api.pendingApproval(id, 'rollBack');
  expect(rollBack.summary).toMatch(/disableAccount on .*: enable the account again/);
  expect((await decide(id, rollBack.id, RESPONDER)).body).toMatchObject({ error: 'FourEyesViolation' });
  expect((await decide(id, rollBack.id, APPROVER)).status).toBe(200);

  const state = await engine.api.untilPhase(id, ['closed']);
  expect(state.closure?.rollback).toMatchObject({
    resolution: 'approved',
    undone: [`disableAccount on ${victim.username}`],
  });
  expect((await kc.user(victim.id)).enabled).toBe(true);
  expect(state.actions.filter((a) => a.action === 'restoreAccount' && a.status === 'done')).toHaveLength(1);
  // Ended sessions and the replaced password are named as what cannot come back.
  expect(state.closure!.irreversible!.some((l) => /^revokeSessions on .*signs in again/.test(l))).toBe(true);
  expect(state.closure!.irreversible!.some((l) => /requireReauthentication/.test(l))).toBe(true);
});

it('closes a contained incident as contained without offering any rollback', async () => {
  const victim = await kc.createUser('closecontained');
  const opened = await engine.api.openIncident(victim.username, RESPONDER, { severity: 'critical' });
  const id: string = opened.body.incidentId;
  await engine.api.untilPhase(id, ['contained']);
  expect((await close(id, { reason: 'done', disposition: 'contained' })).status).toBe(200);
  const state = await engine.api.untilPhase(id, ['closed']);
  expect(state.closure).toMatchObject({ disposition: 'contained', early: false });
  expect(state.closure!.rollback).toBeUndefined();
  expect(state.approvals.some((a) => a.action === 'rollBack')).toBe(false);
  expect((await kc.user(victim.id)).enabled).toBe(false);
});
