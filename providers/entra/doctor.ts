/**
 * The permissions doctor for Entra ID: read-only probes (a user, the sign-in log) and the
 * application permissions in the engine's own Graph token (its `roles` claim), compared with what
 * each port's writes need.
 */
import {
  notSupportedCheck,
  PORTS,
  type PortCheck,
  type PortName,
  type ProviderReport,
} from '../../domain/ports';
import type { Ports } from '../ports';
import { call, type EntraConnection } from './connection';

/** Application permissions (Graph) each port needs; any one of a list's alternatives will do. */
const NEEDS: Partial<Record<PortName, string[][]>> = {
  'audit-source': [['User.Read.All', 'User.ReadWrite.All'], ['AuditLog.Read.All']],
  'account-containment': [
    ['User.ReadWrite.All'],
    ['User-PasswordProfile.ReadWrite.All', 'User.ReadWrite.All'],
  ],
  'sessions-and-tokens': [
    ['User.RevokeSessions.All', 'User.ReadWrite.All'],
    ['DelegatedPermissionGrant.ReadWrite.All'],
  ],
  factors: [['UserAuthenticationMethod.ReadWrite.All']],
  'roles-and-grants': [['RoleManagement.ReadWrite.Directory']],
  'client-credentials': [['Application.ReadWrite.All', 'Application.ReadWrite.OwnedBy']],
};

export async function checkEntraTenant(
  ok: EntraConnection,
  ports: Ports,
  tenant: string,
): Promise<ProviderReport> {
  const who = { provider: 'entra' as const, realm: tenant, username: '(doctor)' };
  let roles: string[] | undefined;
  let failure: string | undefined;
  try {
    await call(who, () => ok.graph.api('/auditLogs/signIns').top(1).get());
    // The token Graph just accepted: its roles claim lists the app's permissions.
    roles = await ok.grantedRoles();
  } catch (err) {
    failure = (err as Error).message.slice(0, 200);
  }
  const check = (port: PortName): PortCheck => {
    if (!ports[port]) return notSupportedCheck('entra', port);
    if (failure)
      return {
        port,
        status: 'missing',
        detail: `Graph could not be read: ${failure}`,
        grant: 'AuditLog.Read.All',
      };
    const missing = (NEEDS[port] ?? []).filter((any) => !any.some((r) => roles?.includes(r)));
    return missing.length
      ? {
          port,
          status: 'missing',
          detail: `the app lacks ${missing.map((a) => a[0]).join(', ')}`,
          grant: `Graph application permissions ${missing.map((a) => a[0]).join(', ')} (admin consent)`,
        }
      : {
          port,
          status: 'ok',
          detail: `the app holds ${(NEEDS[port] ?? []).map((a) => a.find((r) => roles?.includes(r))).join(', ')}`,
        };
  };
  return { provider: 'entra', tenant, checkedAt: new Date().toISOString(), ports: PORTS.map(check) };
}
