/**
 * Entra ID `account-containment`, `sessions-and-tokens` and `factors` over Microsoft Graph.
 *
 * Honest about Entra: revokeSignInSessions (and the password change) refuse every refresh token and
 * session at once, but access tokens already issued stay valid until they expire for apps without
 * continuous access evaluation. Verification says so — "residual access until <time>" — instead of
 * claiming the stolen access token is dead.
 */
import type { ActionOutcome, Finding, Principal, VerificationCheck } from '../../domain/incident';
import { peekClaims } from '../oidc';
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
  type RolesAndGrants,
  type SessionsAndTokens,
} from '../ports';
import { call, type EntraConnection } from './connection';

/** The longest default access-token lifetime Entra issues (60–90 minutes). */
export const MAX_ACCESS_TOKEN_MS = 90 * 60_000;

/** A non-password authentication method: its Graph collection name ("softwareOath") and id. */
export interface EntraMethod {
  type: string;
  id: string;
  createdDateTime?: string;
}

export async function listMethods(
  ok: EntraConnection,
  principal: Principal,
  userId: string,
): Promise<EntraMethod[]> {
  const page = (await call(principal, () =>
    ok.graph.api(`/users/${userId}/authentication/methods`).get(),
  )) as {
    value?: { '@odata.type'?: string; id?: string; createdDateTime?: string }[];
  };
  return (page.value ?? [])
    .map((m) => ({
      type: /#microsoft\.graph\.(\w+)AuthenticationMethod$/.exec(m['@odata.type'] ?? '')?.[1] ?? '',
      id: String(m.id),
      createdDateTime: m.createdDateTime,
    }))
    .filter((m) => m.type && m.type !== 'password');
}

async function deleteMethod(ok: EntraConnection, principal: Principal, userId: string, m: EntraMethod) {
  return call(
    principal,
    () =>
      ok.graph
        .api(`/users/${userId}/authentication/${m.type}Methods/${m.id}`)
        .delete()
        .then(() => true),
    { notFoundIsDone: true },
  );
}

export class EntraAccounts implements AccountContainment {
  constructor(private readonly ok: EntraConnection) {}

  /**
   * Replaces the stolen password with one nobody knows (a change at next sign-in required), which
   * also refuses the refresh tokens issued before, and deletes every other authentication method.
   * Always writes, also on a retry: a password changed after the incident's start may be the
   * attacker's own (self-service reset), and a second random password is as unknown as the first.
   */
  async requireReauthentication(principal: Principal): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    await call(principal, () =>
      this.ok.graph.api(`/users/${user.id}`).patch({
        passwordProfile: { password: unguessablePassword(), forceChangePasswordNextSignIn: true },
      }),
    );
    const methods = await listMethods(this.ok, principal, user.id);
    for (const m of methods) await deleteMethod(this.ok, principal, user.id, m);
    return {
      action: 'requireReauthentication',
      changed: true,
      detail: [
        'replaced the password with one nobody knows (change required)',
        methods.length
          ? `deleted ${methods.length} authentication method(s)`
          : 'no other authentication methods',
      ].join('; '),
    };
  }

  async disableAccount(principal: Principal): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    if (user.accountEnabled === false)
      return {
        action: 'disableAccount',
        changed: false,
        detail: `${principal.username} was already disabled`,
      };
    await call(principal, () => this.ok.graph.api(`/users/${user.id}`).patch({ accountEnabled: false }));
    const risk = await this.tellIdentityProtection(principal, user.id, 'confirmCompromised');
    return {
      action: 'disableAccount',
      changed: true,
      detail: `disabled ${principal.username} (accountEnabled=false); ${risk}`,
    };
  }

  /**
   * Tells Identity Protection (Entra ID P2): confirmed compromised (user risk high, so risk-based
   * Conditional Access acts on it everywhere) or dismissed when the account comes back. Optional: a
   * tenant without P2 or an engine without IdentityRiskyUser.ReadWrite.All gets the reason, and the
   * action stands.
   */
  private async tellIdentityProtection(
    principal: Principal,
    userId: string,
    verb: 'confirmCompromised' | 'dismiss',
  ): Promise<string> {
    try {
      await call(principal, () =>
        this.ok.graph.api(`/identityProtection/riskyUsers/${verb}`).post({ userIds: [userId] }),
      );
      return verb === 'confirmCompromised'
        ? 'Identity Protection told: confirmed compromised'
        : 'Identity Protection told: risk dismissed';
    } catch (err) {
      if (err instanceof IdentityProviderError && err.retryable) throw err;
      return `Identity Protection NOT told (${(err as Error).message.slice(0, 140)}; it needs Entra ID P2 and IdentityRiskyUser.ReadWrite.All)`;
    }
  }

  async enableAccount(principal: Principal): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    if (user.accountEnabled !== false)
      return {
        action: 'restoreAccount',
        changed: false,
        detail: `${principal.username} was already enabled`,
      };
    await call(principal, () => this.ok.graph.api(`/users/${user.id}`).patch({ accountEnabled: true }));
    const risk = await this.tellIdentityProtection(principal, user.id, 'dismiss');
    return { action: 'restoreAccount', changed: true, detail: `re-enabled ${principal.username}; ${risk}` };
  }

  /**
   * Re-enables the account when no authentication method from before containment is left. Its
   * password is still one nobody knows: the person comes back through a Temporary Access Pass or a
   * helpdesk reset, and enrols their methods again.
   */
  async reinstate(principal: Principal, { containedAt }: { containedAt: string }): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    const stale = (await listMethods(this.ok, principal, user.id)).filter(
      (m) => !m.createdDateTime || Date.parse(m.createdDateTime) <= Date.parse(containedAt),
    );
    if (stale.length)
      throw new IdentityProviderError(
        'ReinstatementRefused',
        `ReinstatementRefused: ${principal.username} still has ${stale.length} authentication method(s) from before containment`,
        false,
      );
    if (user.accountEnabled !== false)
      return {
        action: 'reinstateAccount',
        changed: false,
        detail: `${principal.username} was already enabled`,
      };
    await call(principal, () => this.ok.graph.api(`/users/${user.id}`).patch({ accountEnabled: true }));
    const risk = await this.tellIdentityProtection(principal, user.id, 'dismiss');
    return {
      action: 'reinstateAccount',
      changed: true,
      detail: `re-enabled ${principal.username} (${risk}); the password is one nobody knows: issue a Temporary Access Pass or reset it with the person`,
    };
  }

  /**
   * Graph lists no user's sessions. A named session cannot be read back (not supported); otherwise
   * the count is the successful sign-ins since sessions were last revoked (an upper bound: every
   * session from before then is refused).
   */
  async inspect(principal: Principal, grant?: RoleGrant, session?: string): Promise<AccessState> {
    const user = await this.ok.user(principal);
    if (session) throw new PortNotSupported('entra', 'account-containment', 'reading one session back');
    const from = user.signInSessionsValidFromDateTime ?? '1970-01-01T00:00:00Z';
    const signIns =
      (
        (await call(principal, () =>
          this.ok.graph
            .api('/auditLogs/signIns')
            .filter(`userId eq '${user.id}' and createdDateTime ge ${new Date(from).toISOString()}`)
            .top(100)
            .get(),
        )) as { value?: { status?: { errorCode?: number } }[] }
      ).value ?? [];
    // An eligible (PIM) assignment counts: its holder can activate the role at any moment.
    const roleMapped = grant
      ? [
          ...(await listRoleAssignments(this.ok, principal, user.id)),
          ...(await listRoleAssignments(this.ok, principal, user.id, 'roleEligibilitySchedules')),
        ].some((a) => matchesRole(a, grant.role))
      : undefined;
    return {
      enabled: user.accountEnabled !== false,
      sessions: signIns.filter((s) => s.status?.errorCode === 0).length,
      sessionIds: [],
      ...(roleMapped === undefined ? {} : { roleMapped }),
    };
  }

  async verifyContainment(
    principal: Principal,
    expected: ContainmentExpectation,
  ): Promise<VerificationCheck[]> {
    const user = await this.ok.user(principal);
    const checks: VerificationCheck[] = [];
    const disabled = user.accountEnabled === false;
    checks.push({
      name: 'account-state',
      ok: expected.accountDisabled ? disabled : true,
      detail: `account is ${disabled ? 'disabled' : 'enabled'}; intended ${expected.accountDisabled ? 'disabled' : 'any'}`,
    });
    const cut = Date.parse(expected.cutFrom ?? expected.containedAt);
    const passwordAt = Date.parse(user.lastPasswordChangeDateTime ?? '1970-01-01T00:00:00Z');
    if (expected.cutFrom)
      checks.push({
        name: 'stolen-password-replaced',
        ok: passwordAt >= cut,
        detail:
          passwordAt >= cut
            ? 'the password in force was set by containment: the stolen one opens nothing'
            : `the password in force dates from ${user.lastPasswordChangeDateTime}, before the incident`,
      });
    const sessionsFrom = Date.parse(user.signInSessionsValidFromDateTime ?? '1970-01-01T00:00:00Z');
    checks.push({
      name: 'sessions-revoked',
      ok: sessionsFrom >= cut,
      detail: `sessions and refresh tokens valid only from ${user.signInSessionsValidFromDateTime ?? 'ever'}`,
    });
    const methods = await listMethods(this.ok, principal, user.id);
    checks.push({
      name: 'methods-removed',
      ok: methods.length === 0,
      detail: `${methods.length} authentication method(s) left`,
    });
    const since = new Date(Date.parse(expected.containedAt) + 1).toISOString();
    const signIns =
      (
        (await call(principal, () =>
          this.ok.graph
            .api('/auditLogs/signIns')
            .filter(`userId eq '${user.id}' and createdDateTime ge ${since}`)
            .top(50)
            .get(),
        )) as { value?: { status?: { errorCode?: number } }[] }
      ).value ?? [];
    const succeeded = signIns.filter((s) => s.status?.errorCode === 0);
    checks.push({
      name: 'no-sign-in-after-containment',
      ok: succeeded.length === 0,
      detail: succeeded.length
        ? `${succeeded.length} successful sign-in(s) after containment`
        : 'no successful sign-in since containment',
    });
    // What Entra does not end at once: access tokens issued before the cut, until they expire.
    const residualUntil = residualAccessUntil(expected.suspectTokens, Math.max(cut, sessionsFrom));
    checks.push({
      name: 'residual-access',
      ok: true,
      ...(residualUntil > Date.now() ? { residualUntil: new Date(residualUntil).toISOString() } : {}),
      detail:
        residualUntil > Date.now()
          ? `verified, residual access until ${new Date(residualUntil).toISOString()}: access tokens issued before containment stay valid until they expire for apps without continuous access evaluation`
          : 'no access token issued before containment is still valid',
    });
    return checks;
  }
}

/**
 * The latest moment an access token issued before `cut` may still be honoured: the suspect tokens'
 * own expiry when they are JWTs that say so, else the longest default lifetime after the cut.
 */
export function residualAccessUntil(suspectTokens: string[], cut: number): number {
  const expiries = suspectTokens
    .map((t) => peekClaims(t))
    .filter((c): c is Record<string, unknown> => Boolean(c))
    .map((c) => Number(c.exp) * 1000)
    .filter((e) => Number.isFinite(e));
  const known = expiries.length ? Math.max(...expiries) : 0;
  return Math.max(known, cut + MAX_ACCESS_TOKEN_MS);
}

export class EntraSessions implements SessionsAndTokens {
  constructor(private readonly ok: EntraConnection) {}

  /**
   * revokeSignInSessions: every refresh token and session cookie issued so far is refused. Always
   * called, also on a retry: a revocation the user (or the attacker) made after the incident's start
   * says nothing about the sessions signed in since.
   */
  async revokeSessions(principal: Principal): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    await call(principal, () => this.ok.graph.api(`/users/${user.id}/revokeSignInSessions`).post({}));
    return {
      action: 'revokeSessions',
      changed: true,
      detail: `revoked the sign-in sessions and refresh tokens of ${principal.username} (access tokens live until they expire)`,
    };
  }

  /** Deletes the delegated permission grants (app consents) the user gave. */
  async revokeOfflineAccess(principal: Principal): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    const grants =
      (
        (await call(principal, () =>
          this.ok.graph.api('/oauth2PermissionGrants').filter(`principalId eq '${user.id}'`).get(),
        )) as { value?: { id?: string; clientId?: string }[] }
      ).value ?? [];
    for (const g of grants)
      await call(principal, () => this.ok.graph.api(`/oauth2PermissionGrants/${g.id}`).delete(), {
        notFoundIsDone: true,
      });
    return {
      action: 'revokeOfflineAccess',
      changed: grants.length > 0,
      detail: grants.length
        ? `deleted ${grants.length} delegated permission grant(s)`
        : 'no delegated permission grants',
    };
  }

  async revokeSession(principal: Principal): Promise<ActionOutcome> {
    await this.ok.user(principal);
    throw new PortNotSupported('entra', 'sessions-and-tokens', 'single-session revocation');
  }
}

interface RoleAssignment {
  id?: string;
  roleDefinitionId?: string;
  roleDefinition?: { displayName?: string };
}

/** A role named by its display name (as audit events name it) or its definition id. */
function matchesRole(a: RoleAssignment, role: string): boolean {
  return a.roleDefinitionId === role || a.roleDefinition?.displayName === role;
}

async function listRoleAssignments(
  ok: EntraConnection,
  principal: Principal,
  userId: string,
  kind: 'roleAssignments' | 'roleEligibilitySchedules' = 'roleAssignments',
): Promise<RoleAssignment[]> {
  const page = (await call(principal, () =>
    ok.graph
      .api(`/roleManagement/directory/${kind}`)
      .filter(`principalId eq '${userId}'`)
      .expand('roleDefinition')
      .get(),
  )) as { value?: RoleAssignment[] };
  return page.value ?? [];
}

/**
 * Entra ID `roles-and-grants`: active directory role assignments (tenant-wide scope), named by
 * display name or definition id. An eligible (PIM) assignment is not removed (put back, it would
 * have to be eligible again, not active): `inspect` counts it as still mapped, so the incident is not
 * called contained while one stands, and a person removes it in PIM.
 */
export class EntraRoles implements RolesAndGrants {
  constructor(private readonly ok: EntraConnection) {}

  async revokeRole(principal: Principal, grant: RoleGrant): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    const found = (await listRoleAssignments(this.ok, principal, user.id)).filter((a) =>
      matchesRole(a, grant.role),
    );
    for (const a of found)
      await call(
        principal,
        () => this.ok.graph.api(`/roleManagement/directory/roleAssignments/${a.id}`).delete(),
        {
          notFoundIsDone: true,
        },
      );
    return {
      action: 'revertGrant',
      changed: found.length > 0,
      detail: found.length
        ? `removed directory role '${grant.role}' from ${principal.username}`
        : `directory role '${grant.role}' not assigned`,
    };
  }

  async grantRole(principal: Principal, grant: RoleGrant): Promise<ActionOutcome> {
    const user = await this.ok.user(principal);
    if ((await listRoleAssignments(this.ok, principal, user.id)).some((a) => matchesRole(a, grant.role)))
      return {
        action: 'restoreGrant',
        changed: false,
        detail: `directory role '${grant.role}' already assigned`,
      };
    const definitions =
      (
        (await call(principal, () =>
          this.ok.graph
            .api('/roleManagement/directory/roleDefinitions')
            .filter(`displayName eq '${grant.role.replace(/'/g, "''")}'`)
            .get(),
        )) as { value?: { id?: string }[] }
      ).value ?? [];
    const roleDefinitionId =
      definitions[0]?.id ?? (/^[0-9a-f-]{36}$/i.test(grant.role) ? grant.role : undefined);
    if (!roleDefinitionId)
      throw new IdentityProviderError(
        'EntraNotFound',
        `EntraNotFound: no directory role '${grant.role}'`,
        false,
      );
    await call(principal, () =>
      this.ok.graph
        .api('/roleManagement/directory/roleAssignments')
        .post({ principalId: user.id, roleDefinitionId, directoryScopeId: '/' }),
    );
    return { action: 'restoreGrant', changed: true, detail: `assigned directory role '${grant.role}' again` };
  }

  async removeGrant(
    principal: Principal,
    f: Extract<Finding, { kind: 'role-grant' }>,
  ): Promise<EradicationStep> {
    const outcome = await this.revokeRole(principal, { role: f.role, container: f.container });
    return {
      finding: f,
      changed: outcome.changed,
      before: `directory role '${f.role}'`,
      after: outcome.detail,
    };
  }
}

export class EntraFactors implements Factors {
  constructor(private readonly ok: EntraConnection) {}

  async removeFactor(
    principal: Principal,
    f: Extract<Finding, { kind: 'factor' }>,
  ): Promise<EradicationStep> {
    const user = await this.ok.user(principal);
    const label = `${f.type} method enrolled ${f.createdAt ?? 'at an unknown time'}`;
    const done = await deleteMethod(this.ok, principal, user.id, { type: f.type, id: f.credentialId });
    return { finding: f, changed: done === true, before: label, after: `removed ${label}` };
  }
}
