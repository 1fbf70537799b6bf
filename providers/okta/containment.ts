/**
 * Okta `account-containment`, `sessions-and-tokens` and `factors`. Okta's lifecycle is status-gated
 * (suspend only from ACTIVE, unsuspend only from SUSPENDED) and not idempotent, so every action
 * reads the user first and treats "already so" as done.
 *
 * The stolen password is replaced by an admin password write with a random value nobody sees (not
 * `expire_password`: that moves the user to PASSWORD_EXPIRED, which Okta then refuses to suspend,
 * and its temporary password would have to be handled). The person gets back in through a reset
 * the reinstatement sends, after a quiet watch window and approvals.
 */
import type { ActionOutcome, Finding, Principal, VerificationCheck } from '../../domain/incident';
import {
  IdentityProviderError,
  PortNotSupported,
  unguessablePassword,
  type AccessState,
  type AccountContainment,
  type ContainmentExpectation,
  type EradicationStep,
  type Factors,
  type RoleGrant,
  type SessionsAndTokens,
} from '../ports';
import { call, oktaTime, type OktaConnection, type OktaUser } from './connection';

/** Sign-ins and token refreshes in the System Log: none may follow containment. */
const AUTHENTICATED = [
  'user.session.start',
  'app.oauth2.token.grant.refresh_token',
  'user.authentication.sso',
];

export class OktaAccounts implements AccountContainment {
  constructor(private readonly ok: OktaConnection) {}

  /**
   * Always writes a new random password, also on a retry: a password changed after the incident's
   * start may be the attacker's own (self-service), so "already changed" proves nothing here, and a
   * second random password is as unknown as the first.
   */
  async requireReauthentication(principal: Principal): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    const api = this.ok.client;
    const factors = await listFactors(this.ok, principal, user.id);
    await call(principal, () =>
      api.userApi.updateUser({
        userId: user.id,
        user: { credentials: { password: { value: unguessablePassword() } } },
      }),
    );
    if (factors.length) await call(principal, () => api.userApi.resetFactors({ userId: user.id }));
    return {
      action: 'requireReauthentication',
      changed: true,
      detail: [
        'replaced the password with one nobody knows',
        factors.length ? `reset ${factors.length} factor(s)` : 'no factors enrolled',
      ].join('; '),
    };
  }

  async disableAccount(principal: Principal): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    const api = this.ok.client;
    if (user.status === 'SUSPENDED' || user.status === 'DEPROVISIONED')
      return {
        action: 'disableAccount',
        changed: false,
        detail: `${principal.username} was already ${user.status}`,
      };
    // A lockout (the attacker's failed attempts) blocks suspension: unlock first — the password is
    // already one nobody knows — then suspend at once.
    if (user.status === 'LOCKED_OUT')
      await call(principal, () => api.userApi.unlockUser({ userId: user.id }));
    else if (user.status !== 'ACTIVE')
      throw new IdentityProviderError(
        'OktaCannotSuspend',
        `OktaCannotSuspend: Okta suspends only ACTIVE users and ${principal.username} is ${user.status}; deactivate by hand if the account must be blocked now (deactivation deprovisions its apps)`,
        false,
      );
    await call(principal, () => api.userApi.suspendUser({ userId: user.id }));
    return { action: 'disableAccount', changed: true, detail: `suspended ${principal.username}` };
  }

  async enableAccount(principal: Principal): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    if (user.status !== 'SUSPENDED')
      return { action: 'restoreAccount', changed: false, detail: `${principal.username} is ${user.status}` };
    await call(principal, () => this.ok.client.userApi.unsuspendUser({ userId: user.id }));
    return { action: 'restoreAccount', changed: true, detail: `unsuspended ${principal.username}` };
  }

  /**
   * Unsuspends the account and sends the person a password reset (Okta's emailed link; the account
   * is in RECOVERY until they set one), only when no factor enrolled before containment is left.
   */
  async reinstate(principal: Principal, { containedAt }: { containedAt: string }): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    const api = this.ok.client;
    const after = Date.parse(containedAt);
    const factors = await listFactors(this.ok, principal, user.id);
    const stale = factors.filter((f) => oktaTime(f.created) <= after);
    if (stale.length)
      throw new IdentityProviderError(
        'ReinstatementRefused',
        `ReinstatementRefused: ${principal.username} still has ${stale.length} factor(s) enrolled before containment`,
        false,
      );
    if (user.status === 'RECOVERY' || (user.status === 'ACTIVE' && oktaTime(user.passwordChanged) > after))
      return {
        action: 'reinstateAccount',
        changed: false,
        detail: `${principal.username} is ${user.status === 'RECOVERY' ? 'setting a new password' : 'back with a new password'}`,
      };
    if (user.status === 'SUSPENDED')
      await call(principal, () => api.userApi.unsuspendUser({ userId: user.id }));
    else if (user.status !== 'ACTIVE')
      throw new IdentityProviderError(
        'ReinstatementRefused',
        `ReinstatementRefused: ${principal.username} is ${user.status}`,
        false,
      );
    await call(principal, () => api.userApi.generateResetPasswordToken({ userId: user.id, sendEmail: true }));
    return {
      action: 'reinstateAccount',
      changed: true,
      detail: `unsuspended ${principal.username}; a password reset was emailed (new password and factors at next sign-in)`,
    };
  }

  /**
   * Okta's Management API lists no user's sessions: only a named session can be read back (Sessions
   * API). Without one, a check that needs the sessions cannot be made here.
   */
  async inspect(principal: Principal, grant?: RoleGrant, session?: string): Promise<AccessState> {
    const user = await this.ok.user(principal);
    if (grant || !session)
      throw new PortNotSupported('okta', 'account-containment', "reading a user's sessions and roles");
    const found = (await call(principal, () => this.ok.client.sessionApi.getSession({ sessionId: session }), {
      notFoundIsDone: true,
    })) as { userId?: string; status?: string } | undefined;
    const live = Boolean(found && found.userId === user.id && found.status !== 'INACTIVE');
    return {
      enabled: user.status !== 'SUSPENDED' && user.status !== 'DEPROVISIONED',
      sessions: live ? 1 : 0,
      sessionIds: live ? [session] : [],
    };
  }

  async verifyContainment(
    principal: Principal,
    expected: ContainmentExpectation,
  ): Promise<VerificationCheck[]> {
    const user = await this.ok.user(principal);
    const api = this.ok.client;
    const checks: VerificationCheck[] = [];
    const suspended = user.status === 'SUSPENDED';
    checks.push({
      name: 'account-state',
      ok: expected.accountDisabled ? suspended : true,
      detail: `account is ${user.status}; intended ${expected.accountDisabled ? 'SUSPENDED' : 'any'}`,
    });
    if (expected.cutFrom) {
      const replaced = oktaTime(user.passwordChanged) >= Date.parse(expected.cutFrom);
      checks.push({
        name: 'stolen-password-replaced',
        ok: replaced,
        detail: replaced
          ? 'the password in force was set by containment: the stolen one opens nothing'
          : `the password in force dates from ${new Date(oktaTime(user.passwordChanged)).toISOString()}, before the incident`,
      });
    }
    const factors = await listFactors(this.ok, principal, user.id);
    checks.push({
      name: 'factors-removed',
      ok: factors.length === 0,
      detail: `${factors.length} factor(s) enrolled`,
    });
    const grants = await collect(
      await call(principal, () => api.userApi.listUserGrants({ userId: user.id })),
    );
    checks.push({
      name: 'no-consent-grants',
      ok: grants.length === 0,
      detail: `${grants.length} consent grant(s)`,
    });
    const clients = await collect(
      await call(principal, () => api.userApi.listUserClients({ userId: user.id })),
    );
    checks.push({
      name: 'no-tokens',
      ok: clients.length === 0,
      detail: clients.length
        ? `tokens remain for ${clients.map((c) => (c as { client_id?: string }).client_id).join(', ')}`
        : 'no client holds a token of the user',
    });
    const since = new Date(Date.parse(expected.containedAt) + 1).toISOString();
    const events = await collect(
      await call(principal, () =>
        api.systemLogApi.listLogEvents({
          since,
          until: new Date().toISOString(),
          filter: `actor.id eq "${user.id}"`,
          limit: 200,
        }),
      ),
    );
    const after = events.filter(
      (e) =>
        AUTHENTICATED.includes(String((e as { eventType?: string }).eventType)) &&
        (e as { outcome?: { result?: string } }).outcome?.result === 'SUCCESS',
    );
    checks.push({
      name: 'no-authentication-after-containment',
      ok: after.length === 0,
      detail: after.length
        ? `${after.length} successful authentication(s) after containment`
        : 'no successful authentication since containment',
    });
    for (const [i, token] of expected.suspectTokens.entries())
      checks.push(await this.introspect(principal, token, i));
    return checks;
  }

  /** RFC 7662 introspection at the org authorization server, as the configured client. */
  private async introspect(principal: Principal, token: string, index: number): Promise<VerificationCheck> {
    const name = `token-${index + 1}-inactive`;
    const clientId = this.ok.settings.introspectionClientId;
    if (!clientId)
      return { name, ok: false, detail: 'cannot introspect: no OKTA_INTROSPECTION_CLIENT_ID configured' };
    const res = await call(principal, async () => {
      const r = await fetch(`${this.ok.settings.orgUrl.replace(/\/$/, '')}/oauth2/v1/introspect`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body: new URLSearchParams({ token, client_id: clientId }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!r.ok) throw Object.assign(new Error(`introspection answered ${r.status}`), { status: r.status });
      return (await r.json()) as { active?: boolean };
    });
    return {
      name,
      ok: res.active === false,
      detail: `suspect token #${index + 1} introspects ${res.active ? 'ACTIVE' : 'inactive'}`,
    };
  }
}

export class OktaSessions implements SessionsAndTokens {
  constructor(private readonly ok: OktaConnection) {}

  /** Clears every Okta session of the user and revokes the OAuth tokens issued to it. */
  async revokeSessions(principal: Principal): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    await call(principal, () =>
      this.ok.client.userApi.revokeUserSessions({ userId: user.id, oauthTokens: true }),
    );
    return {
      action: 'revokeSessions',
      changed: true,
      detail: `cleared the Okta sessions of ${principal.username} and revoked its OAuth tokens`,
    };
  }

  /** Revokes the user's consent grants and every client's refresh tokens. */
  async revokeOfflineAccess(principal: Principal): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    const api = this.ok.client;
    const grants = await collect(
      await call(principal, () => api.userApi.listUserGrants({ userId: user.id })),
    );
    if (grants.length) await call(principal, () => api.userApi.revokeUserGrants({ userId: user.id }));
    const clients = (
      await collect(await call(principal, () => api.userApi.listUserClients({ userId: user.id })))
    ).map((c) => String((c as { client_id?: string }).client_id));
    for (const clientId of clients)
      await call(principal, () => api.userApi.revokeTokensForUserAndClient({ userId: user.id, clientId }), {
        notFoundIsDone: true,
      });
    return {
      action: 'revokeOfflineAccess',
      changed: grants.length > 0 || clients.length > 0,
      detail:
        grants.length || clients.length
          ? `revoked ${grants.length} consent grant(s) and the tokens of ${clients.join(', ') || 'no client'}`
          : 'no consent grants or tokens',
    };
  }

  async revokeSession(principal: Principal, sessionId: string): Promise<ActionOutcome> {
    await this.ok.user(principal);
    const done = await call(
      principal,
      () => this.ok.client.sessionApi.revokeSession({ sessionId }).then(() => true),
      {
        notFoundIsDone: true,
      },
    );
    return {
      action: 'revokeSession',
      changed: done === true,
      detail: done
        ? `ended session ${sessionId.slice(0, 8)}… of ${principal.username}`
        : 'session already gone',
    };
  }
}

export class OktaFactors implements Factors {
  constructor(private readonly ok: OktaConnection) {}

  async removeFactor(
    principal: Principal,
    f: Extract<Finding, { kind: 'factor' }>,
  ): Promise<EradicationStep> {
    const user = await this.ok.user(principal);
    const label = `${f.type} factor enrolled ${f.createdAt ?? 'at an unknown time'}`;
    const done = await call(
      principal,
      () =>
        this.ok.client.userFactorApi
          .unenrollFactor({ userId: user.id, factorId: f.credentialId })
          .then(() => true),
      { notFoundIsDone: true },
    );
    return { finding: f, changed: done === true, before: label, after: `removed ${label}` };
  }
}

async function listFactors(ok: OktaConnection, principal: Principal, userId: string) {
  return (await collect(await call(principal, () => ok.client.userFactorApi.listFactors({ userId })))) as {
    id?: string;
    factorType?: string;
    created?: string | Date;
  }[];
}

/** Every item of an SDK collection (it pages with Okta's Link headers). */
export async function collect<T>(
  collection: { each(fn: (item: T) => void): Promise<unknown> } | T[],
): Promise<T[]> {
  if (Array.isArray(collection)) return collection;
  const out: T[] = [];
  await collection.each((item) => {
    out.push(item);
  });
  return out;
}

export type { OktaUser };
