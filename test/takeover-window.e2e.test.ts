/**
 * Containment never hands the account over. After the engine has cut a compromised account's
 * access — at every severity, whether disabling waits for an approval, is approved later, or never
 * comes — whoever knows the stolen password drives Keycloak's browser login with it and gets
 * nothing: no code, no required-action page (where they could set a new password or enrol their own
 * authenticator), no change to the account's credentials.
 */
import { browserLogin } from './support/browser-login';
import { compromisedCredentialAlert } from './support/engine';
import { readTestEnv } from './support/env';
import { KeycloakTestClient, TestUser } from './support/keycloak';
import { useEngine } from './support/use-engine';

const RESPONDER = 'alice.responder';
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
const engine = useEngine();

const credentialsOf = async (user: TestUser) =>
  (await kc.credentials(user.id))
    .map((c) => JSON.stringify(c))
    .sort()
    .join('\n');

async function attackerTries(user: TestUser) {
  const before = await credentialsOf(user);
  const result = await browserLogin(kc.issuer, user.username, user.password);
  // The password grant, too: no token for the known password.
  const direct = await kc.login(user).then(
    () => 'token',
    (err: Error) => err.message,
  );
  return { result, direct, credentialsChanged: (await credentialsOf(user)) !== before };
}

describe('the stolen password after containment', () => {
  it('works before the incident (the test can tell a successful login)', async () => {
    const user = await kc.createUser('takeover-control');
    const { result } = await attackerTries(user);
    expect(result.ended).toBe('code');
  });

  it.each([
    ['low', {}],
    ['medium', {}],
    ['high', {}],
    ['critical', {}],
    // Nobody answers and policy skips disabling: the account stays enabled for good.
    ['high', { disableAccount: { timeoutMs: 600, escalations: 0, onTimeout: 'skip' } }],
  ] as const)('opens nothing at severity %s with policy %j', async (severity, policy) => {
    const user = await kc.createUser('takeover', { otp: true });
    const opened = await engine.api.call(
      'POST',
      '/incidents',
      compromisedCredentialAlert(user.username, {
        severity,
        ...(Object.keys(policy).length ? { policy } : {}),
      }),
      RESPONDER,
    );
    expect(opened.status).toBe(201);
    const id: string = opened.body.incidentId;
    // Access is cut first; disabling waits (or never comes). This is the window that mattered.
    const state = await engine.api.untilPhase(id, ['contained', 'containment-unverified', 'contain'], 60_000);
    await (async () => {
      for (let i = 0; i < 100; i++) {
        const s = await engine.api.incident(id);
        const done = s.actions.filter((a) => a.status === 'done').map((a) => a.action);
        if (
          ['requireReauthentication', 'revokeSessions', 'revokeOfflineAccess'].every((a) =>
            done.includes(a as never),
          )
        )
          return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`access of ${user.username} was never cut (phase ${state.phase})`);
    })();

    const attempt = await attackerTries(user);
    expect(attempt.result).toMatchObject({ ended: 'refused' });
    expect(attempt.direct).not.toBe('token');
    expect(attempt.credentialsChanged).toBe(false);
    // And no factor of the attacker's survived: only the (replaced) password is left.
    expect((await kc.credentials(user.id)).map((c) => c.type)).toEqual(['password']);

    if (severity === 'critical' || Object.keys(policy).length) {
      const final = await engine.api.untilPhase(id, ['contained', 'containment-unverified']);
      expect(final.verification?.checks.find((c) => c.name === 'stolen-password-replaced')?.ok).toBe(true);
    }
    await engine.api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  });
});
