/**
 * The Entra ID connector (Microsoft Graph through @microsoft/microsoft-graph-client, tokens from
 * @azure/identity): account containment, sessions and tokens, authentication methods, directory
 * roles, applications' client secrets, and the audit source. Signing keys are Microsoft's: a
 * playbook asking for them records "not supported by entra".
 */
import type { ProviderReport } from '../../domain/ports';
import type { IdentityProvider, Ports } from '../ports';
import { EntraAudit } from './audit';
import { EntraClients } from './clients';
import type { EntraSettings } from './settings';
import { EntraConnection } from './connection';
import { EntraAccounts, EntraFactors, EntraRoles, EntraSessions } from './containment';
import { checkEntraTenant } from './doctor';

export class EntraProvider implements IdentityProvider {
  readonly name = 'entra' as const;
  readonly ports: Ports;
  private readonly ok: EntraConnection;

  constructor(settings: EntraSettings) {
    const ok = (this.ok = new EntraConnection(settings));
    this.ports = {
      'audit-source': new EntraAudit(ok),
      'account-containment': new EntraAccounts(ok),
      'sessions-and-tokens': new EntraSessions(ok),
      factors: new EntraFactors(ok),
      'roles-and-grants': new EntraRoles(ok),
      'client-credentials': new EntraClients(ok),
    };
  }

  checkPermissions(tenant: string): Promise<ProviderReport> {
    return checkEntraTenant(this.ok, this.ports, tenant);
  }
}
