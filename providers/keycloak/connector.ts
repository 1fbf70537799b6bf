/**
 * The Keycloak connector: every port, over the admin REST API (@keycloak/keycloak-admin-client)
 * as the engine's service account, and the event collector detection pulls from.
 */
import type { ProviderReport } from '../../domain/ports';
import type { IdentityProvider, Ports } from '../ports';
import { KeycloakAccounts } from './accounts';
import { KeycloakAudit } from './audit';
import { KeycloakClients } from './clients';
import { pullEvents, type EventCursor, type EventPage } from './collector';
import { KeycloakConnection, type KeycloakSettings } from './connection';
import { checkKeycloakRealm } from './doctor';
import { KeycloakFactors } from './factors';
import { KeycloakRoles } from './roles';
import { KeycloakSessions } from './sessions';
import { KeycloakSigningKeys } from './signing-keys';

export type { EventCursor, EventPage } from './collector';
export type { KeycloakSettings } from './connection';
export { REQUEST_TIMEOUT_MS } from './connection';
export { REAUTH_ACTIONS } from './accounts';

export class KeycloakProvider implements IdentityProvider {
  readonly name = 'keycloak' as const;
  readonly ports: Required<Ports>;
  private readonly kc: KeycloakConnection;

  constructor(settings: KeycloakSettings) {
    const kc = (this.kc = new KeycloakConnection(settings));
    this.ports = {
      'audit-source': new KeycloakAudit(kc),
      'account-containment': new KeycloakAccounts(kc),
      'sessions-and-tokens': new KeycloakSessions(kc),
      factors: new KeycloakFactors(kc),
      'roles-and-grants': new KeycloakRoles(kc),
      'client-credentials': new KeycloakClients(kc),
      'signing-keys': new KeycloakSigningKeys(kc),
    };
  }

  async checkPermissions(realm: string): Promise<ProviderReport> {
    // Fresh clients: a realm asked about (GET /providers?realm=) is not kept in the connector's cache.
    const { admin, oidc } = this.kc.connect(realm);
    return checkKeycloakRealm(admin, oidc, this.kc.settings, realm);
  }

  /**
   * Reads login events (`kind: 'events'`) or admin events newer than `cursor`, oldest first, at most
   * `max`; events sharing a millisecond are neither lost nor read twice.
   */
  pullEvents(
    realm: string,
    kind: 'events' | 'admin-events',
    cursor: EventCursor,
    max: number,
  ): Promise<EventPage> {
    return pullEvents(this.kc, realm, kind, cursor, max);
  }
}
