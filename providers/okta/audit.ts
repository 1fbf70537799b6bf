/**
 * Okta `audit-source`: who an account is (by id, login or email), what containment would change
 * (snapshot), and the investigation from the user's state and the System Log.
 */
import type { Principal } from '../../domain/incident';
import { factorsEnrolledSince } from '../../domain/investigation';
import {
  IdentityProviderError,
  type AccountIdentity,
  type AuditSource,
  type InvestigationReport,
  type PrincipalSnapshot,
} from '../ports';
import { call, oktaTime, type OktaConnection } from './connection';
import { collect } from './containment';

interface LogEvent {
  uuid?: string;
  published?: string | Date;
  eventType?: string;
  outcome?: { result?: string; reason?: string };
  client?: { ipAddress?: string };
  authenticationContext?: { externalSessionId?: string };
}

export class OktaAudit implements AuditSource {
  constructor(private readonly ok: OktaConnection) {}

  async identify(principal: Principal): Promise<AccountIdentity | undefined> {
    try {
      const user = await this.ok.user(principal);
      const login = user.profile?.login ?? principal.username;
      const email = user.profile?.email;
      return {
        id: user.id,
        username: login,
        aliases: [user.id, ...(email && email !== login ? [email] : [])],
      };
    } catch (err) {
      if (
        err instanceof IdentityProviderError &&
        ['OktaUserNotFound', 'OktaEngineAccount'].includes(err.type)
      )
        return undefined;
      throw err;
    }
  }

  async snapshot(principal: Principal, lookbackMs: number): Promise<PrincipalSnapshot> {
    const user = await this.ok.user(principal);
    const api = this.ok.client;
    const userId = user.id;
    const since = new Date(Date.now() - lookbackMs).toISOString();
    const [factors, grants, clients, roles, events] = await Promise.all([
      call(principal, () => api.userFactorApi.listFactors({ userId })).then(collect),
      call(principal, () => api.userApi.listUserGrants({ userId })).then(collect),
      call(principal, () => api.userApi.listUserClients({ userId })).then(collect),
      call(principal, () => api.roleAssignmentApi.listAssignedRolesForUser({ userId })).then(collect),
      call(principal, () =>
        api.systemLogApi.listLogEvents({
          since,
          until: new Date().toISOString(),
          filter: `actor.id eq "${userId}"`,
          limit: 500,
        }),
      ).then(collect),
    ]);
    return {
      capturedAt: new Date().toISOString(),
      user: {
        id: userId,
        username: user.profile?.login ?? principal.username,
        enabled: user.status !== 'SUSPENDED' && user.status !== 'DEPROVISIONED',
        requiredActions: user.status === 'PASSWORD_EXPIRED' ? ['PASSWORD_EXPIRED'] : [],
        createdAt: user.created ? new Date(oktaTime(user.created)).toISOString() : undefined,
      },
      // Okta's Management API lists no user's sessions; the System Log below names them.
      sessions: [],
      offlineSessions: clients,
      consents: grants,
      credentials: (factors as { id?: string; factorType?: string; created?: string | Date }[]).map((f) => ({
        id: String(f.id),
        type: String(f.factorType),
        createdDate: oktaTime(f.created),
      })),
      roleMappings: roles,
      groups: [],
      recentLoginEvents: events,
      recentAdminEvents: [],
    };
  }

  async investigate(
    principal: Principal,
    window: { since: string; until: string },
    pre?: PrincipalSnapshot,
  ): Promise<InvestigationReport> {
    const user = await this.ok.user(principal);
    const api = this.ok.client;
    const userId = user.id;
    const w = { from: Date.parse(window.since), to: Date.parse(window.until) };
    const [factors, roles, events] = await Promise.all([
      call(principal, () => api.userFactorApi.listFactors({ userId })).then(collect),
      call(principal, () => api.roleAssignmentApi.listAssignedRolesForUser({ userId })).then(collect),
      call(principal, () =>
        api.systemLogApi.listLogEvents({
          since: window.since,
          until: window.until,
          filter: `actor.id eq "${userId}"`,
          limit: 1000,
        }),
      ).then(collect),
    ]);
    const seen = [
      ...(pre?.credentials ?? []),
      ...(factors as { id?: string; factorType?: string; created?: string | Date }[]).map((f) => ({
        id: String(f.id),
        type: String(f.factorType),
        createdDate: oktaTime(f.created),
      })),
    ];
    const findings = factorsEnrolledSince(
      seen.map((c) => ({ id: c.id, type: c.type, createdAt: c.createdDate })),
      w,
    );
    return {
      principal,
      window,
      generatedAt: new Date().toISOString(),
      blastRadius: {
        realmRoles: (roles as { type?: string }[]).map((r) => ({ name: String(r.type), privileged: true })),
        clientRoles: [],
        groups: [],
        clients: [],
        consents: [],
      },
      authTimeline: (events as LogEvent[]).map((e) => ({
        time: new Date(oktaTime(e.published)).toISOString(),
        type: String(e.eventType),
        ip: e.client?.ipAddress,
        session: e.authenticationContext?.externalSessionId,
        error: e.outcome?.result === 'SUCCESS' ? undefined : (e.outcome?.reason ?? e.outcome?.result),
      })),
      adminTimeline: [],
      actionsByPrincipal: [],
      findings,
    };
  }
}
