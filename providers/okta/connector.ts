/**
 * The Okta connector (official @okta/okta-sdk-nodejs): account containment, sessions and tokens,
 * factors, admin roles, OAuth apps' client credentials, and the audit source. Signing keys are not
 * implemented yet: a playbook asking for them records "not supported by okta".
 */
import type { ProviderReport } from '../../domain/ports';
import type { IdentityProvider, Ports } from '../ports';
import { OktaAudit } from './audit';
import { OktaClients } from './clients';
import { OktaConnection, type OktaConnectorSettings } from './connection';
import { OktaAccounts, OktaFactors, OktaRoles, OktaSessions } from './containment';
import { checkOktaOrg } from './doctor';

export type { OktaConnectorSettings } from './connection';

export class OktaProvider implements IdentityProvider {
  readonly name = 'okta' as const;
  readonly ports: Ports;
  private readonly ok: OktaConnection;

  constructor(settings: OktaConnectorSettings) {
    const ok = (this.ok = new OktaConnection(settings));
    this.ports = {
      'audit-source': new OktaAudit(ok),
      'account-containment': new OktaAccounts(ok),
      'sessions-and-tokens': new OktaSessions(ok),
      factors: new OktaFactors(ok),
      'roles-and-grants': new OktaRoles(ok),
      'client-credentials': new OktaClients(ok),
    };
  }

  async checkPermissions(tenant: string): Promise<ProviderReport> {
    return checkOktaOrg(this.ok, this.ports, tenant);
  }
}
