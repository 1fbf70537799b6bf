/**
 * The permissions doctor for Okta: read-only probes (users, the System Log) and the admin roles of
 * the API token's owner (an SSWS token acts with the roles of the admin who made it), compared with
 * what each port's writes need. Writes cannot be tried without changing something.
 */
import {
  notSupportedCheck,
  PORTS,
  type PortCheck,
  type PortName,
  type ProviderReport,
} from '../../domain/ports';
import type { Ports } from '../ports';
import { call, type OktaConnection } from './connection';
import { collect } from './containment';

/** Standard admin roles that may suspend users, replace passwords, reset factors and clear sessions. */
const USER_ADMIN = ['SUPER_ADMIN', 'ORG_ADMIN'];
const GRANT =
  'give the token owner Organization Administrator, or a custom admin role with okta.users.manage, okta.users.lifecycle.manage and okta.users.credentials.manage';
/** Ports that act on apps, not users: the roles that may manage an OAuth app's credentials and tokens. */
const APP_PORTS: Partial<Record<PortName, { roles: string[]; grant: string }>> = {
  'client-credentials': {
    roles: ['SUPER_ADMIN', 'ORG_ADMIN', 'APP_ADMIN'],
    grant: 'give the token owner Application Administrator, or a custom admin role with okta.apps.manage',
  },
};

export async function checkOktaOrg(
  ok: OktaConnection,
  ports: Ports,
  tenant: string,
): Promise<ProviderReport> {
  const who = { provider: 'okta' as const, realm: tenant, username: '(doctor)' };
  const api = ok.client;
  const tried = async (fn: () => Promise<unknown>) =>
    fn().then(
      () => undefined,
      (err: Error) => err.message.slice(0, 200),
    );
  const [usersRead, logsRead] = await Promise.all([
    // One item each (`next`, not the whole collection: an org may have millions of users).
    tried(() => call(who, () => api.userApi.listUsers({ limit: 1 })).then((c) => c.next())),
    tried(() =>
      call(who, () =>
        api.systemLogApi.listLogEvents({ since: new Date(Date.now() - 60_000).toISOString(), limit: 1 }),
      ).then((c) => c.next()),
    ),
  ]);
  if (ok.settings.oauth) return scopeReport(ok, ports, tenant, usersRead ?? logsRead);
  let roles: string[] = [];
  let rolesRead: string | undefined;
  try {
    const me = await call(who, () => api.userApi.getUser({ userId: 'me' }));
    roles = (
      (await collect(
        await call(who, () => api.roleAssignmentApi.listAssignedRolesForUser({ userId: String(me.id) })),
      )) as {
        type?: string;
      }[]
    ).map((r) => String(r.type));
  } catch (err) {
    rolesRead = (err as Error).message.slice(0, 200);
  }
  const check = (port: PortName): PortCheck => {
    if (!ports[port]) return notSupportedCheck('okta', port);
    if (port === 'audit-source') {
      const failed = usersRead ?? logsRead;
      return failed
        ? {
            port,
            status: 'missing',
            detail: `users or System Log not readable: ${failed}`,
            grant: 'okta.users.read and okta.logs.read (e.g. Read-only Administrator)',
          }
        : { port, status: 'ok', detail: 'users and the System Log are readable' };
    }
    if (rolesRead)
      return {
        port,
        status: 'missing',
        detail: `the token owner's roles could not be read: ${rolesRead}`,
        grant: GRANT,
      };
    const needs = APP_PORTS[port] ?? { roles: USER_ADMIN, grant: GRANT };
    return roles.some((r) => needs.roles.includes(r))
      ? { port, status: 'ok', detail: `the token owner is ${roles.join(', ')}` }
      : {
          port,
          status: 'missing',
          detail: `the token owner holds ${roles.join(', ') || 'no admin role'}`,
          grant: needs.grant,
        };
  };
  return { provider: 'okta', tenant, checkedAt: new Date().toISOString(), ports: PORTS.map(check) };
}

/** The OAuth scopes each port's calls need (a service app acts with the scopes its token was granted). */
const SCOPES: Record<PortName, string[]> = {
  'audit-source': ['okta.users.read', 'okta.logs.read'],
  'account-containment': ['okta.users.manage'],
  'sessions-and-tokens': ['okta.users.manage'],
  factors: ['okta.users.manage'],
  'roles-and-grants': ['okta.roles.manage'],
  'client-credentials': ['okta.apps.manage'],
  'signing-keys': [],
};

/**
 * The service app's report: the scopes its access token was granted, per port. Okta also requires
 * an admin role assigned to the app that covers them; the doctor does not read that role.
 */
async function scopeReport(
  ok: OktaConnection,
  ports: Ports,
  tenant: string,
  readFailure: string | undefined,
): Promise<ProviderReport> {
  let granted: string[] = [];
  let failure = readFailure;
  try {
    const oauth = (ok.client as unknown as { oauth: { getAccessToken(): Promise<{ scope?: string }> } })
      .oauth;
    granted = ((await oauth.getAccessToken()).scope ?? '').split(' ').filter(Boolean);
  } catch (err) {
    failure ??= (err as Error).message.slice(0, 200);
  }
  const check = (port: PortName): PortCheck => {
    if (!ports[port]) return notSupportedCheck('okta', port);
    if (failure)
      return {
        port,
        status: 'missing',
        detail: `the service app's access failed: ${failure}`,
        grant: `grant the app ${SCOPES[port].join(', ')}`,
      };
    const missing = SCOPES[port].filter((scope) => !granted.includes(scope));
    return missing.length
      ? {
          port,
          status: 'missing',
          detail: `the service app's token lacks ${missing.join(', ')}`,
          grant: `grant the app ${missing.join(', ')} (and an admin role that covers them)`,
        }
      : {
          port,
          status: 'ok',
          detail: `the service app holds ${SCOPES[port].join(', ')} (its admin role is not read)`,
        };
  };
  return { provider: 'okta', tenant, checkedAt: new Date().toISOString(), ports: PORTS.map(check) };
}
