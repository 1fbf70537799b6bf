/**
 * Keycloak `client-credentials`: a confidential client's secret or signing key, and the tokens
 * issued to it. Each reads before it writes: Keycloak issues a new secret per call, so a retry must
 * find the rotation already done rather than rotate twice.
 */
import { createHash } from 'node:crypto';
import type { ActionOutcome, Finding, Principal } from '../../domain/incident';
import {
  IdentityProviderError,
  type ClientCredentials,
  type ClientDescription,
  type EradicationStep,
} from '../ports';
import type { KeycloakConnection } from './connection';
import { nextWholeSecond, type RealmOidc } from '../oidc';

type ClientFinding = Extract<Finding, { kind: 'client-used' }>;

const SECRET_CREATED = 'client.secret.creation.time';

export class KeycloakClients implements ClientCredentials {
  constructor(private readonly kc: KeycloakConnection) {}

  /**
   * A new client secret, once per incident: Keycloak records when the current secret was created,
   * so a retry that finds it newer than the incident knows the rotation already happened. The old
   * secret never leaves this function; it is used once, to prove the token endpoint refuses it.
   */
  async rotateSecret(
    principal: Principal,
    f: ClientFinding,
    { since }: { since: string },
  ): Promise<EradicationStep> {
    const { admin, realm, call, own } = this.kc.realmContext(principal);
    const [client] = await call(() => admin.clients.find({ clientId: f.clientId, realm }));
    if (!client?.id) return clientGone(f);
    const createdS = Number(client.attributes?.[SECRET_CREATED] ?? 0);
    if (createdS * 1000 >= Date.parse(since) - 1000) {
      return {
        finding: f,
        changed: false,
        before: `secret of '${f.clientId}' created ${new Date(createdS * 1000).toISOString()}`,
        after: `secret of '${f.clientId}' already rotated during this incident`,
      };
    }
    const old = (await call(() => admin.clients.getClientSecret({ id: client.id!, realm }))).value;
    const fresh = (await call(() => admin.clients.generateNewClientSecret({ id: client.id!, realm }))).value;
    const proof = old && fresh ? await proveSecretRotation(own, f.clientId, old, fresh) : 'no secret to test';
    return {
      finding: f,
      changed: true,
      before: `secret of '${f.clientId}' created ${createdS ? new Date(createdS * 1000).toISOString() : 'at an unknown time'}`,
      after: `rotated the secret of client '${f.clientId}'`,
      proof,
    };
  }

  /**
   * A new key pair for a client that authenticates with signed JWTs: Keycloak generates it and
   * keeps only the certificate; the private key is dropped here (never logged or returned), so the
   * old key stops authenticating and the client's owner uploads a certificate of their own. A retry
   * sees a certificate other than the one the investigation found and changes nothing.
   */
  async rotateKey(principal: Principal, f: ClientFinding): Promise<EradicationStep> {
    const { admin, realm, call } = this.kc.realmContext(principal);
    const [client] = await call(() => admin.clients.find({ clientId: f.clientId, realm }));
    if (!client?.id) return clientGone(f);
    const current = certificateFingerprint(client.attributes?.[JWT_CERTIFICATE]);
    const before = `certificate of '${f.clientId}' sha256 ${f.certificateSha256?.slice(0, 16) ?? 'unknown'}…`;
    if (current && f.certificateSha256 && current !== f.certificateSha256) {
      return { finding: f, changed: false, before, after: `key of client '${f.clientId}' already replaced` };
    }
    const generated = await call(() =>
      admin.clients.generateKey({ id: client.id!, attr: 'jwt.credential', realm }),
    );
    const fresh = certificateFingerprint(generated.certificate);
    // Keycloak caches a client's public key; generating a key does not evict it, a client update does.
    const updated = await call(() => admin.clients.findOne({ id: client.id!, realm }));
    if (updated) await call(() => admin.clients.update({ id: client.id!, realm }, updated));
    if (!fresh || fresh === current) {
      throw new IdentityProviderError(
        'ClientKeyRotationUnproven',
        `ClientKeyRotationUnproven: the certificate of '${f.clientId}' did not change`,
        true,
      );
    }
    return {
      finding: f,
      changed: true,
      before,
      after: `replaced the key of client '${f.clientId}' (its owner uploads a new certificate)`,
      proof: `the client's certificate is now sha256 ${fresh.slice(0, 16)}…; the old key no longer matches it`,
    };
  }

  /** The client's secret and certificate (dates and fingerprints only) and its service account. */
  async describeClient(principal: Principal, clientId: string): Promise<ClientDescription> {
    const { admin, realm, call } = this.kc.realmContext(principal);
    const client = await this.client(principal, clientId);
    const credentials: ClientDescription['credentials'] = [];
    const createdS = Number(client.attributes?.[SECRET_CREATED] ?? 0);
    const authentication = clientAuthentication(client.clientAuthenticatorType, client.attributes);
    if (!client.publicClient && authentication === 'secret')
      credentials.push({
        id: 'client-secret',
        kind: 'secret',
        createdAt: createdS ? new Date(createdS * 1000).toISOString() : undefined,
        active: true,
      });
    const cert = certificateFingerprint(client.attributes?.[JWT_CERTIFICATE]);
    if (cert) credentials.push({ id: `sha256:${cert.slice(0, 16)}`, kind: 'key', active: true });
    const account = client.serviceAccountsEnabled
      ? await call(() => admin.clients.getServiceAccountUser({ id: client.id!, realm }))
      : undefined;
    return { clientId, name: client.name, credentials, serviceAccount: account?.username };
  }

  async revokeClientTokens(
    principal: Principal,
    clientId: string,
    opts: { since: string },
  ): Promise<ActionOutcome> {
    const { admin, realm, call } = this.kc.realmContext(principal);
    const client = await this.client(principal, clientId);
    if ((client.notBefore ?? 0) * 1000 >= Date.parse(opts.since) - 1000) {
      return {
        action: 'revokeClientTokens',
        changed: false,
        detail: `tokens of '${clientId}' already revoked during this incident`,
      };
    }
    const notBefore = await nextWholeSecond();
    await call(() => admin.clients.update({ id: client.id!, realm }, { ...client, notBefore }));
    return {
      action: 'revokeClientTokens',
      changed: true,
      detail: `every token issued to '${clientId}' before ${new Date(notBefore * 1000).toISOString()} is refused`,
    };
  }

  /** The client `clientId` names in the principal's realm, or KeycloakNotFound. */
  private async client(principal: Principal, clientId: string) {
    const { admin, realm, call } = this.kc.realmContext(principal);
    const [client] = await call(() => admin.clients.find({ clientId, realm }));
    if (!client?.id)
      throw new IdentityProviderError(
        'KeycloakNotFound',
        `KeycloakNotFound: client '${clientId}' in realm '${realm}'`,
        false,
      );
    return client as typeof client & { id: string };
  }
}

async function proveSecretRotation(
  oidc: RealmOidc,
  clientId: string,
  old: string,
  fresh: string,
): Promise<string> {
  const attempt = (secret: string) => oidc.clientCredentialsAs(clientId, secret);
  const [withOld, withNew] = [await attempt(old), await attempt(fresh)];
  if (withOld !== 'invalid_client' && withOld !== 'unauthorized_client') {
    throw new IdentityProviderError(
      'SecretRotationUnproven',
      `SecretRotationUnproven: the token endpoint answered '${withOld}' to the old secret of '${clientId}'`,
      true,
    );
  }
  if (withOld === withNew)
    return `old and new secret both answered '${withOld}': rotation not provable this way`;
  return `old secret refused by the token endpoint (${withOld}); new secret ${withNew === 'accepted' ? 'accepted' : `authenticates (${withNew})`}`;
}

export const JWT_CERTIFICATE = 'jwt.credential.certificate';

function clientGone(f: Finding & { clientId: string }): EradicationStep {
  return { finding: f, changed: false, before: `client '${f.clientId}' gone`, after: 'nothing to rotate' };
}

export function clientAuthentication(
  authenticator: string | undefined,
  attributes: Record<string, unknown> | undefined,
): NonNullable<Extract<Finding, { kind: 'client-used' }>['authentication']> {
  switch (authenticator ?? 'client-secret') {
    case 'client-secret':
    case 'client-secret-jwt':
      return 'secret';
    case 'client-jwt':
      return attributes?.['use.jwks.url'] === 'true' ? 'jwt-jwks-url' : 'jwt-certificate';
    case 'client-x509':
      return 'x509';
    default:
      return 'other';
  }
}

/** SHA-256 of a certificate given as Keycloak stores it (base64 DER, no PEM armour). */
export function certificateFingerprint(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  return createHash('sha256').update(Buffer.from(value, 'base64')).digest('hex');
}

/** Role names from an admin event's representation (a JSON array of roles), when details are on. */
