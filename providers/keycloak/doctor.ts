/**
 * The permissions doctor for Keycloak: which ports the engine's credentials allow in a realm, found
 * with read-only probes (each read the port needs is tried) and the realm-management roles the
 * engine's own token carries (writes cannot be tried without changing something), and what to grant
 * for the rest — known before an incident, not in the middle of one.
 */
import type KcAdminClient from '@keycloak/keycloak-admin-client';
import type { PortCheck, PortName, ProviderReport } from '../../domain/ports';
import { peekClaims, RealmOidc } from '../oidc';

/** The realm-management roles each port needs (realm-admin includes them all). */
const NEEDS: Record<PortName, { read: Probe[]; roles: string[]; optional?: string[] }> = {
  'audit-source': {
    read: ['events', 'admin-events', 'users'],
    roles: ['view-events', 'view-users', 'query-users'],
  },
  'account-containment': { read: ['users'], roles: ['manage-users'] },
  'sessions-and-tokens': { read: ['users'], roles: ['manage-users'] },
  factors: { read: ['users'], roles: ['manage-users'] },
  // Unmapping an admin (realm-management) role takes realm-admin: without it that one step fails.
  'roles-and-grants': { read: ['users'], roles: ['manage-users'], optional: ['realm-admin'] },
  'client-credentials': { read: ['clients'], roles: ['manage-clients', 'view-clients'] },
  'signing-keys': { read: ['keys'], roles: ['manage-realm', 'view-realm'] },
};

type Probe = 'events' | 'admin-events' | 'users' | 'clients' | 'keys';

export async function checkKeycloakRealm(
  admin: KcAdminClient,
  oidc: RealmOidc,
  settings: { clientId: string; adminRealm?: string },
  realm: string,
): Promise<ProviderReport> {
  const probes: Record<Probe, () => Promise<unknown>> = {
    events: () => admin.realms.findEvents({ realm, max: 1 } as never),
    'admin-events': () => admin.realms.findAdminEvents({ realm, max: 1 } as never),
    users: () => admin.users.find({ realm, max: 1 }),
    clients: () => admin.clients.find({ realm, max: 1 }),
    keys: () => admin.realms.getKeys({ realm }),
  };
  const readable = new Map<Probe, string | undefined>();
  for (const [name, probe] of Object.entries(probes) as [Probe, () => Promise<unknown>][]) {
    readable.set(
      name,
      await probe().then(
        () => undefined,
        (err: Error) => describe(err),
      ),
    );
  }
  const { held, source } = await heldRoles(oidc, settings, realm);
  const holds = (role: string) => held.has('realm-admin') || held.has(role);
  const introspects = await oidc
    .serviceToken()
    .then((t) => oidc.isActive(t))
    .catch(() => false);

  const grantTo =
    settings.adminRealm && settings.adminRealm !== realm
      ? `the service account of client '${settings.clientId}' in realm '${settings.adminRealm}', client '${realm}-realm' role(s)`
      : `the service account of client '${settings.clientId}', realm-management role(s)`;
  const ports: PortCheck[] = (Object.keys(NEEDS) as PortName[]).map((port) => {
    const need = NEEDS[port];
    const unreadable = need.read.filter((p) => readable.get(p) !== undefined);
    const missing = need.roles.filter((r) => !holds(r));
    const cannotIntrospect = port === 'sessions-and-tokens' && !introspects;
    const optionalMissing = (need.optional ?? []).filter((r) => !holds(r));
    if (unreadable.length || missing.length || cannotIntrospect) {
      const refused = unreadable.map((p) => `${p} (${readable.get(p)})`).join(', ');
      return {
        port,
        status: 'missing',
        detail: [
          refused ? `refused: ${refused}` : '',
          missing.length ? `not held: ${missing.join(', ')}` : '',
          cannotIntrospect
            ? "the engine client cannot introspect other clients' tokens (make it confidential; on Keycloak 26.7 (checked here) and later set its attribute allow.token.introspection.without.audience.check=true)"
            : '',
        ]
          .filter(Boolean)
          .join('; '),
        grant: missing.length
          ? `give ${grantTo} ${missing.join(', ')}`
          : unreadable.length
            ? `let ${grantTo.replace(/ role\(s\)$/, '')} read ${unreadable.join(', ')} (Keycloak refused it although the roles are held: check fine-grained admin permissions)`
            : 'make the engine client confidential with its secret, and on Keycloak 26.7 (checked here) and later set its attribute allow.token.introspection.without.audience.check=true (token introspection)',
      };
    }
    if (optionalMissing.length) {
      return {
        port,
        status: 'partial',
        detail: `some admin (realm-management) role grants (realm-admin, impersonation: Keycloak 26.7 refuses them) cannot be removed without ${optionalMissing.join(', ')}; other grants can`,
        grant: `give ${grantTo} ${optionalMissing.join(', ')} (or remove admin-role grants by hand during an incident)`,
      };
    }
    return { port, status: 'ok', detail: `reads allowed; holds ${need.roles.join(', ')} (${source})` };
  });
  return { provider: 'keycloak', tenant: realm, checkedAt: new Date().toISOString(), ports };
}

/** The realm-management roles in the engine's own token (for `realm`, as the token names them). */
async function heldRoles(
  oidc: RealmOidc,
  settings: { adminRealm?: string },
  realm: string,
): Promise<{ held: Set<string>; source: string }> {
  const claims = peekClaims(await oidc.serviceToken()) ?? {};
  const access = (claims.resource_access ?? {}) as Record<string, { roles?: string[] }>;
  const client = settings.adminRealm && settings.adminRealm !== realm ? `${realm}-realm` : 'realm-management';
  return { held: new Set(access[client]?.roles ?? []), source: `roles of '${client}' in the engine's token` };
}

function describe(err: Error): string {
  const status = (err as { response?: { status?: number } }).response?.status;
  return status ? `HTTP ${status}` : err.message.slice(0, 80);
}
