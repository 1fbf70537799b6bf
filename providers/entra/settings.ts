/**
 * How the engine reaches an Entra ID tenant, and the one credential every Graph call and the sign-in
 * collector use (@azure/identity): a client secret, or a certificate (its private key signs each
 * token request; nothing reusable leaves the machine), or the managed identity of the Azure host the
 * engine runs on.
 */
import {
  ClientCertificateCredential,
  ClientSecretCredential,
  ManagedIdentityCredential,
  type TokenCredential,
} from '@azure/identity';

export interface EntraSettings {
  tenantId: string;
  clientId: string;
  /** One of the three: a client secret (never logged, never in workflow history)… */
  clientSecret?: string;
  /** …a PEM file holding the app's certificate and its private key (ENTRA_CLIENT_CERTIFICATE_FILE)… */
  clientCertificateFile?: string;
  /** …or the host's managed identity (ENTRA_MANAGED_IDENTITY=on; `clientId` names a user-assigned one). */
  managedIdentity?: boolean;
  /** https://login.microsoftonline.com unless a sovereign cloud (or a test fake) says otherwise. */
  authority: string;
  /** https://graph.microsoft.com */
  graphUrl: string;
  /**
   * How far back each pull re-reads, for sign-ins Graph indexes minutes after they happened
   * (ENTRA_LATE_ARRIVAL_MS, default 10 min); ids already read there are skipped.
   */
  lateArrivalMs?: number;
}

const DEFAULT_AUTHORITY = 'https://login.microsoftonline.com';

/** The engine's credential for the tenant, from whichever of the three the settings give. */
export function entraCredential(settings: EntraSettings): TokenCredential {
  const authorityHost = settings.authority || DEFAULT_AUTHORITY;
  // A sovereign cloud or a private authority is trusted as configured (no discovery call).
  const options = { authorityHost, disableInstanceDiscovery: authorityHost !== DEFAULT_AUTHORITY };
  if (settings.managedIdentity) return new ManagedIdentityCredential({ clientId: settings.clientId });
  if (settings.clientCertificateFile)
    return new ClientCertificateCredential(
      settings.tenantId,
      settings.clientId,
      { certificatePath: settings.clientCertificateFile },
      options,
    );
  if (!settings.clientSecret)
    throw new Error('Entra ID: give a client secret, a certificate file or the managed identity');
  return new ClientSecretCredential(settings.tenantId, settings.clientId, settings.clientSecret, options);
}

/** The tenant refused the engine's own credential (bad secret, unknown key or app): waiting will not help. */
export function credentialRefused(message: string): boolean {
  return /invalid_client|unauthorized_client|AADSTS7000/.test(message);
}
