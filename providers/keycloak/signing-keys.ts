/** Keycloak `signing-keys`: the realm's token-signing keys, and the realm settings hardening fixes. */
import type { Finding } from '../../domain/incident';
import type { EradicationStep, SigningKeyFinding, SigningKeys } from '../ports';
import type { KeycloakConnection } from './connection';

export class KeycloakSigningKeys implements SigningKeys {
  constructor(private readonly kc: KeycloakConnection) {}

  async signingKeys(realm: string): Promise<SigningKeyFinding[]> {
    return this.kc.tenantContext(realm).realmOps.activeSigningKeys();
  }

  async rotateSigningKeys(
    realm: string,
    keys: SigningKeyFinding[],
    opts: { since: string; oldKeys: 'disable' | 'passive' },
  ): Promise<EradicationStep> {
    return this.kc.tenantContext(realm).realmOps.rotateSigningKeys(keys, opts);
  }

  async harden(
    realm: string,
    setting: Extract<Finding, { kind: 'realm-setting' }>,
  ): Promise<EradicationStep> {
    return this.kc.tenantContext(realm).realmOps.harden(setting);
  }
}
