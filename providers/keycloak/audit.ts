/** Keycloak `audit-source`: what happened to and by one account, read-only. */
import type { Principal } from '../../domain/incident';
import {
  IdentityProviderError,
  type AccountIdentity,
  type AuditSource,
  type InvestigationReport,
  type PrincipalSnapshot,
} from '../ports';
import type { KeycloakConnection } from './connection';
import { investigateAccount } from './investigation';
import { offlineSessions as offlineSessionsOf } from './sessions';

export class KeycloakAudit implements AuditSource {
  constructor(private readonly kc: KeycloakConnection) {}

  async identify(principal: Principal): Promise<AccountIdentity | undefined> {
    try {
      const { user, userId } = await this.kc.user(principal);
      const username = user.username ?? principal.username;
      return { id: userId, username, aliases: [userId, ...(user.email ? [user.email] : [])] };
    } catch (err) {
      if (err instanceof IdentityProviderError && err.type === 'KeycloakUserNotFound') return undefined;
      throw err;
    }
  }

  async snapshot(principal: Principal, lookbackMs: number): Promise<PrincipalSnapshot> {
    const ctx = await this.kc.user(principal);
    const { admin, user, userId: id, realm, call } = ctx;
    const since = Date.now() - lookbackMs;
    const [sessions, consents, credentials, roleMappings, groups, events, adminEvents] = await call(() =>
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
    const offlineSessions = (await offlineSessionsOf(ctx, consents)).map((s) => s.session);
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
  ): Promise<InvestigationReport> {
    return investigateAccount(await this.kc.user(principal), window, pre, opts);
  }
}
