/** Keycloak `sessions-and-tokens`: online sessions, offline tokens and consents of one account. */
import type { ActionOutcome, Principal } from '../../domain/incident';
import type { SessionsAndTokens } from '../ports';
import type { KeycloakConnection, UserContext } from './connection';

export class KeycloakSessions implements SessionsAndTokens {
  constructor(private readonly kc: KeycloakConnection) {}

  async revokeSessions(principal: Principal, opts: { since?: string } = {}): Promise<ActionOutcome> {
    const { admin, user, userId: id, realm, call } = await this.kc.user(principal);
    const sessions = await call(() => admin.users.listSessions({ id, realm }));
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
    // Keycloak's logout sends a back-channel logout token to every client of these sessions that
    // has a back-channel logout URL: which ones, read before the sessions are gone.
    const loggedOutClients = await this.backchannelClients(principal, sessions);
    await call(() => admin.users.logout({ id, realm }));
    const told = loggedOutClients.map((c) => c.clientId);
    return {
      action: 'revokeSessions',
      changed: sessions.length > 0,
      detail: `ended ${sessions.length} session(s) and set not-before for ${principal.username}${told.length ? `; back-channel logout sent to ${told.join(', ')}` : ''}`,
      ...(loggedOutClients.length ? { loggedOutClients } : {}),
    };
  }

  /** The sessions' clients with a back-channel logout URL (query strings left out). */
  private async backchannelClients(
    principal: Principal,
    sessions: { clients?: Record<string, string> }[],
  ): Promise<NonNullable<ActionOutcome['loggedOutClients']>> {
    const counts = new Map<string, number>();
    for (const s of sessions)
      for (const uuid of Object.keys(s.clients ?? {})) counts.set(uuid, (counts.get(uuid) ?? 0) + 1);
    if (!counts.size) return [];
    const { admin, realm, call } = await this.kc.user(principal);
    const out: NonNullable<ActionOutcome['loggedOutClients']> = [];
    for (const [uuid, n] of counts) {
      const client = await call(() => admin.clients.findOne({ id: uuid, realm }), { notFoundIsDone: true });
      const url = client?.attributes?.['backchannel.logout.url'];
      if (!client?.clientId || typeof url !== 'string' || !url) continue;
      out.push({ clientId: client.clientId, endpoint: url.split('?')[0], sessions: n });
    }
    return out.sort((a, b) => a.clientId.localeCompare(b.clientId));
  }

  async revokeOfflineAccess(principal: Principal): Promise<ActionOutcome> {
    const { admin, userId: id, realm, call } = await this.kc.user(principal);
    const consents = await call(() => admin.users.listConsents({ id, realm }));
    for (const consent of consents) {
      // Revoking a client's consent also deletes the user's offline tokens for that client.
      await call(() => admin.users.revokeConsent({ id, clientId: consent.clientId!, realm }), {
        notFoundIsDone: true,
      });
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

  async revokeSession(principal: Principal, sessionId: string): Promise<ActionOutcome> {
    const { admin, userId: id, realm, call } = await this.kc.user(principal);
    const sessions = await call(() => admin.users.listSessions({ id, realm }));
    if (!sessions.some((x) => x.id === sessionId)) {
      return {
        action: 'revokeSession',
        changed: false,
        detail: `session ${sessionId.slice(0, 8)}… of ${principal.username} already gone`,
      };
    }
    await call(() => admin.realms.deleteSession({ realm, session: sessionId, isOffline: false }), {
      notFoundIsDone: true,
    });
    return {
      action: 'revokeSession',
      changed: true,
      detail: `ended session ${sessionId.slice(0, 8)}… of ${principal.username}; ${sessions.length - 1} other session(s) left alone`,
    };
  }
}

/** The account's offline sessions, per client it consented to. */
export async function offlineSessions(
  ctx: UserContext,
  consents: { clientId?: string }[],
): Promise<{ clientId: string; session: unknown }[]> {
  const { admin, userId: id, realm, call } = ctx;
  const found: { clientId: string; session: unknown }[] = [];
  for (const consent of consents) {
    const clientId = consent.clientId!;
    const [client] = await call(() => admin.clients.find({ clientId, realm }));
    if (!client?.id) continue;
    const sessions = await call(() => admin.users.listOfflineSessions({ id, clientId: client.id!, realm }));
    found.push(...sessions.map((session) => ({ clientId, session })));
  }
  return found;
}
