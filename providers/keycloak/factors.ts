/** Keycloak `factors`: second factors enrolled on one account. */
import type { Finding, Principal } from '../../domain/incident';
import type { EradicationStep, Factors } from '../ports';
import type { KeycloakConnection } from './connection';

type FactorFinding = Extract<Finding, { kind: 'factor' }>;

export class KeycloakFactors implements Factors {
  constructor(private readonly kc: KeycloakConnection) {}

  async removeFactor(principal: Principal, f: FactorFinding): Promise<EradicationStep> {
    const { admin, realm, userId: id, call } = await this.kc.user(principal);
    const label = `${f.type} factor${f.label ? ` '${f.label}'` : ''} enrolled ${f.createdAt}`;
    const present = (await call(() => admin.users.getCredentials({ id, realm }))).some(
      (c) => c.id === f.credentialId,
    );
    if (!present) return { finding: f, changed: false, before: `${label}: gone`, after: `removed ${label}` };
    await call(() => admin.users.deleteCredential({ id, credentialId: f.credentialId, realm }), {
      notFoundIsDone: true,
    });
    return { finding: f, changed: true, before: label, after: `removed ${label}` };
  }
}
