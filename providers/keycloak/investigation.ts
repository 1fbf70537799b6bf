/**
 * Keycloak: the read-only investigation of one account over the incident window — blast radius,
 * auth and admin timelines, and the findings (grants, factors, clients, persistence) eradication
 * may act on.
 */
import type { Finding } from '../../domain/incident';
import {
  actionsAsFindings,
  clientsUsed,
  factorsEnrolledSince,
  grantsStillHeld,
  lastingTenantChanges,
  type GrantRecord,
  type TenantChange,
} from '../../domain/investigation';
import type { InvestigationReport, PrincipalSnapshot } from '../ports';
import { certificateFingerprint, clientAuthentication, JWT_CERTIFICATE } from './clients';
import type { UserContext } from './connection';
import { PRIVILEGED } from './roles';

const FACTOR_TYPES = new Set(['otp', 'totp', 'hotp', 'webauthn', 'webauthn-passwordless']);
const AUTH_TYPES = new Set([
  'LOGIN',
  'LOGIN_ERROR',
  'REFRESH_TOKEN',
  'REFRESH_TOKEN_ERROR',
  'CODE_TO_TOKEN',
  'CODE_TO_TOKEN_ERROR',
  'CLIENT_LOGIN',
  'TOKEN_EXCHANGE',
  'LOGOUT',
]);

interface AdminEvent {
  time?: number;
  operationType?: string;
  resourceType?: string;
  resourcePath?: string;
  representation?: string;
  authDetails?: { userId?: string; realmId?: string; ipAddress?: string };
}

export async function investigateAccount(
  ctx: UserContext,
  window: { since: string; until: string },
  pre?: PrincipalSnapshot,
  opts: { tokenForgerySuspected?: boolean } = {},
): Promise<InvestigationReport> {
  const { admin, realm, userId: id, call } = ctx;
  const from = Date.parse(window.since);
  const to = Date.parse(window.until);
  const inWindow = (t?: number) => t !== undefined && t >= from && t <= to;
  const [effective, direct, groups, events, aboutUser, byUser, credentials, realmAdmin, consentsNow] =
    await Promise.all([
      call(() => admin.users.listCompositeRealmRoleMappings({ id, realm })),
      call(() => admin.users.listRoleMappings({ id, realm })),
      call(() => admin.users.listGroups({ id, realm })),
      call(() => admin.realms.findEvents({ realm, user: id, max: 1000 })),
      call(() => admin.realms.findAdminEvents({ realm, resourcePath: `users/${id}*`, max: 1000 })),
      call(() => admin.realms.findAdminEvents({ realm, authUser: id, max: 1000 })),
      call(() => admin.users.getCredentials({ id, realm })),
      // Newest first: the window is recent, so the last thousand realm changes cover it.
      call(() => admin.realms.findAdminEvents({ realm, max: 1000 })),
      call(() => admin.users.listConsents({ id, realm })),
    ]);
  const clientMappings = (direct.clientMappings ?? {}) as Record<
    string,
    { id?: string; client?: string; mappings?: { name?: string }[] }
  >;
  const clientRoles = Object.values(clientMappings).flatMap((m) =>
    (m.mappings ?? []).map((r) => ({ client: m.client ?? m.id ?? '?', name: r.name ?? '?' })),
  );

  const authEvents = events
    .filter((e) => AUTH_TYPES.has(e.type ?? '') && inWindow(e.time))
    .sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
  const clients = await clientsUsedIn(ctx, authEvents);

  const names = new Map<string, string>();
  const who = async (e: AdminEvent) => {
    const uid = e.authDetails?.userId;
    if (!uid) return 'unknown';
    if (!names.has(uid)) {
      const u = await call(() => admin.users.findOne({ id: uid, realm }), { notFoundIsDone: true }).catch(
        () => undefined,
      );
      names.set(uid, u?.username ?? `user ${uid} of realm ${e.authDetails?.realmId ?? '?'}`);
    }
    return names.get(uid)!;
  };
  const adminAbout = (aboutUser as AdminEvent[]).filter((e) => inWindow(e.time));
  const adminTimeline = await Promise.all(
    adminAbout.map(async (e) => ({
      time: new Date(e.time!).toISOString(),
      operation: `${e.operationType} ${e.resourceType ?? ''}`.trim(),
      resource: (e.resourcePath ?? '').replace(id, '{user}'),
      by: await who(e),
    })),
  );

  const w = { from, to };
  // Role grants to the principal inside the window, still in place: the attacker's elevation.
  const directRealm = new Set((direct.realmMappings ?? []).map((r) => r.name));
  const directClient = new Set(clientRoles.map((r) => `${r.client}/${r.name}`));
  const grants: GrantRecord[] = [];
  for (const e of adminAbout) {
    if (e.operationType !== 'CREATE' || !/ROLE_MAPPING/.test(e.resourceType ?? '')) continue;
    const client = /role-mappings\/clients\/([^/]+)/.exec(e.resourcePath ?? '')?.[1];
    const container = client ? await clientIdOf(ctx, client) : 'realm';
    for (const role of parseRoles(e.representation))
      grants.push({ time: e.time!, role, container, by: await who(e) });
  }
  const findings: Finding[] = grantsStillHeld(grants, w, {
    held: (g) =>
      g.container === 'realm' ? directRealm.has(g.role) : directClient.has(`${g.container}/${g.role}`),
    privileged: (g) => PRIVILEGED.test(g.role) || g.container === 'realm-management',
  });
  // Second factors enrolled inside the window (judged on the pre-containment snapshot too).
  const factors = [...(pre?.credentials ?? []), ...credentials.map((x) => ({ ...x, type: x.type ?? '?' }))]
    .filter((c) => c.id && FACTOR_TYPES.has((c.type ?? '').toLowerCase()))
    .map((c) => ({ id: c.id!, type: c.type!, label: c.userLabel, createdAt: c.createdDate }));
  findings.push(...factorsEnrolledSince(factors, w));
  findings.push(...clientsUsed(clients));
  // What the principal did with admin rights: persistence and further escalation.
  const actionsByPrincipal = (byUser as AdminEvent[])
    .filter((e) => inWindow(e.time))
    .map((e) => ({
      time: new Date(e.time!).toISOString(),
      operation: `${e.operationType} ${e.resourceType ?? ''}`.trim(),
      resource: e.resourcePath ?? '',
    }));
  findings.push(...actionsAsFindings(actionsByPrincipal));
  findings.push(...(await relatedAccounts(ctx, authEvents, actionsByPrincipal, inWindow)));
  // Realm-level persistence by anyone in the window: identity providers, federation, new clients.
  const changes = await tenantChanges(realmAdmin as AdminEvent[], id, who, inWindow);
  findings.push(...lastingTenantChanges(changes, w));
  const consents = new Map<string, string[]>();
  for (const c of [...((pre?.consents ?? []) as typeof consentsNow), ...consentsNow]) {
    if (c.clientId)
      consents.set(c.clientId, [
        ...new Set([...(consents.get(c.clientId) ?? []), ...(c.grantedClientScopes ?? [])]),
      ]);
  }

  findings.push(...(await ctx.realmOps.findings(opts)));

  return {
    principal: ctx.principal,
    window,
    generatedAt: new Date().toISOString(),
    blastRadius: {
      realmRoles: effective.map((r) => ({
        name: r.name ?? '?',
        privileged: PRIVILEGED.test(r.name ?? ''),
      })),
      clientRoles: clientRoles.map((r) => ({
        ...r,
        privileged: PRIVILEGED.test(r.name) || r.client === 'realm-management',
      })),
      groups: groups.map((g) => g.path ?? g.name ?? '?'),
      clients: clients.map(({ clientId, confidential, serviceAccount, uses: n }) => ({
        clientId,
        confidential,
        serviceAccount,
        uses: n,
      })),
      consents: [...consents].map(([clientId, scopes]) => ({ clientId, scopes })),
    },
    authTimeline: authEvents.map((e) => ({
      time: new Date(e.time!).toISOString(),
      type: e.type ?? '?',
      ip: e.ipAddress,
      client: e.clientId,
      session: e.sessionId,
      error: e.error,
    })),
    adminTimeline,
    actionsByPrincipal,
    findings,
  };
}

type KeycloakEvent = Awaited<ReturnType<UserContext['admin']['realms']['findEvents']>>[number];

/** The clients the principal authenticated through, with how each authenticates. */
async function clientsUsedIn(ctx: UserContext, authEvents: KeycloakEvent[]) {
  const { admin, realm, call } = ctx;
  const uses = new Map<string, number>();
  for (const e of authEvents) if (e.clientId) uses.set(e.clientId, (uses.get(e.clientId) ?? 0) + 1);
  return Promise.all(
    [...uses].map(async ([clientId, n]) => {
      const [c] = await call(() => admin.clients.find({ clientId, realm }));
      const confidential = Boolean(c) && !c.publicClient && !c.bearerOnly;
      return {
        clientId,
        confidential,
        serviceAccount: Boolean(c?.serviceAccountsEnabled),
        authentication: confidential
          ? clientAuthentication(c?.clientAuthenticatorType, c?.attributes)
          : undefined,
        certificateSha256: certificateFingerprint(c?.attributes?.[JWT_CERTIFICATE]),
        uses: n,
      };
    }),
  );
}

/**
 * Other accounts seen from the same addresses in the window, and accounts the principal created or
 * changed: candidates, not conclusions.
 */
async function relatedAccounts(
  ctx: UserContext,
  authEvents: KeycloakEvent[],
  actionsByPrincipal: { time: string; operation: string; resource: string }[],
  inWindow: (t?: number) => boolean,
): Promise<Finding[]> {
  const { admin, realm, userId: id, call } = ctx;
  const findings: Finding[] = [];
  // Loopback addresses say nothing about who else is behind them.
  const routable = (x: string | undefined): x is string => Boolean(x) && !/^(127\.|::1$)/.test(x!);
  const ips = [...new Set(authEvents.map((e) => e.ipAddress).filter(routable))].slice(0, 5);
  const related = new Map<string, string>();
  for (const ip of ips) {
    const fromIp = await call(() => admin.realms.findEvents({ realm, ipAddress: ip, max: 200 }));
    for (const e of fromIp) {
      if (!e.userId || e.userId === id || !inWindow(e.time) || related.has(e.userId)) continue;
      if (related.size >= 20) break;
      const u = await call(() => admin.users.findOne({ id: e.userId!, realm }), {
        notFoundIsDone: true,
      }).catch(() => undefined);
      if (u?.username) related.set(e.userId, `${u.username}|${ip}`);
    }
  }
  for (const v of related.values()) {
    const [username, ip] = v.split('|');
    findings.push({ kind: 'related-principal', username, via: `same address ${ip}` });
  }
  // Accounts the principal created or changed: the same actor, maybe the attacker's next foothold.
  const touched = new Set<string>();
  for (const a of actionsByPrincipal) {
    const uid = /^users\/([0-9a-f-]{36})/.exec(a.resource)?.[1];
    if (!uid || uid === id || touched.has(uid) || related.has(uid) || touched.size >= 20) continue;
    touched.add(uid);
    const u = await call(() => admin.users.findOne({ id: uid, realm }), { notFoundIsDone: true }).catch(
      () => undefined,
    );
    if (u?.username)
      findings.push({
        kind: 'related-principal',
        username: u.username,
        via: `${a.operation} by the principal at ${a.time}`,
      });
  }
  return findings;
}

/** Realm admin events in the window, classified: trust and new clients outlive a contained account. */
async function tenantChanges(
  events: AdminEvent[],
  principalId: string,
  who: (e: AdminEvent) => Promise<string>,
  inWindow: (t?: number) => boolean,
): Promise<TenantChange[]> {
  const changes: TenantChange[] = [];
  for (const e of events.filter((x) => inWindow(x.time))) {
    const type = e.resourceType ?? '';
    const lasting =
      /^IDENTITY_PROVIDER/.test(type) ||
      type === 'COMPONENT' ||
      (type === 'CLIENT' && e.operationType === 'CREATE');
    const byPrincipal = e.authDetails?.userId === principalId;
    changes.push({
      time: e.time!,
      lasting,
      what: `${e.operationType} ${type} ${e.resourcePath ?? ''}`.trim(),
      by: lasting && !byPrincipal ? await who(e) : '',
      byPrincipal,
    });
  }
  return changes;
}

async function clientIdOf(ctx: UserContext, uuid: string): Promise<string> {
  const c = await ctx
    .call(() => ctx.admin.clients.findOne({ id: uuid, realm: ctx.realm }), { notFoundIsDone: true })
    .catch(() => undefined);
  return c?.clientId ?? uuid;
}

function parseRoles(representation?: string): string[] {
  try {
    const parsed = JSON.parse(representation ?? '[]') as { name?: string }[];
    return Array.isArray(parsed) ? parsed.map((r) => r.name).filter((n): n is string => Boolean(n)) : [];
  } catch {
    return [];
  }
}
