/** Keycloak `roles-and-grants`: realm and client role mappings of one account. */
import type { ActionOutcome, Finding, Principal } from '../../domain/incident';
import { IdentityProviderError, type EradicationStep, type RoleGrant, type RolesAndGrants } from '../ports';
import type { KeycloakConnection, UserContext } from './connection';

type RoleGrantFinding = Extract<Finding, { kind: 'role-grant' }>;

/** Role names that give power over other identities or the realm. */
export const PRIVILEGED = /admin|manage-|realm-management|impersonation|owner|superuser|root/i;

export class KeycloakRoles implements RolesAndGrants {
  constructor(private readonly kc: KeycloakConnection) {}

  async removeGrant(principal: Principal, f: RoleGrantFinding): Promise<EradicationStep> {
    const ctx = await this.kc.user(principal);
    try {
      return await unmapRole(ctx, f);
    } catch (err) {
      if (
        err instanceof IdentityProviderError &&
        err.type === 'KeycloakAccessDenied' &&
        f.container === 'realm-management'
      ) {
        throw new IdentityProviderError(
          'KeycloakAccessDenied',
          `KeycloakAccessDenied: Keycloak lets only realm admins change admin-role mappings; remove '${f.role}' by hand or give the engine realm-admin`,
          false,
        );
      }
      throw err;
    }
  }

  async revokeRole(principal: Principal, grant: RoleGrant): Promise<ActionOutcome> {
    const f = {
      kind: 'role-grant' as const,
      ...grant,
      privileged: PRIVILEGED.test(grant.role),
      remedy: 'remove-grant' as const,
    };
    const step = await this.removeGrant(principal, f);
    return {
      action: 'revertGrant',
      changed: step.changed,
      detail: step.changed ? step.after : `${step.after} (already)`,
    };
  }

  async grantRole(principal: Principal, grant: RoleGrant): Promise<ActionOutcome> {
    const { admin, realm, userId: id, call } = await this.kc.user(principal);
    const label =
      grant.container === 'realm'
        ? `realm role '${grant.role}'`
        : `role '${grant.role}' of client '${grant.container}'`;
    if (grant.container === 'realm') {
      const mapped = await call(() => admin.users.listRealmRoleMappings({ id, realm }));
      if (mapped.some((r) => r.name === grant.role))
        return { action: 'restoreGrant', changed: false, detail: `${label} already mapped` };
      const role = await call(() => admin.roles.findOneByName({ name: grant.role, realm }));
      if (!role?.id) throw new IdentityProviderError('KeycloakNotFound', `KeycloakNotFound: ${label}`, false);
      await call(() =>
        admin.users.addRealmRoleMappings({ id, realm, roles: [{ id: role.id!, name: role.name! }] }),
      );
    } else {
      const [client] = await call(() => admin.clients.find({ clientId: grant.container, realm }));
      if (!client?.id)
        throw new IdentityProviderError(
          'KeycloakNotFound',
          `KeycloakNotFound: client '${grant.container}'`,
          false,
        );
      const mapped = await call(() =>
        admin.users.listClientRoleMappings({ id, realm, clientUniqueId: client.id! }),
      );
      if (mapped.some((r) => r.name === grant.role))
        return { action: 'restoreGrant', changed: false, detail: `${label} already mapped` };
      const role = await call(() => admin.clients.findRole({ id: client.id!, roleName: grant.role, realm }));
      if (!role?.id) throw new IdentityProviderError('KeycloakNotFound', `KeycloakNotFound: ${label}`, false);
      await call(() =>
        admin.users.addClientRoleMappings({
          id,
          realm,
          clientUniqueId: client.id!,
          roles: [{ id: role.id!, name: role.name! }],
        }),
      );
    }
    return { action: 'restoreGrant', changed: true, detail: `mapped ${label} again` };
  }
}

/** Is `grant` mapped to the account directly? */
export async function hasRole(ctx: UserContext, grant: RoleGrant): Promise<boolean> {
  const { admin, realm, userId: id, call } = ctx;
  if (grant.container === 'realm') {
    return (await call(() => admin.users.listRealmRoleMappings({ id, realm }))).some(
      (r) => r.name === grant.role,
    );
  }
  const [client] = await call(() => admin.clients.find({ clientId: grant.container, realm }));
  if (!client?.id) return false;
  const mapped = await call(() =>
    admin.users.listClientRoleMappings({ id, realm, clientUniqueId: client.id! }),
  );
  return mapped.some((r) => r.name === grant.role);
}

async function unmapRole(ctx: UserContext, f: RoleGrantFinding): Promise<EradicationStep> {
  const { admin, realm, userId: id, call } = ctx;
  const label =
    f.container === 'realm' ? `realm role '${f.role}'` : `role '${f.role}' of client '${f.container}'`;
  if (f.container === 'realm') {
    const mapped = await call(() => admin.users.listRealmRoleMappings({ id, realm }));
    const role = mapped.find((r) => r.name === f.role);
    if (!role)
      return { finding: f, changed: false, before: `${label} not mapped`, after: `${label} not mapped` };
    await call(() =>
      admin.users.delRealmRoleMappings({ id, realm, roles: [{ id: role.id!, name: role.name! }] }),
    );
  } else {
    const [client] = await call(() => admin.clients.find({ clientId: f.container, realm }));
    const mapped = client?.id
      ? await call(() => admin.users.listClientRoleMappings({ id, realm, clientUniqueId: client.id! }))
      : [];
    const role = mapped.find((r) => r.name === f.role);
    if (!role)
      return { finding: f, changed: false, before: `${label} not mapped`, after: `${label} not mapped` };
    await call(() =>
      admin.users.delClientRoleMappings({
        id,
        realm,
        clientUniqueId: client!.id!,
        roles: [{ id: role.id!, name: role.name! }],
      }),
    );
  }
  return {
    finding: f,
    changed: true,
    before: `${label} granted by ${f.grantedBy}`,
    after: `removed ${label}`,
  };
}
