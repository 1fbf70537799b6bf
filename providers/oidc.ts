/**
 * Standard OAuth/OIDC calls against a realm's issuer (`<baseUrl>/realms/<realm>`: Keycloak's, and the
 * lab's) through openid-client: the engine's own client-credentials token, RFC 7662 introspection and
 * refresh attempts. Token values stay in memory.
 */
import * as oidc from 'openid-client';
import { decodeJwt } from 'jose';

export interface OidcClientSettings {
  /** Keycloak base URL, e.g. http://127.0.0.1:18080 */
  baseUrl: string;
  realm: string;
  clientId: string;
  clientSecret: string;
}

export class RealmOidc {
  private config?: Promise<oidc.Configuration>;
  private cached?: { token: string; expiresAt: number };

  constructor(private readonly settings: OidcClientSettings) {}

  get issuer(): string {
    return `${this.settings.baseUrl.replace(/\/$/, '')}/realms/${encodeURIComponent(this.settings.realm)}`;
  }

  /** The engine's service-account access token, refreshed a little before it expires. */
  async serviceToken(): Promise<string> {
    const now = Date.now();
    if (this.cached && this.cached.expiresAt - 30_000 > now) return this.cached.token;
    const tokens = await oidc.clientCredentialsGrant(await this.configuration());
    this.cached = { token: tokens.access_token, expiresAt: now + (tokens.expires_in ?? 60) * 1000 };
    return tokens.access_token;
  }

  /** The engine's cached token is dead (the realm's keys were rotated): the next call gets a new one. */
  forgetToken(): void {
    this.cached = undefined;
  }

  /** A fresh client-credentials token, kept by the caller in memory only (a probe for key rotation). */
  async mintProbeToken(): Promise<string> {
    return (await oidc.clientCredentialsGrant(await this.configuration())).access_token;
  }

  /** Key ids the realm publishes in its JWKS right now. */
  async publishedKeyIds(): Promise<string[]> {
    const uri = (await this.configuration()).serverMetadata().jwks_uri;
    if (!uri) return [];
    const res = await fetch(uri, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`JWKS answered ${res.status}`);
    const jwks = (await res.json()) as { keys?: { kid?: string }[] };
    return (jwks.keys ?? []).map((k) => k.kid ?? '').filter(Boolean);
  }

  /** RFC 7662: is this token still accepted by the realm? */
  async isActive(token: string): Promise<boolean> {
    const result = await oidc.tokenIntrospection(await this.configuration(), token);
    return result.active === true;
  }

  /**
   * Tries to refresh with `refreshToken` as the public client it was issued to. Returns whether it
   * worked; tokens minted by a successful attempt are revoked straight away (RFC 7009).
   */
  async refreshStillWorks(refreshToken: string, publicClientId: string): Promise<boolean> {
    const server = (await this.configuration()).serverMetadata();
    const asPublicClient = new oidc.Configuration(server, publicClientId, undefined, oidc.None());
    asPublicClient.timeout = 10;
    if (this.isInsecure()) oidc.allowInsecureRequests(asPublicClient);
    try {
      const minted = await oidc.refreshTokenGrant(asPublicClient, refreshToken);
      for (const t of [minted.refresh_token, minted.access_token]) {
        if (t) await oidc.tokenRevocation(asPublicClient, t).catch(() => undefined);
      }
      return true;
    } catch (err) {
      if (err instanceof oidc.ResponseBodyError) return false;
      throw err;
    }
  }

  /**
   * Client credentials grant as another client of this realm, with `secret`: 'accepted', or the
   * token endpoint's error code. A token it mints is revoked at once; secrets stay in memory.
   */
  async clientCredentialsAs(clientId: string, secret: string): Promise<string> {
    const server = (await this.configuration()).serverMetadata();
    const asClient = new oidc.Configuration(server, clientId, undefined, oidc.ClientSecretPost(secret));
    if (this.isInsecure()) oidc.allowInsecureRequests(asClient);
    asClient.timeout = 10;
    try {
      const minted = await oidc.clientCredentialsGrant(asClient);
      await oidc.tokenRevocation(asClient, minted.access_token).catch(() => undefined);
      return 'accepted';
    } catch (err) {
      if (err instanceof oidc.ResponseBodyError) return err.error;
      if (err instanceof oidc.WWWAuthenticateChallengeError) {
        return String(err.cause[0]?.parameters.error ?? 'invalid_client');
      }
      throw err;
    }
  }

  private isInsecure(): boolean {
    return new URL(this.settings.baseUrl).protocol === 'http:';
  }

  private configuration(): Promise<oidc.Configuration> {
    if (!this.config) {
      // Plain http is accepted only because the local Keycloak listens on loopback.
      const insecure = this.isInsecure();
      this.config = oidc
        .discovery(
          new URL(this.issuer),
          this.settings.clientId,
          undefined,
          oidc.ClientSecretPost(this.settings.clientSecret),
          // Every request (discovery, tokens, introspection) gives up after 10 s: retried, not hung.
          { timeout: 10, ...(insecure ? { execute: [oidc.allowInsecureRequests] } : {}) },
        )
        .catch((err) => {
          this.config = undefined;
          throw err;
        });
    }
    return this.config;
  }
}

/** Reads a JWT's claims without verifying it: only to classify a token (refresh vs access, client). */
export function peekClaims(token: string): Record<string, unknown> | undefined {
  try {
    return decodeJwt(token) as Record<string, unknown>;
  } catch {
    return undefined; // not a compact JWS, or its payload is not a JSON object
  }
}

/**
 * Waits for the next whole second and returns it (Unix seconds). Keycloak compares whole seconds
 * and refuses only tokens issued *before* a not-before: set to this, it also refuses a token minted
 * in the second just ended, and none minted after (found by CI, where a token and the revocation
 * fell in the same second).
 */
export async function nextWholeSecond(): Promise<number> {
  await new Promise((r) => setTimeout(r, 1005 - (Date.now() % 1000)));
  return Math.floor(Date.now() / 1000);
}
