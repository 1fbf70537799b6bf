/**
 * The Keycloak connector's containment actions against the real Keycloak: each is idempotent, and
 * a 429 with Retry-After is honoured by the activity retry.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/activity';
import * as path from 'node:path';
import { createActivities } from '../activities';
import { KeycloakProvider } from '../providers/keycloak/connector';
import { LogNotifier } from '../activities/notifier';
import type { Principal } from '../domain/incident';
import { LocalEvidenceStore } from '../evidence/local-store';
import { SealedTokens } from '../evidence/sealed-tokens';
import { testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { FaultProxy } from './support/fault-proxy';
import { ENGINE_CLIENT, KeycloakTestClient, REALM, type TestUser } from './support/keycloak';

const env = readTestEnv();
const kc = new KeycloakTestClient(env.keycloak.url);

function activities(baseUrl: string) {
  const dir = path.join(env.workDir, 'connector-evidence');
  return createActivities({
    providers: {
      keycloak: new KeycloakProvider({
        baseUrl,
        clientId: ENGINE_CLIENT.id,
        clientSecret: ENGINE_CLIENT.secret,
      }),
    },
    evidence: new LocalEvidenceStore(dir),
    sealedTokens: new SealedTokens(new LocalEvidenceStore(dir), undefined, Buffer.alloc(32)),
    notifier: new LogNotifier(() => undefined),
  });
}

describe('Keycloak containment actions', () => {
  const acts = activities(env.keycloak.url);
  const mock = new MockActivityEnvironment();

  it.each([
    ['revokeSessions', async (id: string) => expect(await kc.sessions(id)).toEqual([])],
    ['revokeOfflineAccess', async (id: string) => expect(await kc.offlineSessions(id)).toEqual([])],
    [
      'requireReauthentication',
      async (id: string, user: TestUser) => {
        expect((await kc.user(id)).requiredActions.sort()).toEqual(['CONFIGURE_TOTP', 'UPDATE_PASSWORD']);
        expect((await kc.credentials(id)).map((c) => c.type)).toEqual(['password']);
        expect(await kc.login(user).catch(() => 'refused')).toBe('refused'); // the stolen password is dead
      },
    ],
    ['disableAccount', async (id: string) => expect((await kc.user(id)).enabled).toBe(false)],
  ] as const)('%s run twice has the effect of running it once', async (action, holds) => {
    const user = await kc.createUser('idem', { otp: true });
    await kc.login(user);
    await kc.login(user, 'openid offline_access');
    const principal: Principal = { provider: 'keycloak', realm: REALM, username: user.username };

    const since = new Date(Date.now() - 1000).toISOString(); // the incident's start
    const first = await mock.run(acts[action], { principal, since });
    await holds(user.id, user);
    const second = await mock.run(acts[action], { principal, since });
    await holds(user.id, user);

    expect(first).toMatchObject({ action, changed: true });
    expect(second).toMatchObject({ action, changed: false });
  });

  it('names the user and realm when the user does not exist, as a non-retryable failure', async () => {
    const principal: Principal = { provider: 'keycloak', realm: REALM, username: 'no-such-user' };
    const err = await mock.run(acts.disableAccount, { principal }).catch((e) => e);
    expect(err).toBeInstanceOf(ApplicationFailure);
    expect(err).toMatchObject({
      type: 'KeycloakUserNotFound',
      nonRetryable: true,
      message: "KeycloakUserNotFound: user 'no-such-user' not in realm 'corp'",
    });
  });
});

describe('Keycloak rate limiting', () => {
  const isLogout = (method: string, p: string) =>
    method === 'POST' && /\/admin\/realms\/corp\/users\/[^/]+\/logout$/.test(p);

  it('waits out a short Retry-After inside the call, then goes on', async () => {
    const proxy = await FaultProxy.start(env.keycloak.url, [
      { match: isLogout, times: 1, status: 429, headers: { 'retry-after': '2' } },
    ]);
    try {
      const user = await kc.createUser('throttled');
      await kc.login(user);
      const principal: Principal = { provider: 'keycloak', realm: REALM, username: user.username };
      const outcome = await new MockActivityEnvironment().run(activities(proxy.url).revokeSessions, {
        principal,
      });
      expect(outcome).toMatchObject({ action: 'revokeSessions', changed: true });
      const logouts = proxy.hits.filter((h) => isLogout(h.method, h.path));
      expect(logouts.map((h) => h.faulted)).toEqual([true, false]);
      expect(logouts[1].at - logouts[0].at).toBeGreaterThanOrEqual(2000);
    } finally {
      await proxy.stop();
    }
  });

  it('takes a 409 on an account update for a colliding write and retries, not a refusal', async () => {
    const isUserUpdate = (method: string, p: string) =>
      method === 'PUT' && /\/admin\/realms\/corp\/users\/[^/]+$/.test(p);
    const proxy = await FaultProxy.start(env.keycloak.url, [
      { match: isUserUpdate, times: 1, status: 409, headers: {} },
    ]);
    try {
      const user = await kc.createUser('conflicted');
      const principal: Principal = { provider: 'keycloak', realm: REALM, username: user.username };
      const run = () =>
        new MockActivityEnvironment().run(activities(proxy.url).requireReauthentication, { principal });
      const err = await run().catch((e) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'KeycloakConflict', nonRetryable: false });
      // The retry applies it.
      await expect(run()).resolves.toMatchObject({ action: 'requireReauthentication', changed: true });
      expect((await kc.user(user.id)).requiredActions).toEqual(
        expect.arrayContaining(['UPDATE_PASSWORD', 'CONFIGURE_TOTP']),
      );
    } finally {
      await proxy.stop();
    }
  });

  it('turns a long Retry-After into a retryable failure with that delay', async () => {
    const proxy = await FaultProxy.start(env.keycloak.url, [
      { match: isLogout, times: 1, status: 429, headers: { 'retry-after': '30' } },
    ]);
    try {
      const user = await kc.createUser('throttled');
      const principal: Principal = { provider: 'keycloak', realm: REALM, username: user.username };
      const err = await new MockActivityEnvironment()
        .run(activities(proxy.url).revokeSessions, { principal })
        .catch((e) => e);
      expect(err).toBeInstanceOf(ApplicationFailure);
      expect(err).toMatchObject({ type: 'KeycloakThrottled', nonRetryable: false, nextRetryDelay: 30000 });
    } finally {
      await proxy.stop();
    }
  });

  it('waits the Retry-After before the activity retries, and the incident still completes', async () => {
    // Longer than a call waits in place: the activity fails and Temporal retries it after 6 s.
    const proxy = await FaultProxy.start(env.keycloak.url, [
      { match: isLogout, times: 1, status: 429, headers: { 'retry-after': '6' } },
    ]);
    const config = testConfig();
    config.keycloak!.baseUrl = proxy.url;
    const worker = await TestWorker.start(config);
    const api = await TestApi.start(config);
    try {
      const user = await kc.createUser('ratelimited');
      const opened = await api.openIncident(user.username, 'alice', {
        severity: 'critical',
        summary: 'rate-limited containment',
      });
      const state = await api.untilPhase(opened.body.incidentId, ['contained', 'containment-unverified']);
      expect(state.containedAt).toBeDefined(); // verified containment (the lifecycle then goes on)
      expect(state.verification?.verified).toBe(true);
      expect((await kc.user(user.id)).enabled).toBe(false);

      const [throttled, retried] = proxy.hits;
      expect(throttled.faulted).toBe(true);
      expect(retried.faulted).toBe(false);
      // The retry came no sooner than Keycloak asked (the default backoff would retry after 1 s).
      expect(retried.at - throttled.at).toBeGreaterThanOrEqual(6000);
      await api.call('POST', `/incidents/${opened.body.incidentId}/close`, { reason: 'test done' }, 'alice');
    } finally {
      await api.stop();
      await worker.stop();
      await proxy.stop();
    }
  });
});

describe("Keycloak's introspection audience check (26.7)", () => {
  it('never lets verification call a live token dead when Keycloak hides other clients\u2019 tokens', async () => {
    const name = `noaud-${Date.now().toString(36)}`;
    const realm = await kc.createRealmLikeCorp(name);
    try {
      const user = await realm.createUser('live');
      const tokens = await realm.login(user);
      const principal: Principal = { provider: 'keycloak', realm: name, username: user.username };
      const provider = new KeycloakProvider({
        baseUrl: env.keycloak.url,
        clientId: ENGINE_CLIENT.id,
        clientSecret: ENGINE_CLIENT.secret,
      });
      const verify = () =>
        provider.ports['account-containment']!.verifyContainment(principal, {
          containedAt: new Date().toISOString(),
          accountDisabled: false,
          suspectTokens: [tokens.access_token],
        });
      // With the engine's client allowed to introspect any token (the realm file sets it), a live
      // token is reported live.
      expect((await verify()).find((c) => c.name === 'token-1-inactive')).toMatchObject({
        ok: false,
        detail: expect.stringMatching(/introspects ACTIVE/),
      });
      // Without it Keycloak answers `active: false` for the same live token: verification says it
      // cannot prove anything, and the doctor names the setting.
      const [engine] = await realm.admin<{ id: string; attributes?: Record<string, string> }[]>(
        'GET',
        `/clients?clientId=${ENGINE_CLIENT.id}`,
      );
      await realm.admin('PUT', `/clients/${engine.id}`, {
        ...engine,
        attributes: { ...engine.attributes, 'allow.token.introspection.without.audience.check': 'false' },
      });
      const check = (await verify()).find((c) => c.name === 'token-1-inactive');
      expect(check).toMatchObject({ ok: false, detail: expect.stringMatching(/cannot be proven dead/) });
      const report = await provider.checkPermissions(name);
      expect(report.ports.find((p) => p.port === 'sessions-and-tokens')).toMatchObject({
        status: 'missing',
        detail: expect.stringContaining('allow.token.introspection.without.audience.check'),
      });
    } finally {
      await realm.deleteRealm();
    }
  });
});
