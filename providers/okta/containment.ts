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
  unguessablePassword,
  type AccessState,
  type AccountContainment,
  type ContainmentExpectation,
  type EradicationStep,
  type Factors,
  type RoleGrant,
  type RolesAndGrants,
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
   * Okta's Management API lists no user's sessions. A named session is read back (Sessions API);
   * otherwise the count is the sign-ins the System Log shows since the user's sessions were last
   * cleared (or the account suspended) within a day — an upper bound, never less than what lives.
   */
  async inspect(principal: Principal, grant?: RoleGrant, session?: string): Promise<AccessState> {
    const user = await this.ok.user(principal);
    const api = this.ok.client;
    const enabled = user.status !== 'SUSPENDED' && user.status !== 'DEPROVISIONED';
    const roleMapped = grant
      ? (await listRoles(this.ok, principal, user.id)).some((r) => matchesRole(r, grant.role))
      : undefined;
    const withRole = roleMapped === undefined ? {} : { roleMapped };
    if (session) {
      const found = (await call(principal, () => api.sessionApi.getSession({ sessionId: session }), {
        notFoundIsDone: true,
      })) as { userId?: string; status?: string } | undefined;
      const live = Boolean(found && found.userId === user.id && found.status !== 'INACTIVE');
      return { enabled, sessions: live ? 1 : 0, sessionIds: live ? [session] : [], ...withRole };
    }
    const events = (await collect(
      await call(principal, () =>
        api.systemLogApi.listLogEvents({
          since: new Date(Date.now() - 24 * 3600_000).toISOString(),
          until: new Date().toISOString(),
          filter: `actor.id eq "${user.id}" or target.id eq "${user.id}"`,
          sortOrder: 'ASCENDING',
          limit: 1000,
        }),
      ),
    )) as { eventType?: string; outcome?: { result?: string } }[];
    const types = events.map((e) => e.eventType);
    const cut = Math.max(
      types.lastIndexOf('user.session.clear'),
      types.lastIndexOf('user.lifecycle.suspend'),
    );
    const started = events
      .slice(cut + 1)
      .filter((e) => e.eventType === 'user.session.start' && e.outcome?.result === 'SUCCESS').length;
    return { enabled, sessions: started, sessionIds: [], ...withRole };
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

  /**
   * Revokes the user's consent grants, every client's refresh tokens, and the API tokens the user
   * made (an admin's stolen session can mint one: it outlives every session and password). API
   * tokens are listed org-wide, which needs `okta.apiTokens.manage`; without it the rest is done and
   * the outcome says what was not.
   */
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
    const apiTokens = await this.revokeApiTokens(principal, user.id);
    const changed = grants.length > 0 || clients.length > 0 || (apiTokens.revoked ?? 0) > 0;
    const parts = [
      grants.length || clients.length
        ? `revoked ${grants.length} consent grant(s) and the tokens of ${clients.join(', ') || 'no client'}`
        : 'no consent grants or tokens',
      apiTokens.detail,
    ];
    return {
      action: 'revokeOfflineAccess',
      changed,
      detail: parts.join('; '),
      ...(apiTokens.revoked === undefined ? { incomplete: true } : {}),
    };
  }

  /** The user's own API tokens (SSWS), revoked; `revoked` undefined when they could not be listed. */
  private async revokeApiTokens(
    principal: Principal,
    userId: string,
  ): Promise<{ revoked?: number; detail: string }> {
    const api = this.ok.client.apiTokenApi;
    let tokens: { id?: string; userId?: string }[];
    try {
      tokens = (await collect(await call(principal, () => api.listApiTokens()))) as typeof tokens;
    } catch (err) {
      if (err instanceof IdentityProviderError && err.retryable) throw err;
      return {
        detail: `API tokens NOT checked (${(err as Error).message.slice(0, 160)}): give the engine okta.apiTokens.manage, or revoke the user's API tokens by hand`,
      };
    }
    const own = tokens.filter((t) => t.userId === userId && t.id);
    for (const t of own)
      await call(principal, () => api.revokeApiToken({ apiTokenId: String(t.id) }), { notFoundIsDone: true });
    return { revoked: own.length, detail: `${own.length} API token(s) of the user revoked` };
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

/** Okta's standard admin roles by label (what a privilege event names) and type. */
const ROLE_TYPES: Record<string, string> = {
  'Super Administrator': 'SUPER_ADMIN',
  'Organizational Administrator': 'ORG_ADMIN',
  'Organization Administrator': 'ORG_ADMIN',
  'Application Administrator': 'APP_ADMIN',
  'Group Administrator': 'USER_ADMIN',
  'Help Desk Administrator': 'HELP_DESK_ADMIN',
  'Read-only Administrator': 'READ_ONLY_ADMIN',
  'Report Administrator': 'REPORT_ADMIN',
  'API Access Management Administrator': 'API_ACCESS_MANAGEMENT_ADMIN',
  'Mobile Administrator': 'MOBILE_ADMIN',
  'Group Membership Administrator': 'GROUP_MEMBERSHIP_ADMIN',
};

interface OktaRole {
  id?: string;
  type?: string;
  label?: string;
}

function matchesRole(r: OktaRole, role: string): boolean {
  return r.type === role || r.label === role || r.type === ROLE_TYPES[role];
}

async function listRoles(ok: OktaConnection, principal: Principal, userId: string): Promise<OktaRole[]> {
  return (await collect(
    await call(principal, () => ok.client.roleAssignmentApi.listAssignedRolesForUser({ userId })),
  )) as OktaRole[];
}

/**
 * Okta `roles-and-grants`: the admin roles assigned to a user (named by type, e.g. SUPER_ADMIN, or
 * by label, as privilege events name them). A custom role (with a resource set) is reverted but not
 * put back by compensation: that needs its resource set, which a person supplies.
 */
export class OktaRoles implements RolesAndGrants {
  constructor(private readonly ok: OktaConnection) {}

  async revokeRole(principal: Principal, grant: RoleGrant): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    const role = (await listRoles(this.ok, principal, user.id)).find((r) => matchesRole(r, grant.role));
    if (!role?.id)
      return { action: 'revertGrant', changed: false, detail: `admin role '${grant.role}' not assigned` };
    await call(
      principal,
      () => this.ok.client.roleAssignmentApi.unassignRoleFromUser({ userId: user.id, roleId: role.id! }),
      { notFoundIsDone: true },
    );
    return {
      action: 'revertGrant',
      changed: true,
      detail: `unassigned admin role '${role.label ?? role.type}' from ${principal.username}`,
    };
  }

  async grantRole(principal: Principal, grant: RoleGrant): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    if ((await listRoles(this.ok, principal, user.id)).some((r) => matchesRole(r, grant.role)))
      return {
        action: 'restoreGrant',
        changed: false,
        detail: `admin role '${grant.role}' already assigned`,
      };
    const type = ROLE_TYPES[grant.role] ?? (/^[A-Z_]+$/.test(grant.role) ? grant.role : undefined);
    if (!type)
      throw new IdentityProviderError(
        'OktaCustomRole',
        `OktaCustomRole: '${grant.role}' is not a standard admin role; assign it again by hand with its resource set`,
        false,
      );
    await call(principal, () =>
      this.ok.client.roleAssignmentApi.assignRoleToUser({
        userId: user.id,
        assignRoleRequest: { type },
      } as Parameters<typeof this.ok.client.roleAssignmentApi.assignRoleToUser>[0]),
    );
    return { action: 'restoreGrant', changed: true, detail: `assigned admin role '${grant.role}' again` };
  }

  async removeGrant(
    principal: Principal,
    f: Extract<Finding, { kind: 'role-grant' }>,
  ): Promise<EradicationStep> {
    const outcome = await this.revokeRole(principal, { role: f.role, container: f.container });
    return { finding: f, changed: outcome.changed, before: `admin role '${f.role}'`, after: outcome.detail };
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
