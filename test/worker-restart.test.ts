/**
 * Durability: the worker that started an incident goes away while the incident waits for a human;
 * a new worker picks it up from Temporal's history and finishes it, without repeating actions.
 */
import { testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { KeycloakTestClient } from './support/keycloak';

it('a new worker finishes an incident whose worker stopped while it waited for approval', async () => {
  const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
  const config = testConfig();
  const api = await TestApi.start(config);
  let worker = await TestWorker.start(config);
  try {
    const user = await kc.createUser('restart');
    const tokens = await kc.login(user);
    const opened = await api.openIncident(user.username, 'alice', { summary: 'worker restart drill' });
    const id = opened.body.incidentId;
    const approval = await api.pendingApproval(id);

    await worker.stop();
    worker = await TestWorker.start(config);

    const decided = await api.call(
      'POST',
      `/incidents/${id}/approvals`,
      { approvalId: approval.id, decision: 'approve' },
      'bob',
    );
    expect(decided.status).toBe(200);
    const state = await api.untilPhase(id, ['contained']);

    expect(state.actions.map((a: { action: string }) => a.action)).toEqual([
      'requireReauthentication',
      'revokeSessions',
      'revokeOfflineAccess',
      'disableAccount',
    ]);
    expect((await kc.user(user.id)).enabled).toBe(false);
    expect(await kc.introspect(tokens.access_token)).toBe(false);
    expect((await api.call('GET', `/incidents/${id}/evidence`)).body.verification.ok).toBe(true);
    await api.call('POST', `/incidents/${id}/close`, { reason: 'drill done' }, 'alice');
  } finally {
    await worker.stop();
    await api.stop();
  }
});

it('answers 202 when no worker is up, and the incident runs as soon as one starts', async () => {
  const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
  const config = testConfig();
  const api = await TestApi.start(config);
  let worker: TestWorker | undefined;
  try {
    const user = await kc.createUser('noworker');
    const started = Date.now();
    const opened = await api.openIncident(user.username, 'alice', {
      severity: 'critical',
      alertId: `nw-${user.id}`,
    });
    expect(opened.status).toBe(202); // the engine has it; no worker confirmed the alert yet
    expect(opened.body).toMatchObject({ unconfirmed: true, incidentId: expect.stringMatching(/^incident-/) });
    expect(Date.now() - started).toBeLessThan(20_000);

    worker = await TestWorker.start(config);
    const state = await api.untilPhase(opened.body.incidentId, ['contained']);
    expect(state.alerts).toHaveLength(1); // the alert came with the start: not lost, not doubled
    expect((await kc.user(user.id)).enabled).toBe(false);
    // Re-sending the same alert once a worker is up is confirmed and counts once.
    const again = await api.openIncident(user.username, 'alice', {
      severity: 'critical',
      alertId: `nw-${user.id}`,
    });
    expect(again.status).toBe(201); // confirmed now (an alert already recorded is reported as not joining)
    expect((await api.incident(opened.body.incidentId)).alerts).toHaveLength(1);
  } finally {
    await api.stop();
    await worker?.stop();
  }
});
