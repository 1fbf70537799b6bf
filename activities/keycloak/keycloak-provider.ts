/**
 * Keycloak connector: the admin REST API through @keycloak/keycloak-admin-client, authenticated as
 * the engine's service account (client credentials via openid-client).
 *
 * Idempotency: each action reads the current state first and only writes what differs, so a retried
 * or repeated activity reports `changed: false` instead of failing or double-applying.
 */
import KcAdminClient from '@keycloak/keycloak-admin-client';
import type UserRepresentation from '@keycloak/keycloak-admin-client/lib/defs/userRepresentation.js';
import {
  REALM_SUBJECT,
  type ActionOutcome,
  type Finding,
  type Principal,
  type VerificationCheck,
} from '../../domain/incident';
import { KeycloakLifecycle } from './lifecycle';
import { checkKeycloakRealm } from './doctor';
import type { ProviderReport } from '../../domain/ports';
import { KeycloakRealm } from './realm';
import {
  Capability,
  ContainmentExpectation,
  AccessState,
  EradicateOptions,
  IdentityProvider,
  RoleGrant,
  IdentityProviderError,
  parseRetryAfter,
  PrincipalSnapshot,
  unguessablePassword,
} from '../identity-provider';
import { nextWholeSecond, peekClaims, RealmOidc } from './oidc';

export interface KeycloakSettings {
  baseUrl: string;
  /** Realm holding the engine's client; defaults to the principal's realm. */
  adminRealm?: string;
  clientId: string;
  clientSecret: string;
}

/** Where a pull left off: the newest event time read, and the ids read at exactly that time. */
export interface EventCursor {
  time: number;
  seenAtTime: string[];
}

export interface EventPage {
  records: unknown[];
  cursor: EventCursor;
  more: boolean;
}

/** Deadline of one admin REST request. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** Required actions that force the user to prove themselves again on next login. */
export const REAUTH_ACTIONS = ['UPDATE_PASSWORD', 'CONFIGURE_TOTP'] as const;
/** Credential types that are second factors an attacker may have enrolled or phished. */
const FACTOR_TYPES = new Set(['otp', 'totp', 'hotp']);
const SUCCESSFUL_AUTH_EVENTS = new Set([
  'LOGIN',
  'REFRESH_TOKEN',
  'CODE_TO_TOKEN',
  'CLIENT_LOGIN',
  'TOKEN_EXCHANGE',
]);

export class KeycloakProvider implements IdentityProvider {
  readonly name = 'keycloak' as const;
  readonly capabilities: ReadonlySet<Capability> = new Set<Capability>([
    'snapshot',
    'revokeSessions',
    'revokeOfflineAccess',
    'requireReauthentication',
    'disableAccount',
    'introspectTokens',
    'investigate',
    'eradicate',
    'reinstate',
  ]);

  private readonly realms = new Map<string, { admin: KcAdminClient; oidc: RealmOidc }>();

  constructor(private readonly settings: KeycloakSettings) {}

  async checkPermissions(realm: string): Promise<ProviderReport> {
    // Fresh clients: a realm asked about (GET /providers?realm=) is not kept in the connector's cache.
    const { admin, oidc } = this.connect(realm);
    return checkKeycloakRealm(admin, oidc, this.settings, realm);
  }

  async snapshot(principal: Principal, lookbackMs: number): Promise<PrincipalSnapshot> {
    const { admin, user } = await this.user(principal);
    const realm = principal.realm;
    const id = user.id!;
    const since = Date.now() - lookbackMs;
    const [sessions, consents, credentials, roleMappings, groups, events, adminEvents] = await call(
      principal,
      () =>
        Promise.all([
          admin.users.listSessions({ id, realm }),
          admin.users.listConsents({ id, realm }),
          admin.users.getCredentials({ id, realm }),
          admin.users.listRoleMappings({ id, realm }),
          admin.users.listGroups({ id, realm }),
          admin.realms.findEvents({ realm, user: id, max: 500 }),
          admin.realms.findAdminEvents({ realm, resourcePath: `users/${id}*`, max: 500 }),
        ]),
    );
    const offlineSessions = (await this.offlineSessions(principal, id, consents)).map((s) => s.session);
    return {
      capturedAt: new Date().toISOString(),
      user: {
        id,
        username: user.username ?? principal.username,
        enabled: user.enabled !== false,
        requiredActions: user.requiredActions ?? [],
        createdAt: user.createdTimestamp ? new Date(user.createdTimestamp).toISOString() : undefined,
      },
      sessions,
      offlineSessions,
      consents,
      credentials: credentials.map((c) => ({
        id: c.id!,
        type: c.type ?? 'unknown',
        createdDate: c.createdDate,
        userLabel: c.userLabel,
      })),
      roleMappings,
      groups,
      recentLoginEvents: events.filter((e) => (e.time ?? 0) >= since),
      recentAdminEvents: adminEvents.filter((e) => (e.time ?? 0) >= since),
    };
  }

  async investigate(
    principal: Principal,
    window: { since: string; until: string },
    pre?: PrincipalSnapshot,
    opts?: { tokenForgerySuspected?: boolean },
  ) {
    return (await this.lifecycle(principal)).investigate(window, pre, opts);
  }

  async eradicate(principal: Principal, findings: Finding[], opts: EradicateOptions) {
    return (await this.lifecycle(principal)).eradicate(findings, opts);
  }

  async reinstate(principal: Principal, opts: { containedAt: string }) {
    return (await this.lifecycle(principal)).reinstate(opts.containedAt);
  }

  private async lifecycle(principal: Principal): Promise<KeycloakLifecycle> {
    const { user } = await this.user(principal);
    const { admin, own, bound, ops } = this.realmOps(principal);
    return new KeycloakLifecycle(admin, principal, user.id!, own, bound, ops);
  }

  async revokeSessions(principal: Principal, opts: { since?: string } = {}): Promise<ActionOutcome> {
    const { admin, user } = await this.user(principal);
    const realm = principal.realm;
    const sessions = await call(principal, () => admin.users.listSessions({ id: user.id!, realm }));
    // Logout also moves the user's not-before forward, so tokens issued earlier stop validating.
    // A retry after a logout whose answer was lost finds no session and a not-before already at
    // or after the incident's start: the logout happened, and is not repeated.
    const sinceS = opts.since ? Math.floor(Date.parse(opts.since) / 1000) : undefined;
    if (sessions.length === 0 && sinceS !== undefined && (user.notBefore ?? 0) >= sinceS) {
      return {
        action: 'revokeSessions',
        changed: false,
        detail: `no session left and tokens already cut at ${new Date(user.notBefore! * 1000).toISOString()} for ${principal.username}`,
      };
    }
    await call(principal, () => admin.users.logout({ id: user.id!, realm }));
    return {
      action: 'revokeSessions',
      changed: sessions.length > 0,
      detail: `ended ${sessions.length} session(s) and set not-before for ${principal.username}`,
    };
  }

  async revokeOfflineAccess(principal: Principal): Promise<ActionOutcome> {
    const { admin, user } = await this.user(principal);
    const realm = principal.realm;
    const consents = await call(principal, () => admin.users.listConsents({ id: user.id!, realm }));
    for (const consent of consents) {
      // Revoking a client's consent also deletes the user's offline tokens for that client.
      await call(
        principal,
        () => admin.users.revokeConsent({ id: user.id!, clientId: consent.clientId!, realm }),
        {
          notFoundIsDone: true,
        },
      );
    }
    const clients = consents.map((c) => c.clientId).join(', ');
    return {
      action: 'revokeOfflineAccess',
      changed: consents.length > 0,
      detail: consents.length
        ? `revoked consents and offline tokens for ${clients}`
        : 'no consents or offline tokens',
    };
  }

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
    const { admin, user } = await this.user(principal);
    const realm = principal.realm;
    const id = user.id!;
    const have = user.requiredActions ?? [];
    const missing = REAUTH_ACTIONS.filter((a) => !have.includes(a));
    const credentials = await call(principal, () => admin.users.getCredentials({ id, realm }));
    const password = credentials.find((c) => c.type === 'password');
    const sinceMs = opts.since ? Date.parse(opts.since) : undefined;
    const replaced = sinceMs !== undefined && missing.length === 0 && (password?.createdDate ?? 0) >= sinceMs;
    if (!replaced) {
      await call(principal, () =>
        admin.users.update(
          { id, realm },
          {
            requiredActions: [...have, ...missing],
            credentials: [{ type: 'password', value: unguessablePassword(), temporary: false }],
          },
        ),
      );
    }
    const factors = credentials.filter((c) => FACTOR_TYPES.has((c.type ?? '').toLowerCase()));
    for (const factor of factors) {
      await call(principal, () => admin.users.deleteCredential({ id, credentialId: factor.id!, realm }), {
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

  /** Puts a role mapping back (compensation: the before-state said it was there). */
  async grantRole(principal: Principal, grant: RoleGrant): Promise<ActionOutcome> {
    return (await this.lifecycle(principal)).grantRole(grant);
  }

  /** Removes one role mapping; `changed` says it was there (the before-state a compensation restores). */
  async revokeRole(principal: Principal, grant: RoleGrant): Promise<ActionOutcome> {
    return (await this.lifecycle(principal)).revokeRole(grant);
  }

  async inspect(principal: Principal, grant?: RoleGrant): Promise<AccessState> {
    const { admin, user } = await this.user(principal);
    const realm = principal.realm;
    const sessions = await call(principal, () => admin.users.listSessions({ id: user.id!, realm }));
    const state: AccessState = {
      enabled: user.enabled !== false,
      sessions: sessions.length,
      sessionIds: sessions.map((x) => x.id ?? '').filter(Boolean),
    };
    if (grant) state.roleMapped = await (await this.lifecycle(principal)).hasRole(grant);
    return state;
  }

  async signingKeys(realm: string) {
    return this.realmOps(realmSubject(realm)).ops.activeSigningKeys();
  }

  async rotateRealmSigningKeys(realm: string, opts: { since: string; oldKeys: 'disable' | 'passive' }) {
    const { ops } = this.realmOps(realmSubject(realm));
    const step = await ops.rotateSigningKeys(await ops.activeSigningKeys(), opts);
    return {
      action: 'rotateSigningKeys' as const,
      changed: step.changed,
      detail: `${step.after}${step.proof ? `; proof: ${step.proof}` : ''}`,
      steps: [step],
    };
  }

  /**
   * What acting on a principal's realm needs: its admin client, the OIDC client for proofs there
   * (the principal's realm may not hold the engine's client), Keycloak calls named after the
   * principal, and the realm-wide operations.
   */
  private realmOps(principal: Principal) {
    const { admin, oidc } = this.realm(principal.realm);
    const own =
      this.settings.adminRealm && this.settings.adminRealm !== principal.realm
        ? new RealmOidc({ ...this.settings, realm: principal.realm })
        : oidc;
    const bound: <T>(fn: () => Promise<T>, opts?: { notFoundIsDone?: boolean }) => Promise<T> = (fn, opts) =>
      call(principal, fn, opts);
    // After a key rotation every token the engine holds for the realm is dead: fetch new ones.
    const forgetTokens = () => {
      for (const entry of this.realms.values()) entry.oidc.forgetToken();
      own.forgetToken();
    };
    return { admin, own, bound, ops: new KeycloakRealm(admin, principal.realm, own, bound, forgetTokens) };
  }

  async rotateClientSecret(
    principal: Principal,
    clientId: string,
    opts: { since: string },
  ): Promise<ActionOutcome> {
    const lifecycle = await this.lifecycle(principal);
    const outcome = await lifecycle.eradicate(
      [{ kind: 'client-used', clientId, confidential: true, uses: 0, remedy: 'rotate-secret' }],
      { since: opts.since },
    );
    const step = outcome.steps[0];
    if (step?.failed) throw new IdentityProviderError('KeycloakRequestRejected', step.after, false);
    return {
      action: 'rotateClientSecret',
      changed: outcome.changed,
      detail: `${step?.after ?? 'nothing to rotate'}${step?.proof ? ` (${step.proof})` : ''}`,
    };
  }

  async revokeClientTokens(
    principal: Principal,
    clientId: string,
    opts: { since: string },
  ): Promise<ActionOutcome> {
    const { admin } = this.realm(principal.realm);
    const realm = principal.realm;
    const [client] = await call(principal, () => admin.clients.find({ clientId, realm }));
    if (!client?.id)
      throw new IdentityProviderError(
        'KeycloakNotFound',
        `KeycloakNotFound: client '${clientId}' in realm '${realm}'`,
        false,
      );
    if ((client.notBefore ?? 0) * 1000 >= Date.parse(opts.since) - 1000) {
      return {
        action: 'revokeClientTokens',
        changed: false,
        detail: `tokens of '${clientId}' already revoked during this incident`,
      };
    }
    const notBefore = await nextWholeSecond();
    await call(principal, () => admin.clients.update({ id: client.id!, realm }, { ...client, notBefore }));
    return {
      action: 'revokeClientTokens',
      changed: true,
      detail: `every token issued to '${clientId}' before ${new Date(notBefore * 1000).toISOString()} is refused`,
    };
  }

  async revokeSession(principal: Principal, sessionId: string): Promise<ActionOutcome> {
    const { admin, user } = await this.user(principal);
    const realm = principal.realm;
    const sessions = await call(principal, () => admin.users.listSessions({ id: user.id!, realm }));
    if (!sessions.some((x) => x.id === sessionId)) {
      return {
        action: 'revokeSession',
        changed: false,
        detail: `session ${sessionId.slice(0, 8)}… of ${principal.username} already gone`,
      };
    }
    await call(principal, () => admin.realms.deleteSession({ realm, session: sessionId, isOffline: false }), {
      notFoundIsDone: true,
    });
    return {
      action: 'revokeSession',
      changed: true,
      detail: `ended session ${sessionId.slice(0, 8)}… of ${principal.username}; ${sessions.length - 1} other session(s) left alone`,
    };
  }

  /** Re-enables an account as it was (compensation), with no reset or re-enrolment demanded. */
  async enableAccount(principal: Principal): Promise<ActionOutcome> {
    const { admin, user } = await this.user(principal);
    if (user.enabled !== false) {
      return {
        action: 'restoreAccount',
        changed: false,
        detail: `${principal.username} was already enabled`,
      };
    }
    await call(principal, () =>
      admin.users.update({ id: user.id!, realm: principal.realm }, { enabled: true }),
    );
    return { action: 'restoreAccount', changed: true, detail: `re-enabled ${principal.username}` };
  }

  async disableAccount(principal: Principal): Promise<ActionOutcome> {
    const { admin, user } = await this.user(principal);
    if (user.enabled === false) {
      return {
        action: 'disableAccount',
        changed: false,
        detail: `${principal.username} was already disabled`,
      };
    }
    await call(principal, () =>
      admin.users.update({ id: user.id!, realm: principal.realm }, { enabled: false }),
    );
    return { action: 'disableAccount', changed: true, detail: `disabled ${principal.username}` };
  }

  async verifyContainment(
    principal: Principal,
    expected: ContainmentExpectation,
  ): Promise<VerificationCheck[]> {
    const { admin, user, oidc } = await this.user(principal);
    const realm = principal.realm;
    const id = user.id!;
    const checks: VerificationCheck[] = [];

    const sessions = await call(principal, () => admin.users.listSessions({ id, realm }));
    checks.push({
      name: 'no-online-sessions',
      ok: sessions.length === 0,
      detail: `${sessions.length} online session(s) remain`,
    });

    const consents = await call(principal, () => admin.users.listConsents({ id, realm }));
    const offline = await this.offlineSessions(principal, id, consents);
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

    const credentials = await call(principal, () => admin.users.getCredentials({ id, realm }));
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
    const factors = credentials.filter((c) => FACTOR_TYPES.has((c.type ?? '').toLowerCase()));
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
    const events = await call(principal, () => admin.realms.findEvents({ realm, user: id, max: 200 }));
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

    for (const [index, token] of expected.suspectTokens.entries()) {
      checks.push(...(await this.checkSuspectToken(principal, oidc, token, index)));
    }
    return checks;
  }

  private async checkSuspectToken(
    principal: Principal,
    oidc: RealmOidc,
    token: string,
    index: number,
  ): Promise<VerificationCheck[]> {
    const claims = peekClaims(token) ?? {};
    const kind = String(claims.typ ?? 'token').toLowerCase();
    const label = `suspect token #${index + 1} (${kind}${claims.azp ? ` for ${claims.azp}` : ''})`;
    const active = await call(principal, () => oidc.isActive(token));
    const checks: VerificationCheck[] = [
      {
        name: `token-${index + 1}-inactive`,
        ok: !active,
        detail: `${label} introspects ${active ? 'ACTIVE' : 'inactive'}`,
      },
    ];
    if ((kind === 'refresh' || kind === 'offline') && typeof claims.azp === 'string') {
      const works = await call(principal, () => oidc.refreshStillWorks(token, claims.azp as string));
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

  /**
   * Reads login events (`kind: 'events'`) or admin events newer than `cursor`, oldest first, at most
   * `max`. The cursor remembers the ids already read at its timestamp, so events sharing a
   * millisecond are neither lost nor read twice.
   */
  async pullEvents(
    realm: string,
    kind: 'events' | 'admin-events',
    cursor: EventCursor,
    max: number,
  ): Promise<EventPage> {
    const { admin } = this.realm(realm);
    const principal = { provider: 'keycloak' as const, realm, username: '(collector)' };
    const query = {
      realm,
      dateFrom: String(cursor.time),
      first: 0,
      max: max + cursor.seenAtTime.length,
      direction: 'asc',
    };
    const page = (await call(principal, () =>
      kind === 'events'
        ? admin.realms.findEvents(query as never)
        : admin.realms.findAdminEvents(query as never),
    )) as { id?: string; time?: number }[];
    const fresh = page
      .filter((e) => !(e.time === cursor.time && e.id && cursor.seenAtTime.includes(e.id)))
      .slice(0, max);
    let next = cursor;
    for (const e of fresh) {
      const t = e.time ?? next.time;
      const id = e.id ?? `${t}`;
      next =
        t === next.time ? { time: t, seenAtTime: [...next.seenAtTime, id] } : { time: t, seenAtTime: [id] };
    }
    return { records: fresh, cursor: next, more: fresh.length === max };
  }

  private async offlineSessions(principal: Principal, userId: string, consents: { clientId?: string }[]) {
    const { admin } = this.realm(principal.realm);
    const found: { clientId: string; session: unknown }[] = [];
    for (const consent of consents) {
      const clientId = consent.clientId!;
      const [client] = await call(principal, () => admin.clients.find({ clientId, realm: principal.realm }));
      if (!client?.id) continue;
      const sessions = await call(principal, () =>
        admin.users.listOfflineSessions({ id: userId, clientId: client.id!, realm: principal.realm }),
      );
      found.push(...sessions.map((session) => ({ clientId, session })));
    }
    return found;
  }

  private async user(
    principal: Principal,
  ): Promise<{ admin: KcAdminClient; oidc: RealmOidc; user: UserRepresentation }> {
    const realm = this.realm(principal.realm);
    const found = await call(principal, () =>
      realm.admin.users.find({ username: principal.username, exact: true, realm: principal.realm }),
    );
    let user = found.find((u) => u.username?.toLowerCase() === principal.username.toLowerCase());
    // Keycloak admin events name users by id only: a principal from one may carry the id.
    if (!user && UUID.test(principal.username)) {
      user = await call(
        principal,
        () => realm.admin.users.findOne({ id: principal.username, realm: principal.realm }),
        {
          notFoundIsDone: true,
        },
      );
    }
    if (!user?.id) {
      throw new IdentityProviderError(
        'KeycloakUserNotFound',
        `KeycloakUserNotFound: user '${principal.username}' not in realm '${principal.realm}'`,
        false,
      );
    }
    return { ...realm, user };
  }

  private realm(name: string) {
    let entry = this.realms.get(name);
    if (!entry) {
      entry = this.connect(name);
      this.realms.set(name, entry);
    }
    return entry;
  }

  /** An admin client and OIDC client for `name` (cached by `realm`, not by the doctor). */
  private connect(name: string): { admin: KcAdminClient; oidc: RealmOidc } {
    const oidc = new RealmOidc({
      baseUrl: this.settings.baseUrl,
      realm: this.settings.adminRealm ?? name,
      clientId: this.settings.clientId,
      clientSecret: this.settings.clientSecret,
    });
    const admin = new KcAdminClient({
      baseUrl: this.settings.baseUrl,
      realmName: name,
      // Read (spread) once per request: each request gets its own deadline, so a hung Keycloak
      // fails the call as KeycloakUnavailable (retried) instead of holding the activity.
      requestOptions: {
        get signal() {
          return AbortSignal.timeout(REQUEST_TIMEOUT_MS);
        },
      },
    });
    admin.registerTokenProvider({ getAccessToken: () => oidc.serviceToken() });
    return { admin, oidc };
  }
}

/**
 * Runs one Keycloak call and turns its failure into an IdentityProviderError that says what to do:
 * rate limits and outages are retryable (honouring Retry-After), permission problems are not.
 */
/** Realm-wide operations act for the realm itself (errors then name the realm). */
function realmSubject(realm: string): Principal {
  return { provider: 'keycloak', realm, username: REALM_SUBJECT };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function call<T>(
  principal: Principal,
  fn: () => Promise<T>,
  opts: { notFoundIsDone?: boolean } = {},
): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof IdentityProviderError) throw err;
    const status = httpStatus(err);
    const where = `realm '${principal.realm}'`;
    if (status === 404 && opts.notFoundIsDone) return undefined as T;
    if (status === 429 || status === 503) {
      const retryAfter = parseRetryAfter(retryAfterHeader(err));
      throw new IdentityProviderError(
        'KeycloakThrottled',
        `KeycloakThrottled: Keycloak answered ${status} for ${where}${retryAfter !== undefined ? `; retry after ${retryAfter} ms` : ''}`,
        true,
        retryAfter,
      );
    }
    if (status === 401 || status === 403) {
      throw new IdentityProviderError(
        'KeycloakAccessDenied',
        `KeycloakAccessDenied: the engine's service account was refused (${status}) in ${where}; grant it the realm-management roles listed in the README`,
        false,
      );
    }
    if (status === 404) {
      throw new IdentityProviderError(
        'KeycloakNotFound',
        `KeycloakNotFound: ${describe(err)} in ${where}`,
        false,
      );
    }
    if (status !== undefined && status >= 400 && status < 500) {
      throw new IdentityProviderError(
        'KeycloakRequestRejected',
        `KeycloakRequestRejected (${status}) in ${where}: ${describe(err)}`,
        false,
      );
    }
    // 5xx, connection refused, timeouts: the provider may come back.
    throw new IdentityProviderError(
      'KeycloakUnavailable',
      `KeycloakUnavailable for ${where}: ${describe(err)}`,
      true,
    );
  }
}

function httpStatus(err: unknown): number | undefined {
  const e = err as { response?: { status?: number }; status?: number };
  return e?.response?.status ?? (typeof e?.status === 'number' ? e.status : undefined);
}

function retryAfterHeader(err: unknown): string | null {
  const headers = (err as { response?: { headers?: Headers } })?.response?.headers;
  return headers && typeof headers.get === 'function' ? headers.get('retry-after') : null;
}

/** Error text without request bodies or headers (which could hold tokens). */
function describe(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return message.replace(/(eyJ[\w-]+\.[\w-]+\.[\w-]+)/g, '[token]').slice(0, 300);
}
