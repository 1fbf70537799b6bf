/**
 * End to end on the real Temporal server and the real Keycloak: an incident opened over REST
 * contains a compromised user, waits for a human where policy says so, and proves containment.
 * Every assertion about Keycloak is made with the test's own calls, not the engine's.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { LocalEvidenceStore } from '../evidence/local-store';
import type { EngineConfig } from '../config/config';
import { decodedHistoryText, temporalClient, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { KeycloakTestClient, REALM, type TestUser } from './support/keycloak';
import { captureHistory } from './support/histories';

const RESPONDER = 'alice.responder';
const APPROVER = 'bob.approver';

let config: EngineConfig;
let worker: TestWorker;
let api: TestApi;
let kc: KeycloakTestClient;
let breakGlass: TestUser;

beforeAll(async () => {
  kc = new KeycloakTestClient(readTestEnv().keycloak.url);
  breakGlass = await kc.createUser('breakglass');
  config = {
    ...testConfig(),
    protectedPrincipals: [{ provider: 'keycloak', realm: '*', username: breakGlass.username }],
  };
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
});

async function close(id: string) {
  const res = await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  expect(res.status).toBe(200);
}

describe('compromised-credential playbook', () => {
  it('contains a compromised user after approval, and the stolen tokens really stop working', async () => {
    const user = await kc.createUser('victim', { otp: true });
    const browser = await kc.login(user); // an ordinary session the attacker may have hijacked
    const offline = await kc.login(user, 'openid offline_access'); // a long-lived offline token
    expect(await kc.introspect(browser.access_token)).toBe(true);
    expect((await kc.sessions(user.id)).map((s) => s.id)).toContain(browser.session_state);
    expect(await kc.offlineSessions(user.id)).toHaveLength(1);

    const opened = await api.openIncident(user.username, RESPONDER, {
      suspectTokens: [offline.refresh_token, browser.access_token],
    });
    expect(opened.status).toBe(201);
    expect(opened.body.joined).toBe(false);
    const id: string = opened.body.incidentId;

    // Sessions and tokens are cut without waiting; disabling the account waits for a human.
    const approval = await api.pendingApproval(id);
    expect(approval.action).toBe('disableAccount');
    expect(approval.requestedBy).toBe(RESPONDER);
    expect((await kc.user(user.id)).enabled).toBe(true);

    const decided = await api.call(
      'POST',
      `/incidents/${id}/approvals`,
      { approvalId: approval.id, decision: 'approve', comment: 'confirmed with the user by phone' },
      APPROVER,
    );
    expect(decided.status).toBe(200);
    expect(decided.body.status).toBe('approved');

    const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
    expect(state.verification?.checks.filter((c) => !c.ok)).toEqual([]);
    expect(state.containedAt).toBeDefined(); // verified containment (the lifecycle then goes on)
    expect(state.verification?.verified).toBe(true);

    // The test's own checks against Keycloak.
    expect(await kc.introspect(browser.access_token)).toBe(false);
    expect(await kc.introspect(offline.refresh_token)).toBe(false);
    expect((await kc.refresh(browser.refresh_token)).ok).toBe(false);
    expect((await kc.refresh(offline.refresh_token)).ok).toBe(false);
    expect(await kc.userinfo(browser.access_token)).toBe(401);
    expect(await kc.sessions(user.id)).toEqual([]);
    expect(await kc.offlineSessions(user.id)).toEqual([]);
    const after = await kc.user(user.id);
    expect(after.enabled).toBe(false);
    expect(after.requiredActions).toEqual(expect.arrayContaining(['UPDATE_PASSWORD', 'CONFIGURE_TOTP']));
    expect((await kc.credentials(user.id)).map((c) => c.type)).toEqual(['password']);

    // The engine checked the handed-over tokens itself too.
    const names = state.verification!.checks.map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(['token-1-inactive', 'token-1-refresh-refused', 'token-2-inactive']),
    );

    // Evidence: the chain verifies and holds the pre-containment snapshot with both sessions.
    const evidence = await api.call('GET', `/incidents/${id}/evidence`);
    expect(evidence.status).toBe(200);
    expect(evidence.body.verification.ok).toBe(true);
    const kinds = evidence.body.manifest.map((e: { kind: string }) => e.kind);
    expect(kinds.slice(0, 3)).toEqual(['alert', 'principal-snapshot', 'containment-verification']);
    const store = new LocalEvidenceStore(config.evidenceDir);
    const snapshotEntry = evidence.body.manifest[1];
    const snapshot = (await store.read(snapshotEntry.objectHash)) as {
      sessions: { id: string }[];
      offlineSessions: unknown[];
      credentials: { type: string }[];
    };
    expect(snapshot.sessions.map((s) => s.id)).toContain(browser.session_state);
    expect(snapshot.offlineSessions).toHaveLength(1);
    expect(snapshot.credentials.map((c) => c.type).sort()).toEqual(['otp', 'password']);
    expect(JSON.stringify(snapshot)).not.toContain(user.password);

    // No token or password reached workflow history (payloads decoded, so a leak would show).
    const history = await decodedHistoryText(await temporalClient(config), id);
    expect(history).toContain(user.username); // the decoding works: the principal is in the payloads
    expect(history).toContain(`revoke all sessions of ${user.username}`); // activity summaries for the UI
    for (const secret of [offline.refresh_token, browser.access_token, user.password]) {
      expect(history).not.toContain(secret);
    }
    // Nor does any file of the evidence store hold the handed-over tokens in clear.
    const files = (dir: string): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((d) =>
        d.isDirectory() ? files(path.join(dir, d.name)) : [path.join(dir, d.name)],
      );
    const stored = files(config.evidenceDir).map((f) => readFileSync(f, 'utf8'));
    expect(stored.length).toBeGreaterThan(0);
    for (const secret of [offline.refresh_token, browser.access_token]) {
      expect(stored.some((text) => text.includes(secret))).toBe(false);
    }

    await close(id);
    expect((await api.untilPhase(id, ['closed'])).status).toBe('closed');
    captureHistory(id, 'containment-after-approval');
  });

  it('contains automatically at critical severity, without asking', async () => {
    const user = await kc.createUser('critical');
    const tokens = await kc.login(user);
    const opened = await api.openIncident(user.username, RESPONDER, { severity: 'critical' });
    expect(opened.status).toBe(201);
    const state = await api.untilPhase(opened.body.incidentId, ['contained', 'containment-unverified']);
    expect(state.containedAt).toBeDefined(); // verified containment (the lifecycle then goes on)
    expect(state.verification?.verified).toBe(true);
    // Nothing of containment was asked for (realm hardening, proposed after it, may already wait).
    expect(state.approvals.filter((a) => a.action !== 'hardenRealm')).toEqual([]);
    expect(state.actions.map((a) => `${a.action}:${a.status}`)).toEqual([
      'requireReauthentication:done',
      'revokeSessions:done',
      'revokeOfflineAccess:done',
      'disableAccount:done',
    ]);
    expect((await kc.user(user.id)).enabled).toBe(false);
    expect(await kc.introspect(tokens.access_token)).toBe(false);
    await close(opened.body.incidentId);
  });

  it('escalates an unanswered approval once, then applies the policy default (skip)', async () => {
    const user = await kc.createUser('timeout');
    const opened = await api.openIncident(user.username, RESPONDER, {
      policy: { disableAccount: { timeoutMs: 1500, escalations: 1, onTimeout: 'skip' } },
    });
    const state = await api.untilPhase(opened.body.incidentId, ['contained', 'containment-unverified']);
    const [approval] = state.approvals;
    expect(approval.status).toBe('timed-out');
    expect(approval.escalations).toBe(1);
    expect(approval.resolution).toBe('default-skip');
    expect(state.actions.find((a) => a.action === 'disableAccount')?.status).toBe('skipped');
    expect(
      state.timeline.some((t) => t.kind === 'notification' && t.message.startsWith('Escalation 1')),
    ).toBe(true);
    // Not disabled, as the policy said; verification checks the intended state, not a fixed one.
    expect((await kc.user(user.id)).enabled).toBe(true);
    expect(state.containedAt).toBeDefined(); // verified containment (the lifecycle then goes on)
    expect(state.verification?.verified).toBe(true);
    await close(opened.body.incidentId);
  });

  it('proceeds by default when the policy says so, and closes itself when the hold-open window ends', async () => {
    const user = await kc.createUser('proceed');
    const opened = await api.openIncident(user.username, RESPONDER, {
      policy: {
        disableAccount: { timeoutMs: 1000, escalations: 0, onTimeout: 'proceed' },
        holdOpenMs: 8000,
      },
    });
    const state = await api.untilPhase(opened.body.incidentId, ['contained', 'containment-unverified']);
    expect(state.approvals[0].resolution).toBe('default-proceed');
    expect((await kc.user(user.id)).enabled).toBe(false);
    const closed = await api.untilPhase(opened.body.incidentId, ['closed']);
    expect(closed.timeline.filter((t) => t.kind === 'phase').at(-1)?.message).toBe(
      'closed automatically at the end of the hold-open window',
    );
    captureHistory(opened.body.incidentId, 'default-proceed-hold-open-ends');
  });

  it('needs two distinct approvers for a step marked critical, though its quorum says 1', async () => {
    const user = await kc.createUser('quorum');
    const opened = await api.openIncident(user.username, RESPONDER, {
      policy: { disableAccount: { quorum: 1, critical: true } },
    });
    const id = opened.body.incidentId;
    const approval = await api.pendingApproval(id);
    expect(approval.quorum).toBe(2);
    const decide = (actor: string) =>
      api.call('POST', `/incidents/${id}/approvals`, { approvalId: approval.id, decision: 'approve' }, actor);

    expect((await decide(APPROVER)).body.status).toBe('pending');
    const twice = await decide(APPROVER);
    expect(twice.status).toBe(409);
    expect(twice.body.error).toBe('DuplicateApprover');
    expect((await kc.user(user.id)).enabled).toBe(true);
    expect((await decide('carol.approver')).body.status).toBe('approved');

    const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
    expect(state.approvals[0].decisions.map((d) => d.actor)).toEqual([APPROVER, 'carol.approver']);
    expect((await kc.user(user.id)).enabled).toBe(false);
    await close(id);
  });

  it('refuses an approval from the requester (four-eyes), unknown ids and second decisions', async () => {
    const user = await kc.createUser('foureyes');
    const opened = await api.openIncident(user.username, RESPONDER);
    const id = opened.body.incidentId;
    const approval = await api.pendingApproval(id);

    const own = await api.call(
      'POST',
      `/incidents/${id}/approvals`,
      { approvalId: approval.id, decision: 'approve' },
      RESPONDER,
    );
    expect(own.status).toBe(403);
    expect(own.body.error).toBe('FourEyesViolation');
    expect(own.body.message).toContain('four-eyes');

    const unknown = await api.call(
      'POST',
      `/incidents/${id}/approvals`,
      { approvalId: 'nope-9', decision: 'approve' },
      APPROVER,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('ApprovalNotFound');

    const rejected = await api.call(
      'POST',
      `/incidents/${id}/approvals`,
      { approvalId: approval.id, decision: 'reject', comment: 'VIP travelling, keep enabled' },
      APPROVER,
    );
    expect(rejected.status).toBe(200);
    const again = await api.call(
      'POST',
      `/incidents/${id}/approvals`,
      { approvalId: approval.id, decision: 'approve' },
      'carol',
    );
    expect(again.status).toBe(409);
    expect(again.body.error).toBe('ApprovalAlreadyDecided');

    const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
    expect(state.approvals[0].resolution).toBe('rejected');
    expect((await kc.user(user.id)).enabled).toBe(true);
    // The refused attempts never reached history: only the one real decision is on the record.
    expect(state.approvals[0].decisions.map((d) => d.actor)).toEqual([APPROVER]);
    await close(id);
  });

  it('joins a second alert about the same principal and raises its severity, approving nothing by itself', async () => {
    const user = await kc.createUser('joined');
    const first = await api.openIncident(user.username, RESPONDER, { severity: 'medium', alertId: 'siem-1' });
    expect(first.status).toBe(201);
    const id = first.body.incidentId;
    await api.pendingApproval(id);

    const resent = await api.openIncident(user.username, RESPONDER, {
      severity: 'medium',
      alertId: 'siem-1',
    });
    expect(resent.status).toBe(201); // the same alert again: recorded once, not a join
    expect(resent.body.incidentId).toBe(id);

    const second = await api.openIncident(user.username, 'detector', {
      severity: 'critical',
      summary: 'impossible travel',
      alertId: 'siem-2',
    });
    expect(second.status).toBe(200);
    expect(second.body).toMatchObject({ incidentId: id, joined: true, severity: 'critical' });

    // Critical now, but a person's re-post is not a second pair of eyes: the step still waits.
    await new Promise((r) => setTimeout(r, 1000));
    const waiting = await api.incident(id);
    expect(waiting.alerts.map((a) => a.id)).toEqual(['siem-1', 'siem-2']);
    expect(waiting.severity).toBe('critical');
    expect(waiting.approvals[0].status).toBe('pending');
    expect((await kc.user(user.id)).enabled).toBe(true);

    const approval = waiting.approvals[0];
    const decided = await api.call(
      'POST',
      `/incidents/${id}/approvals`,
      { approvalId: approval.id, decision: 'approve' },
      APPROVER,
    );
    expect(decided.status).toBe(200);
    const state = await api.untilPhase(id, ['contained', 'containment-unverified']);
    expect(state.approvals[0].resolution).toBe('approved');
    expect((await kc.user(user.id)).enabled).toBe(false);

    const list = await api.call(
      'GET',
      `/incidents?provider=keycloak&realm=${REALM}&username=${user.username}`,
    );
    expect(list.status).toBe(200);
    expect(list.body.incidents.map((i: { incidentId: string }) => i.incidentId)).toEqual([id]);
    await close(id);
  });

  it('never contains a protected principal by itself, even at critical: two people confirm first', async () => {
    const opened = await api.openIncident(breakGlass.username, RESPONDER, { severity: 'critical' });
    expect(opened.status).toBe(201);
    const id = opened.body.incidentId;
    const confirm = await api.pendingApproval(id, 'confirmContainment');
    expect(confirm).toMatchObject({ quorum: 2, summary: expect.stringContaining('protected principal') });
    await new Promise((r) => setTimeout(r, 500));
    expect((await api.incident(id)).actions).toEqual([]);
    expect((await kc.user(breakGlass.id)).enabled).toBe(true);

    const decide = (who: string) =>
      api.call('POST', `/incidents/${id}/approvals`, { approvalId: confirm.id, decision: 'approve' }, who);
    expect((await decide(APPROVER)).body.status).toBe('pending'); // one of two
    expect((await decide('carol.approver')).body.status).toBe('approved');
    // Confirmed: containment runs, and disabling still waits for two people (never automatic).
    const disable = await api.pendingApproval(id, 'disableAccount');
    expect(disable.quorum).toBe(2);
    expect((await kc.user(breakGlass.id)).requiredActions).toContain('UPDATE_PASSWORD');
  });

  it('reports a user that does not exist as a failed incident naming the user, never as contained', async () => {
    const opened = await api.openIncident('ghost-nobody', RESPONDER, { severity: 'critical' });
    expect(opened.status).toBe(201);
    const client = await temporalClient(config);
    const handle = client.workflow.getHandle(opened.body.incidentId);
    await expect(handle.result()).rejects.toThrow();
    const description = await handle.describe();
    expect(description.status.name).toBe('FAILED');
    const history = await decodedHistoryText(client, opened.body.incidentId);
    expect(history).toContain("KeycloakUserNotFound: user 'ghost-nobody' not in realm 'corp'");
    // The API says so too: never 'open' for a workflow that failed.
    const state = await api.incident(opened.body.incidentId);
    expect(state.status).toBe('failed');
    expect(state.failure).toContain("KeycloakUserNotFound: user 'ghost-nobody' not in realm 'corp'");
    const listed = await api.call('GET', '/incidents?status=open');
    expect(listed.body.incidents.map((i: { incidentId: string }) => i.incidentId)).not.toContain(
      opened.body.incidentId,
    );
  });
});
