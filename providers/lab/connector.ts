/**
 * The connector for the lab identity provider (lab/idp.ts): the ports the lab can honour (all but
 * `factors`: lab accounts have no second factors), acting on the lab's in-memory realm, and checking containment through the lab's real
 * OIDC endpoints (introspection and refresh with openid-client). Selected only by passing it to the
 * worker explicitly: it never stands in for a production connector.
 */
import type { ActionOutcome, Finding, Principal, VerificationCheck } from '../../domain/incident';
import { serviceAccountName, type LabEventCursor, type LabIdp, type LabUser } from '../../lab/idp';
import { PORTS, type ProviderReport } from '../../domain/ports';
import {
  IdentityProviderError,
  type AccessState,
  type AccountContainment,
  type AccountIdentity,
  type AuditSource,
  type ClientCredentials,
  type ClientDescription,
  type ContainmentExpectation,
  type EradicationStep,
  type IdentityProvider,
  type InvestigationReport,
  type Ports,
  type PrincipalSnapshot,
  type RoleGrant,
  type RolesAndGrants,
  type SessionsAndTokens,
  type SigningKeyFinding,
  type SigningKeys,
  unguessablePassword,
} from '../ports';
import { actionsAsFindings, grantsStillHeld } from '../../domain/investigation';
import { nextWholeSecond, RealmOidc } from '../oidc';

/**
 * A fault to answer an engine call with, as a struggling provider would: unavailable, or
 * throttled with a Retry-After. Exercises inject them here (the lab has no network in between).
 */
export type LabFault = { status: 503 } | { status: 429; retryAfterS: number };
export type LabFaults = (operation: string) => LabFault | undefined;

const FACTOR_ACTIONS = ['UPDATE_PASSWORD', 'CONFIGURE_TOTP'];
/** Roles that count as administrative (as detection's default pattern says). */
const PRIVILEGED = /admin|owner|super|root|manage-/i;

/** The ports' operations, each behind the fault gate. */
const LAB_OPERATIONS = [
  'snapshot',
  'revokeSessions',
  'revokeOfflineAccess',
  'requireReauthentication',
  'disableAccount',
  'enableAccount',
  'verifyContainment',
  'investigate',
  'removeGrant',
  'reinstate',
  'revokeRole',
  'grantRole',
  'inspect',
  'revokeSession',
  'rotateSecret',
  'revokeClientTokens',
  'signingKeys',
  'rotateSigningKeys',
  'checkPermissions',
] as const satisfies readonly (keyof LabIdentityProvider)[];

export class LabIdentityProvider
  implements
    IdentityProvider,
    AuditSource,
    AccountContainment,
    SessionsAndTokens,
    RolesAndGrants,
    ClientCredentials,
    SigningKeys
{
  readonly name = 'lab' as const;
  /** Everything but `factors`: the compiler holds the class to each port it names here. */
  readonly ports: Ports = {
    'audit-source': this,
    'account-containment': this,
    'sessions-and-tokens': this,
    'roles-and-grants': this,
    'client-credentials': this,
    'signing-keys': this,
  };
  private readonly oidc: RealmOidc;

  constructor(
    private readonly idp: LabIdp,
    engineClient: { clientId: string; clientSecret: string },
    private readonly faults?: LabFaults,
  ) {
    const url = new URL(idp.issuer);
    this.oidc = new RealmOidc({ baseUrl: url.origin, realm: idp.realm, ...engineClient });
    // Every operation of the contract passes the fault gate first.
    for (const op of LAB_OPERATIONS) {
      const fn = this[op] as (...args: unknown[]) => Promise<unknown>;
      this[op] = (async (...args: unknown[]) => {
        this.gate(op);
        return fn.apply(this, args);
      }) as never;
    }
  }

  /** In-process: the engine's lab client may do everything the lab offers. */
  async checkPermissions(realm: string): Promise<ProviderReport> {
    const ports = PORTS.map((port) =>
      this.ports[port]
        ? {
            port,
            status: 'ok' as const,
            detail: `the in-process lab grants the engine every port (realm '${this.idp.realm}')`,
          }
        : {
            port,
            status: 'not-supported' as const,
            detail: `not supported by lab: lab accounts have no ${port}`,
          },
    );
    return { provider: 'lab', tenant: realm, checkedAt: new Date().toISOString(), ports };
  }

  /** The detection collector's page of the lab's events (login and admin). */
  pullEvents(cursor: LabEventCursor, max: number) {
    this.gate('pullEvents');
    return this.idp.pullEvents(cursor, max);
  }

  private gate(operation: string): void {
    const fault = this.faults?.(operation);
    if (!fault) return;
    if (fault.status === 429)
      throw new IdentityProviderError(
        'LabThrottled',
        `LabThrottled: the lab answered 429 for ${operation}; retry after ${fault.retryAfterS * 1000} ms`,
        true,
        fault.retryAfterS * 1000,
      );
    throw new IdentityProviderError(
      'LabUnavailable',
      `LabUnavailable: the lab answered 503 for ${operation}`,
      true,
    );
  }

  async identify(principal: Principal): Promise<AccountIdentity | undefined> {
    if (principal.realm !== this.idp.realm) return undefined;
    const user = this.idp.userByName(principal.username) ?? this.idp.users.get(principal.username);
    return user && { id: user.id, username: user.username, aliases: [user.id] };
  }

  private user(principal: Principal): LabUser {
    const user = this.idp.userByName(principal.username) ?? this.idp.users.get(principal.username);
    if (!user || principal.realm !== this.idp.realm)
      throw new IdentityProviderError(
        'LabUserNotFound',
        `LabUserNotFound: user '${principal.username}' not in lab realm '${principal.realm}'`,
        false,
      );
    return user;
  }

  private sessionsOf(user: LabUser) {
    return [...this.idp.sessions.values()].filter((s) => s.userId === user.id);
  }

  async snapshot(principal: Principal, lookbackMs: number): Promise<PrincipalSnapshot> {
    const user = this.user(principal);
    const since = Date.now() - lookbackMs;
    return {
      capturedAt: new Date().toISOString(),
      user: {
        id: user.id,
        username: user.username,
        enabled: user.enabled,
        requiredActions: [...user.requiredActions],
      },
      sessions: this.sessionsOf(user),
      offlineSessions: [],
      consents: [],
      credentials: [{ id: `${user.id}-password`, type: 'password' }],
      roleMappings: { realmMappings: [...user.roles].map((name) => ({ name })) },
      groups: [],
      recentLoginEvents: this.idp.events.filter((e) => e.userId === user.id && e.time >= since),
      recentAdminEvents: [],
    };
  }

  async revokeSessions(principal: Principal): Promise<ActionOutcome> {
    const ended = this.idp.logout(this.user(principal).id);
    return {
      action: 'revokeSessions',
      changed: ended > 0,
      detail: ended
        ? `ended ${ended} session(s) of ${principal.username}`
        : `${principal.username} had no session`,
    };
  }

  async revokeOfflineAccess(principal: Principal): Promise<ActionOutcome> {
    this.user(principal);
    return { action: 'revokeOfflineAccess', changed: false, detail: 'the lab issues no offline tokens' };
  }

  /** As Keycloak's: the stolen password replaced by one nobody knows, then the actions required. */
  async requireReauthentication(principal: Principal, opts: { since?: string } = {}): Promise<ActionOutcome> {
    const user = this.user(principal);
    const missing = FACTOR_ACTIONS.filter((a) => !user.requiredActions.has(a));
    const sinceMs = opts.since ? Date.parse(opts.since) : undefined;
    const replaced = sinceMs !== undefined && missing.length === 0 && user.passwordSetAt >= sinceMs;
    if (!replaced) {
      user.password = unguessablePassword();
      user.passwordSetAt = Date.now();
      for (const a of missing) user.requiredActions.add(a);
    }
    return {
      action: 'requireReauthentication',
      changed: !replaced,
      detail: replaced
        ? 'password already replaced and actions required'
        : `replaced the password of ${principal.username} with one nobody knows; required ${FACTOR_ACTIONS.join(', ')}`,
    };
  }

  async disableAccount(principal: Principal): Promise<ActionOutcome> {
    const user = this.user(principal);
    const changed = user.enabled;
    user.enabled = false;
    return {
      action: 'disableAccount',
      changed,
      detail: changed ? `disabled ${principal.username}` : 'already disabled',
    };
  }

  async enableAccount(principal: Principal): Promise<ActionOutcome> {
    const user = this.user(principal);
    const changed = !user.enabled;
    user.enabled = true;
    return {
      action: 'restoreAccount',
      changed,
      detail: changed ? `re-enabled ${principal.username}` : 'already enabled',
    };
  }

  /** Containment as the protocol sees it: the suspect tokens introspect inactive and no longer refresh. */
  async verifyContainment(
    principal: Principal,
    expected: ContainmentExpectation,
  ): Promise<VerificationCheck[]> {
    const user = this.user(principal);
    const sessions = this.sessionsOf(user).length;
    const checks: VerificationCheck[] = [
      { name: 'no-online-sessions', ok: sessions === 0, detail: `${sessions} session(s)` },
      {
        name: 'reauthentication-required',
        ok: FACTOR_ACTIONS.every((a) => user.requiredActions.has(a)),
        detail: [...user.requiredActions].join(', ') || 'none',
      },
      {
        name: 'account-state',
        ok: expected.accountDisabled ? !user.enabled : true,
        detail: user.enabled ? 'enabled' : 'disabled',
      },
    ];
    if (expected.cutFrom) {
      const replaced = user.passwordSetAt >= Date.parse(expected.cutFrom);
      checks.push({
        name: 'stolen-password-replaced',
        ok: replaced,
        detail: replaced ? 'password set by containment' : 'the password in force predates the incident',
      });
    }
    const after = Date.parse(expected.containedAt);
    const logins = this.idp.events.filter(
      (e) => e.userId === user.id && e.type === 'LOGIN' && e.time > after,
    );
    checks.push({
      name: 'no-authentication-after-containment',
      ok: logins.length === 0,
      detail: `${logins.length} login(s)`,
    });
    for (const [i, token] of expected.suspectTokens.entries()) {
      const live = await this.oidc.isActive(token);
      checks.push({
        name: `suspect-token-${i + 1}-inactive`,
        ok: !live,
        detail: live ? 'introspection: ACTIVE' : 'introspection: inactive',
      });
    }
    return checks;
  }

  async investigate(
    principal: Principal,
    window: { since: string; until: string },
  ): Promise<InvestigationReport> {
    const user = this.user(principal);
    const from = Date.parse(window.since);
    const to = Date.parse(window.until);
    const inWindow = (t: number) => t >= from && t <= to;
    const events = this.idp.events.filter((e) => e.userId === user.id && inWindow(e.time));
    const admin = this.idp.adminEvents.filter((e) => inWindow(e.time));
    const nameOf = (id: string) => this.idp.users.get(id)?.username ?? id;
    const about = admin.filter((e) => e.resourcePath.startsWith(`users/${user.id}/`));
    const by = admin.filter((e) => e.authDetails.userId === user.id);
    const privileged = (role: string) => PRIVILEGED.test(role);
    // Roles mapped to the principal in the window, still mapped: the eradication plan (privileged
    // ones only; the others stay on record).
    const grants = about
      .filter((e) => e.operationType === 'CREATE' && e.resourceType === 'REALM_ROLE_MAPPING')
      .flatMap((e) =>
        (JSON.parse(e.representation ?? '[]') as { name: string }[]).map((r) => ({
          time: e.time,
          role: r.name,
          container: 'realm',
          by: nameOf(e.authDetails.userId),
        })),
      );
    const w = { from, to };
    const findings = grantsStillHeld(grants, w, {
      held: (g) => user.roles.has(g.role),
      privileged: (g) => privileged(g.role),
      removable: (_g, isPrivileged) => isPrivileged,
      released: 'keep',
    });
    return {
      principal,
      window,
      generatedAt: new Date().toISOString(),
      blastRadius: {
        realmRoles: [...user.roles].map((name) => ({ name, privileged: privileged(name) })),
        clientRoles: [],
        groups: [],
        clients: [],
        consents: [],
      },
      authTimeline: events.map((e) => ({
        time: new Date(e.time).toISOString(),
        type: e.type,
        ip: e.ipAddress,
        client: e.clientId,
        session: e.sessionId,
        error: e.error,
      })),
      adminTimeline: about.map((e) => ({
        time: new Date(e.time).toISOString(),
        operation: e.operationType,
        resource: e.resourcePath,
        by: nameOf(e.authDetails.userId),
      })),
      actionsByPrincipal: by.map((e) => ({
        time: new Date(e.time).toISOString(),
        operation: e.operationType,
        resource: e.resourcePath,
      })),
      findings: [
        ...findings,
        ...actionsAsFindings(
          by.map((e) => ({
            time: new Date(e.time).toISOString(),
            operation: e.operationType,
            resource: `${e.resourcePath} ${e.representation ?? ''}`.trim(),
          })),
        ),
      ],
    };
  }

  async removeGrant(
    principal: Principal,
    f: Extract<Finding, { kind: 'role-grant' }>,
  ): Promise<EradicationStep> {
    const outcome = await this.revokeRole(principal, { role: f.role, container: f.container });
    return { finding: f, changed: outcome.changed, before: `role '${f.role}'`, after: outcome.detail };
  }

  async reinstate(principal: Principal): Promise<ActionOutcome> {
    const user = this.user(principal);
    if (!FACTOR_ACTIONS.every((a) => user.requiredActions.has(a)))
      throw new IdentityProviderError(
        'ReinstatementRefused',
        'ReinstatementRefused: reset and re-enrolment are not required',
        false,
      );
    const changed = !user.enabled;
    user.enabled = true;
    return {
      action: 'reinstateAccount',
      changed,
      detail: changed ? `re-enabled ${principal.username}` : 'already enabled',
    };
  }

  async revokeRole(principal: Principal, grant: RoleGrant): Promise<ActionOutcome> {
    const user = this.user(principal);
    const changed = user.roles.delete(grant.role);
    return {
      action: 'revertGrant',
      changed,
      detail: changed ? `removed role '${grant.role}'` : `role '${grant.role}' not mapped`,
    };
  }

  async grantRole(principal: Principal, grant: RoleGrant): Promise<ActionOutcome> {
    const user = this.user(principal);
    const changed = !user.roles.has(grant.role);
    user.roles.add(grant.role);
    return {
      action: 'restoreGrant',
      changed,
      detail: changed ? `mapped role '${grant.role}' again` : 'already mapped',
    };
  }

  async inspect(principal: Principal, grant?: RoleGrant): Promise<AccessState> {
    const user = this.user(principal);
    const sessions = this.sessionsOf(user);
    return {
      enabled: user.enabled,
      sessions: sessions.length,
      sessionIds: sessions.map((s) => s.id),
      ...(grant ? { roleMapped: user.roles.has(grant.role) } : {}),
    };
  }

  async revokeSession(principal: Principal, sessionId: string): Promise<ActionOutcome> {
    const user = this.user(principal);
    const session = this.idp.sessions.get(sessionId);
    if (!session || session.userId !== user.id)
      return { action: 'revokeSession', changed: false, detail: 'session already gone' };
    this.idp.sessions.delete(sessionId);
    return { action: 'revokeSession', changed: true, detail: `ended session ${sessionId.slice(0, 8)}…` };
  }

  /**
   * A new secret, once per incident (a retry finds the rotation after `since` and changes nothing),
   * proven by the old secret failing the client-credentials grant. The secret never leaves the lab.
   */
  async rotateSecret(
    principal: Principal,
    finding: Extract<Finding, { kind: 'client-used' }>,
    opts: { since: string },
  ): Promise<EradicationStep> {
    const { clientId } = finding;
    const client = this.client(principal, clientId);
    if (!client.secret)
      throw new IdentityProviderError(
        'LabPublicClient',
        `LabPublicClient: '${clientId}' has no secret`,
        false,
      );
    if ((client.secretRotatedAt ?? 0) >= Date.parse(opts.since)) {
      const already = `secret of '${clientId}' already rotated during this incident`;
      return { finding, changed: false, before: already, after: already };
    }
    const old = client.secret;
    this.idp.rotateClientSecret(clientId);
    const answer = await this.oidc.clientCredentialsAs(clientId, old);
    if (answer === 'accepted')
      throw new IdentityProviderError(
        'LabRotationUnproven',
        `the old secret of '${clientId}' still works`,
        true,
      );
    return {
      finding,
      changed: true,
      before: `secret of '${clientId}'`,
      after: `new secret for '${clientId}'`,
      proof: `the old secret now gets '${answer}'`,
    };
  }

  async describeClient(principal: Principal, clientId: string): Promise<ClientDescription> {
    const client = this.client(principal, clientId);
    const account = client.secret ? this.idp.userByName(serviceAccountName(clientId)) : undefined;
    return {
      clientId,
      credentials: client.secret
        ? [
            {
              id: 'client-secret',
              kind: 'secret',
              createdAt: client.secretRotatedAt ? new Date(client.secretRotatedAt).toISOString() : undefined,
              active: true,
            },
          ]
        : [],
      serviceAccount: account?.username,
    };
  }

  async revokeClientTokens(principal: Principal, clientId: string, opts: { since: string }) {
    const client = this.client(principal, clientId);
    if (client.notBefore * 1000 >= Date.parse(opts.since) - 1000)
      return {
        action: 'revokeClientTokens' as const,
        changed: false,
        detail: `tokens of '${clientId}' already revoked during this incident`,
      };
    const notBefore = await nextWholeSecond();
    this.idp.setClientNotBefore(clientId, notBefore);
    return {
      action: 'revokeClientTokens' as const,
      changed: true,
      detail: `every token issued to '${clientId}' before ${new Date(notBefore * 1000).toISOString()} is refused`,
    };
  }

  private client(principal: Principal, clientId: string) {
    const client = principal.realm === this.idp.realm ? this.idp.clients.get(clientId) : undefined;
    if (!client)
      throw new IdentityProviderError(
        'LabClientNotFound',
        `LabClientNotFound: client '${clientId}' not in lab realm '${principal.realm}'`,
        false,
      );
    return client;
  }

  async signingKeys(): Promise<SigningKeyFinding[]> {
    return this.idp.publishedKids.map((kid) => ({
      kind: 'signing-key',
      kid,
      algorithm: 'RS256',
      providerId: 'lab',
    }));
  }

  /**
   * A new active key, the old ones disabled (or passive) and everyone's tokens refused, once per
   * incident: a retry finds a key made after `since` and changes nothing. Proven by the JWKS.
   */
  async rotateSigningKeys(
    realm: string,
    _keys: SigningKeyFinding[],
    opts: { since: string; oldKeys: 'disable' | 'passive' },
  ): Promise<EradicationStep> {
    if (realm !== this.idp.realm)
      throw new IdentityProviderError('LabRealmNotFound', `LabRealmNotFound: no lab realm '${realm}'`, false);
    const finding = { kind: 'signing-key' as const, kid: '', algorithm: 'RS256', providerId: 'lab' };
    const recent = this.idp.activeKey;
    if (recent.createdAt >= Date.parse(opts.since)) {
      const detail = `key ${recent.kid} made during this incident is active`;
      return { finding: { ...finding, kid: recent.kid }, changed: false, before: detail, after: detail };
    }
    const before = this.idp.publishedKids;
    const kid = await this.idp.rotateKeys(opts.oldKeys === 'disable' ? 'disabled' : 'passive');
    const notBefore = await nextWholeSecond();
    this.idp.refuseTokensBefore(notBefore);
    this.oidc.forgetToken(); // the engine's own token died with the rest
    const published = await this.oidc.publishedKeyIds();
    const gone = before.filter((k) => !published.includes(k));
    const proof = `JWKS publishes ${published.join(', ')}${gone.length ? `; ${gone.join(', ')} gone` : ''}`;
    if (!published.includes(kid))
      throw new IdentityProviderError('LabRotationUnproven', `the JWKS does not publish ${kid}`, true);
    const after = `active key ${kid}; old key(s) ${before.join(', ')} ${opts.oldKeys === 'disable' ? 'disabled' : 'passive'}; every earlier token refused`;
    return { finding: { ...finding, kid }, changed: true, before: `keys ${before.join(', ')}`, after, proof };
  }
}
