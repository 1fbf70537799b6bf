/**
 * Keycloak `account-containment`: the account itself (the stolen password replaced, disabled,
 * re-enabled, reinstated only behind a reset) and the proof that containment holds. Each action
 * reads the current state first and only writes what differs, so a retry reports `changed: false`.
 */
import type { ActionOutcome, Principal, VerificationCheck } from '../../domain/incident';
import {
  IdentityProviderError,
  unguessablePassword,
  type AccessState,
  type AccountContainment,
  type ContainmentExpectation,
  type RoleGrant,
} from '../ports';
import type { Call, KeycloakConnection } from './connection';
import { peekClaims, type RealmOidc } from '../oidc';
import { hasRole } from './roles';
import { offlineSessions } from './sessions';

/** Required actions that force the user to prove themselves again on next login. */
export const REAUTH_ACTIONS = ['UPDATE_PASSWORD', 'CONFIGURE_TOTP'] as const;
/** Credential types that are one-time-password factors (containment removes them). */
const OTP_TYPES = new Set(['otp', 'totp', 'hotp']);
/** Every second-factor type (an enrolment after containment counts as re-enrolment). */
const FACTOR_TYPES = new Set(['otp', 'totp', 'hotp', 'webauthn', 'webauthn-passwordless']);
const SUCCESSFUL_AUTH_EVENTS = new Set([
  'LOGIN',
  'REFRESH_TOKEN',
  'CODE_TO_TOKEN',
  'CLIENT_LOGIN',
  'TOKEN_EXCHANGE',
]);

export class KeycloakAccounts implements AccountContainment {
  constructor(private readonly kc: KeycloakConnection) {}

  /**
   * Makes the stolen password useless before anything else: one admin write replaces it with a
   * random one nobody ever sees (the person sets a new one through the realm's reset-credentials
   * flow or a link the helpdesk sends) and requires a new password and second factor at next
   * login; then removes the OTP factors. Requiring actions alone would hand the account over:
   * whoever knows the old password would be led to set a new one and enrol their own factor.
   *
   * With `since` (the incident's start), a retry whose write landed — a password set at or after
   * `since` with both actions required, which no attacker can arrange (completing UPDATE_PASSWORD
   * clears it) — changes nothing.
   */
  async requireReauthentication(principal: Principal, opts: { since?: string } = {}): Promise<ActionOutcome> {
    const { admin, user, userId: id, realm, call } = await this.kc.user(principal);
    const have = user.requiredActions ?? [];
    const missing = REAUTH_ACTIONS.filter((a) => !have.includes(a));
    const credentials = await call(() => admin.users.getCredentials({ id, realm }));
    const password = credentials.find((c) => c.type === 'password');
    const sinceMs = opts.since ? Date.parse(opts.since) : undefined;
    const replaced = sinceMs !== undefined && missing.length === 0 && (password?.createdDate ?? 0) >= sinceMs;
    if (!replaced) {
      await call(
        () =>
          admin.users.update(
            { id, realm },
            {
              requiredActions: [...have, ...missing],
              credentials: [{ type: 'password', value: unguessablePassword(), temporary: false }],
            },
          ),
        { conflictIsTransient: true },
      );
    }
    const factors = credentials.filter((c) => OTP_TYPES.has((c.type ?? '').toLowerCase()));
    for (const factor of factors) {
      await call(() => admin.users.deleteCredential({ id, credentialId: factor.id!, realm }), {
        notFoundIsDone: true,
      });
    }
    const parts = [
      replaced
        ? 'password already replaced and actions required'
        : `replaced the password with one nobody knows and required ${REAUTH_ACTIONS.join(', ')}`,
      factors.length ? `removed ${factors.length} OTP credential(s)` : 'no OTP credentials',
    ];
    return {
      action: 'requireReauthentication',
      changed: !replaced || factors.length > 0,
      detail: parts.join('; '),
    };
  }

  /** Re-enables an account as it was (compensation), with no reset or re-enrolment demanded. */
  async enableAccount(principal: Principal): Promise<ActionOutcome> {
    const { admin, user, userId: id, realm, call } = await this.kc.user(principal);
    if (user.enabled !== false) {
      return {
        action: 'restoreAccount',
        changed: false,
        detail: `${principal.username} was already enabled`,
      };
    }
    await call(() => admin.users.update({ id, realm }, { enabled: true }), { conflictIsTransient: true });
    return { action: 'restoreAccount', changed: true, detail: `re-enabled ${principal.username}` };
  }

  async disableAccount(principal: Principal): Promise<ActionOutcome> {
    const { admin, user, userId: id, realm, call } = await this.kc.user(principal);
    if (user.enabled === false) {
      return {
        action: 'disableAccount',
        changed: false,
        detail: `${principal.username} was already disabled`,
      };
    }
    await call(() => admin.users.update({ id, realm }, { enabled: false }), { conflictIsTransient: true });
    return { action: 'disableAccount', changed: true, detail: `disabled ${principal.username}` };
  }

  async reinstate(principal: Principal, { containedAt }: { containedAt: string }): Promise<ActionOutcome> {
    const { admin, user, userId: id, realm, call } = await this.kc.user(principal);
    const credentials = await call(() => admin.users.getCredentials({ id, realm }));
    const after = Date.parse(containedAt);
    const required = user.requiredActions ?? [];
    const passwordReset =
      required.includes('UPDATE_PASSWORD') ||
      credentials.some((c) => c.type === 'password' && (c.createdDate ?? 0) > after);
    const mfaReenrolled =
      required.includes('CONFIGURE_TOTP') ||
      credentials.some((c) => FACTOR_TYPES.has((c.type ?? '').toLowerCase()) && (c.createdDate ?? 0) > after);
    if (!passwordReset || !mfaReenrolled) {
      throw new IdentityProviderError(
        'ReinstatementRefused',
        `ReinstatementRefused: ${principal.username} would come back without ${[
          passwordReset ? '' : 'a password reset',
          mfaReenrolled ? '' : 'MFA re-enrolment',
        ]
          .filter(Boolean)
          .join(' and ')}`,
        false,
      );
    }
    if (user.enabled !== false) {
      return {
        action: 'reinstateAccount',
        changed: false,
        detail: `${principal.username} was already enabled`,
      };
    }
    await call(() => admin.users.update({ id, realm }, { enabled: true }), { conflictIsTransient: true });
    return {
      action: 'reinstateAccount',
      changed: true,
      detail: `re-enabled ${principal.username}; password reset and MFA enrolment ${
        required.includes('UPDATE_PASSWORD') ? 'required at next login' : 'done'
      }`,
    };
  }

  async inspect(principal: Principal, grant?: RoleGrant): Promise<AccessState> {
    const ctx = await this.kc.user(principal);
    const { admin, user, userId: id, realm, call } = ctx;
    const sessions = await call(() => admin.users.listSessions({ id, realm }));
    const state: AccessState = {
      enabled: user.enabled !== false,
      sessions: sessions.length,
      sessionIds: sessions.map((x) => x.id ?? '').filter(Boolean),
    };
    if (grant) state.roleMapped = await hasRole(ctx, grant);
    return state;
  }

  async verifyContainment(
    principal: Principal,
    expected: ContainmentExpectation,
  ): Promise<VerificationCheck[]> {
    const ctx = await this.kc.user(principal);
    const { admin, user, oidc, userId: id, realm, call } = ctx;
    const checks: VerificationCheck[] = [];

    const sessions = await call(() => admin.users.listSessions({ id, realm }));
    checks.push({
      name: 'no-online-sessions',
      ok: sessions.length === 0,
      detail: `${sessions.length} online session(s) remain`,
    });

    const consents = await call(() => admin.users.listConsents({ id, realm }));
    const offline = await offlineSessions(ctx, consents);
    checks.push({
      name: 'no-offline-sessions',
      ok: offline.length === 0,
      detail: offline.length
        ? `offline sessions remain for ${[...new Set(offline.map((o) => o.clientId))].join(', ')}`
        : 'no offline sessions remain',
    });

    const actions = user.requiredActions ?? [];
    const missing = REAUTH_ACTIONS.filter((a) => !actions.includes(a));
    checks.push({
      name: 'reauthentication-required',
      ok: missing.length === 0,
      detail: missing.length
        ? `required actions missing: ${missing.join(', ')}`
        : `required: ${REAUTH_ACTIONS.join(', ')}`,
    });

    const credentials = await call(() => admin.users.getCredentials({ id, realm }));
    if (expected.cutFrom) {
      const password = credentials.find((c) => c.type === 'password');
      const replaced = !password || (password.createdDate ?? 0) >= Date.parse(expected.cutFrom);
      checks.push({
        name: 'stolen-password-replaced',
        ok: replaced,
        detail: replaced
          ? 'the password in force was set by containment: the stolen one opens nothing'
          : `the password in force dates from ${new Date(password!.createdDate ?? 0).toISOString()}, before the incident`,
      });
    }
    const factors = credentials.filter((c) => OTP_TYPES.has((c.type ?? '').toLowerCase()));
    checks.push({
      name: 'otp-factors-removed',
      ok: factors.length === 0,
      detail: `${factors.length} OTP credential(s) remain`,
    });

    const disabled = user.enabled === false;
    checks.push({
      name: 'account-state',
      ok: disabled === expected.accountDisabled,
      detail: `account is ${disabled ? 'disabled' : 'enabled'}; intended ${expected.accountDisabled ? 'disabled' : 'enabled'}`,
    });

    const containedAt = Date.parse(expected.containedAt);
    const events = await call(() => admin.realms.findEvents({ realm, user: id, max: 200 }));
    const after = events.filter(
      (e) => SUCCESSFUL_AUTH_EVENTS.has(e.type ?? '') && (e.time ?? 0) > containedAt,
    );
    checks.push({
      name: 'no-authentication-after-containment',
      ok: after.length === 0,
      detail: after.length
        ? `${after.length} successful authentication(s) after containment: ${after.map((e) => e.type).join(', ')}`
        : 'no successful authentication since containment',
    });

    // Introspection proves a token dead only if it may see tokens issued to other clients: Keycloak
    // 26.7 (checked here) answers `active: false` for any token whose audience lacks the asker.
    const trusted = expected.suspectTokens.length ? await introspectionTrusted(call, oidc) : true;
    for (const [index, token] of expected.suspectTokens.entries()) {
      checks.push(...(await checkSuspectToken(call, oidc, token, index, trusted)));
    }
    return checks;
  }
}

/** Why introspection answers cannot be trusted, and the fix. */
export const UNTRUSTED_INTROSPECTION =
  "Keycloak answers the engine's client `active: false` for tokens not addressed to it (its audience check); set the client attribute allow.token.introspection.without.audience.check=true on the engine's client";

/** Whether introspection can tell the engine about tokens of other clients: its own token (whose audience is not the engine's client) must introspect active. */
async function introspectionTrusted(call: Call, oidc: RealmOidc): Promise<boolean> {
  return call(async () => oidc.isActive(await oidc.serviceToken())).catch(() => false);
}

async function checkSuspectToken(
  call: Call,
  oidc: RealmOidc,
  token: string,
  index: number,
  trusted: boolean,
): Promise<VerificationCheck[]> {
  const claims = peekClaims(token) ?? {};
  const kind = String(claims.typ ?? 'token').toLowerCase();
  const label = `suspect token #${index + 1} (${kind}${claims.azp ? ` for ${claims.azp}` : ''})`;
  const active = await call(() => oidc.isActive(token));
  const checks: VerificationCheck[] = [
    trusted
      ? {
          name: `token-${index + 1}-inactive`,
          ok: !active,
          detail: `${label} introspects ${active ? 'ACTIVE' : 'inactive'}`,
        }
      : {
          name: `token-${index + 1}-inactive`,
          ok: false,
          detail: `${label} cannot be proven dead: ${UNTRUSTED_INTROSPECTION}`,
        },
  ];
  if ((kind === 'refresh' || kind === 'offline') && typeof claims.azp === 'string') {
    const works = await call(() => oidc.refreshStillWorks(token, claims.azp as string));
    checks.push({
      name: `token-${index + 1}-refresh-refused`,
      ok: !works,
      detail: works
        ? `${label} still refreshes (new tokens were revoked at once)`
        : `${label} no longer refreshes`,
    });
  }
  return checks;
}
