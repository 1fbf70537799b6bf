/**
 * Entra ID `audit-source`: who an account is (object id, user principal name or mail), what
 * containment would change (snapshot), and the investigation from the user and its sign-ins.
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
import { call, type EntraConnection } from './connection';
import { listMethods } from './containment';

interface SignIn {
  createdDateTime?: string;
  appId?: string;
  ipAddress?: string;
  status?: { errorCode?: number; failureReason?: string | null };
}

export class EntraAudit implements AuditSource {
  constructor(private readonly ok: EntraConnection) {}

  async identify(principal: Principal): Promise<AccountIdentity | undefined> {
    try {
      const user = await this.ok.user(principal);
      const upn = user.userPrincipalName ?? principal.username;
      return {
        id: user.id,
        username: upn,
        aliases: [user.id, ...(user.mail && user.mail !== upn ? [user.mail] : [])],
      };
    } catch (err) {
      if (err instanceof IdentityProviderError && err.type === 'EntraUserNotFound') return undefined;
      throw err;
    }
  }

  private async signIns(principal: Principal, userId: string, since: string): Promise<SignIn[]> {
    const page = (await call(principal, () =>
      this.ok.graph
        .api('/auditLogs/signIns')
        .filter(`userId eq '${userId}' and createdDateTime ge ${since}`)
        .top(500)
        .get(),
    )) as { value?: SignIn[] };
    return page.value ?? [];
  }

  async snapshot(principal: Principal, lookbackMs: number): Promise<PrincipalSnapshot> {
    const user = await this.ok.user(principal);
    const since = new Date(Date.now() - lookbackMs).toISOString();
    const [methods, grants, signIns] = await Promise.all([
      listMethods(this.ok, principal, user.id),
      call(principal, () =>
        this.ok.graph.api('/oauth2PermissionGrants').filter(`principalId eq '${user.id}'`).get(),
      ).then((p) => ((p as { value?: unknown[] }).value ?? []) as unknown[]),
      this.signIns(principal, user.id, since),
    ]);
    return {
      capturedAt: new Date().toISOString(),
      user: {
        id: user.id,
        username: user.userPrincipalName ?? principal.username,
        enabled: user.accountEnabled !== false,
        requiredActions: [],
      },
      // Graph lists no user's sessions; signInSessionsValidFromDateTime and the sign-ins stand for them.
      sessions: [],
      offlineSessions: [],
      consents: grants,
      credentials: methods.map((m) => ({
        id: m.id,
        type: m.type,
        ...(m.createdDateTime ? { createdDate: Date.parse(m.createdDateTime) } : {}),
      })),
      roleMappings: {},
      groups: [],
      recentLoginEvents: signIns,
      recentAdminEvents: [],
    };
  }

  async investigate(
    principal: Principal,
    window: { since: string; until: string },
    pre?: PrincipalSnapshot,
  ): Promise<InvestigationReport> {
    const user = await this.ok.user(principal);
    const w = { from: Date.parse(window.since), to: Date.parse(window.until) };
    const [methods, signIns] = await Promise.all([
      listMethods(this.ok, principal, user.id),
      this.signIns(principal, user.id, window.since),
    ]);
    const seen = [
      ...(pre?.credentials ?? []).map((c) => ({ id: c.id, type: c.type, createdAt: c.createdDate })),
      ...methods.map((m) => ({
        id: m.id,
        type: m.type,
        createdAt: m.createdDateTime ? Date.parse(m.createdDateTime) : undefined,
      })),
    ];
    return {
      principal,
      window,
      generatedAt: new Date().toISOString(),
      blastRadius: { realmRoles: [], clientRoles: [], groups: [], clients: [], consents: [] },
      authTimeline: signIns
        .filter((s) => Date.parse(s.createdDateTime ?? '') <= w.to)
        .map((s) => ({
          time: String(s.createdDateTime),
          type: s.status?.errorCode === 0 ? 'SIGN_IN' : 'SIGN_IN_ERROR',
          ip: s.ipAddress,
          client: s.appId,
          error: s.status?.errorCode ? (s.status.failureReason ?? String(s.status.errorCode)) : undefined,
        })),
      adminTimeline: [],
      actionsByPrincipal: [],
      findings: factorsEnrolledSince(seen, w),
    };
  }
}
