/**
 * The session-hijack playbook on the real Keycloak: the stolen session ends and the person's other
 * session keeps working; without evidence nothing broader happens; a new detection about the
 * account escalates at once to containing the whole account.
 */
import { eventually } from './support/engine';
import { useEngine } from './support/use-engine';
import { readTestEnv } from './support/env';
import { captureHistory } from './support/histories';
import { KeycloakTestClient, REALM, type TestUser } from './support/keycloak';

const RESPONDER = 'hijack.responder';
const APPROVER = 'hijack.approver';
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
const engine = useEngine();

/** Two sessions of one person: the laptop (theirs) and the one whose cookie was stolen. */
async function twoSessions() {
  const user = await kc.createUser('hijack');
  const laptop = await kc.login(user);
  const stolen = await kc.login(user);
  expect(stolen.session_state).toBeDefined();
  expect((await kc.sessions(user.id)).length).toBe(2);
  return { user, laptop, stolen };
}

function open(user: TestUser, sessionId: string, severity = 'high') {
  return engine.api.call(
    'POST',
    '/incidents',
    {
      playbook: 'session-hijack',
      principal: { provider: 'keycloak', realm: REALM, username: user.username },
      severity,
      summary: `session of ${user.username} used from a new address and user agent`,
      sessionId,
      policy: { escalate: { timeoutMs: 120_000 } },
    },
    RESPONDER,
  );
}

it('ends only the stolen session; without evidence the account is left alone', async () => {
  const { user, laptop, stolen } = await twoSessions();
  const opened = await open(user, stolen.session_state!);
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;

  const escalation = await engine.api.pendingApproval(id, 'escalateToAccount');
  expect((await engine.api.incident(id)).phase).toBe('contained');
  // As Keycloak says: the stolen session is gone, the laptop's still refreshes, the account is enabled.
  expect((await kc.refresh(stolen.refresh_token)).ok).toBe(false);
  expect((await kc.refresh(laptop.refresh_token)).ok).toBe(true);
  expect((await kc.user(user.id)).enabled).toBe(true);

  // A responder sees no reason to go further.
  const decided = await engine.api.call(
    'POST',
    `/incidents/${id}/approvals`,
    { approvalId: escalation.id, decision: 'reject', comment: 'user confirmed the laptop is theirs' },
    APPROVER,
  );
  expect(decided.status).toBe(200);
  const state = await engine.api.untilPhase(id, ['review']);
  expect(state.actions.map((a) => a.action)).toEqual(['revokeSession']);
  expect((await kc.user(user.id)).enabled).toBe(true);
  expect((await kc.refresh(laptop.refresh_token)).ok).toBe(true);

  await engine.api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  await engine.api.untilPhase(id, ['closed']);
  captureHistory(id, 'session-hijack-precise');
});

it('escalates to the whole account at once when a new detection about it arrives', async () => {
  const { user, laptop, stolen } = await twoSessions();
  const id: string = (await open(user, stolen.session_state!)).body.incidentId;
  await engine.api.pendingApproval(id, 'escalateToAccount');

  // Evidence the attacker has more than that session: another alert about the account joins.
  const again = await engine.api.openIncident(user.username, 'detector.keycloak', {
    summary: 'login from the attacker address with the password',
  });
  expect(again.body).toMatchObject({ incidentId: id, joined: true });

  const state = await eventually(async () => {
    const s = await engine.api.incident(id);
    return s.actions.some((a) => a.action === 'disableAccount') &&
      s.phase !== 'contain' &&
      s.phase !== 'verify'
      ? s
      : undefined;
  }, 'the escalation');
  expect(state.approvals.find((a) => a.action === 'escalateToAccount')?.resolution).toBe('superseded');
  expect(state.phase).toMatch(/^(contained|review)$/);
  expect(state.verification?.verified).toBe(true);
  expect((await kc.user(user.id)).enabled).toBe(false);
  expect((await kc.refresh(laptop.refresh_token)).ok).toBe(false);
  expect(await kc.sessions(user.id)).toHaveLength(0);

  await engine.api.untilPhase(id, ['review']);
  await engine.api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  await engine.api.untilPhase(id, ['closed']);
  captureHistory(id, 'session-hijack-escalated');
});
