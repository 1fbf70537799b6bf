/**
 * The test's own view of Keycloak: plain HTTP calls, independent of the engine's connector, so an
 * assertion like "the refresh token no longer works" is checked by a different path than the one
 * that did the revoking.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

import { DEFAULT_ROLE_NAMES, type OidcAuth } from '../../config/config';

export const REALM = 'corp';
/** The audience the tests' API accepts (an audience mapper puts it in the clients' tokens). */
export const API_AUDIENCE = 'ir-api';

/** The API's authentication against the test realm, accepting tokens issued to `clients`. */
export function testRealmAuth(issuer: string, clients: string[]): OidcAuth {
  return {
    mode: 'oidc',
    issuer,
    audience: [API_AUDIENCE],
    authorizedParties: clients,
    rolesClaim: 'realm_access.roles',
    roleNames: DEFAULT_ROLE_NAMES,
  };
}
export const APP_CLIENT = 'corp-app';
/** The local test realm's engine client (scripts/keycloak/corp-realm.json). */
export const ENGINE_CLIENT = { id: 'ir-engine', secret: 'local-dev-ir-engine-secret' };

export interface TestUser {
  username: string;
  id: string;
  password: string;
  otp: boolean;
  /** TOTP time steps already used: Keycloak refuses a code twice. */
  usedOtpSteps?: number[];
}

/** A code Keycloak accepts (its look-around window is one step either side) and has not seen. */
function nextOtp(user: TestUser): string {
  const now = Math.floor(Date.now() / 30_000);
  const used = (user.usedOtpSteps ??= []);
  const step = [now, now + 1, now - 1].find((s) => !used.includes(s));
  if (step === undefined) throw new Error('no unused TOTP step left in the current window');
  used.push(step);
  return totp(TOTP_SECRET, step * 30_000);
}

const TOTP_SECRET = 'attacker-enrolled-secret';

/**
 * RFC 6238 TOTP (SHA-1, 6 digits, 30 s). Keycloak keys the HMAC with the stored secret's raw bytes
 * (authenticator apps get them base32-encoded in the QR code).
 */
export function totp(secret: string, at = Date.now()): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(at / 30_000)));
  const mac = createHmac('sha1', Buffer.from(secret, 'utf8')).update(counter).digest();
  const offset = mac[mac.length - 1] & 0xf;
  const code = (mac.readUInt32BE(offset) & 0x7fffffff) % 1_000_000;
  return code.toString().padStart(6, '0');
}

export interface UserTokens {
  access_token: string;
  refresh_token: string;
  session_state?: string;
}

export class KeycloakTestClient {
  private adminToken?: { value: string; until: number };

  constructor(
    readonly baseUrl: string,
    readonly realm = REALM,
  ) {}

  get issuer(): string {
    return `${this.baseUrl}/realms/${this.realm}`;
  }

  private get oidc() {
    return `${this.issuer}/protocol/openid-connect`;
  }

  /**
   * A throwaway realm shaped like the test realm (scripts/keycloak/corp-realm.json: the engine's
   * client and service account, the app client), for tests that change a whole realm.
   */
  async createRealmLikeCorp(name: string): Promise<KeycloakTestClient> {
    const template = JSON.parse(
      readFileSync(path.join(__dirname, '../../scripts/keycloak/corp-realm.json'), 'utf8'),
    ) as Record<string, unknown>;
    const res = await fetch(`${this.baseUrl}/admin/realms`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await this.masterToken()}`, 'content-type': 'application/json' },
      body: JSON.stringify({ ...template, realm: name, displayName: `${name} (test realm)` }),
    });
    if (!res.ok) throw new Error(`creating realm ${name}: ${res.status} ${await res.text()}`);
    return new KeycloakTestClient(this.baseUrl, name);
  }

  async deleteRealm(): Promise<void> {
    await fetch(`${this.baseUrl}/admin/realms/${this.realm}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${await this.masterToken()}` },
    });
  }

  async realmSettings(): Promise<Record<string, unknown>> {
    return this.admin<Record<string, unknown>>('GET', '');
  }

  /** The kids the realm publishes in its JWKS. */
  async publishedKids(): Promise<string[]> {
    const res = await fetch(`${this.oidc}/certs`);
    return ((await res.json()) as { keys: { kid: string }[] }).keys.map((k) => k.kid);
  }

  async admin<T = unknown>(method: string, pathAndQuery: string, body?: unknown): Promise<T> {
    const res = await fetch(`${this.baseUrl}/admin/realms/${this.realm}${pathAndQuery}`, {
      method,
      headers: { authorization: `Bearer ${await this.masterToken()}`, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`admin ${method} ${pathAndQuery}: ${res.status} ${await res.text()}`);
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * A fresh user with a password and, with `otp`, a TOTP factor (as an attacker's enrolled phone
   * would look); returns what the test needs to log in as them.
   */
  async createUser(prefix = 'victim', opts: { otp?: boolean; roles?: string[] } = {}): Promise<TestUser> {
    const username = `${prefix}-${randomUUID().slice(0, 8)}`;
    const password = `pw-${randomUUID()}`;
    const otp = opts.otp
      ? [
          {
            type: 'otp',
            userLabel: 'attacker phone',
            secretData: JSON.stringify({ value: TOTP_SECRET }),
            credentialData: JSON.stringify({
              subType: 'totp',
              digits: 6,
              counter: 0,
              period: 30,
              algorithm: 'HmacSHA1',
            }),
          },
        ]
      : [];
    await this.admin('POST', '/users', {
      username,
      enabled: true,
      email: `${username}@corp.example`,
      emailVerified: true,
      firstName: 'Test',
      lastName: 'User',
      credentials: [{ type: 'password', value: password, temporary: false }, ...otp],
    });
    const [user] = await this.admin<{ id: string }[]>('GET', `/users?username=${username}&exact=true`);
    if (opts.roles?.length) {
      const reps = await Promise.all(opts.roles.map((r) => this.realmRole(r)));
      await this.admin('POST', `/users/${user.id}/role-mappings/realm`, reps);
    }
    return { username, id: user.id, password, otp: Boolean(opts.otp) };
  }

  /**
   * Makes sure the app client's tokens carry realm roles and the username (the `roles` and
   * `profile` scopes), also on a Keycloak whose realm was imported by an older realm file.
   */
  async ensureRolesInTokens(): Promise<void> {
    const [client] = await this.admin<{ id: string }[]>('GET', `/clients?clientId=${APP_CLIENT}`);
    const scopes = await this.admin<{ id: string; name: string }[]>('GET', '/client-scopes');
    for (const name of ['roles', 'profile', 'basic']) {
      const scope = scopes.find((s) => s.name === name);
      if (scope) await this.admin('PUT', `/clients/${client.id}/default-client-scopes/${scope.id}`);
    }
  }

  /**
   * Puts `audience` into the access tokens of `clientId` (Keycloak's audience mapper), as a
   * deployment does for the engine's API (AUTH_AUDIENCE). Idempotent.
   */
  async ensureAudience(clientId: string, audience: string): Promise<void> {
    const [client] = await this.admin<{ id: string }[]>('GET', `/clients?clientId=${clientId}`);
    const mappers = await this.admin<{ name: string }[]>(
      'GET',
      `/clients/${client.id}/protocol-mappers/models`,
    );
    const name = `audience ${audience}`;
    if (mappers.some((m) => m.name === name)) return;
    await this.admin('POST', `/clients/${client.id}/protocol-mappers/models`, {
      name,
      protocol: 'openid-connect',
      protocolMapper: 'oidc-audience-mapper',
      config: {
        'included.custom.audience': audience,
        'access.token.claim': 'true',
        'id.token.claim': 'false',
      },
    });
  }

  /** A public client with direct grants, its tokens carrying realm roles and the username. */
  async createPublicClient(prefix: string): Promise<{ id: string }> {
    const clientId = `${prefix}-${randomUUID().slice(0, 8)}`;
    await this.admin('POST', '/clients', {
      clientId,
      enabled: true,
      publicClient: true,
      directAccessGrantsEnabled: true,
      standardFlowEnabled: false,
      defaultClientScopes: ['profile', 'roles', 'basic', 'email'],
    });
    return { id: clientId };
  }

  /** A public client for the device authorization grant (a CLI's), tokens carrying realm roles. */
  async createDeviceClient(prefix: string): Promise<{ id: string }> {
    const clientId = `${prefix}-${randomUUID().slice(0, 8)}`;
    await this.admin('POST', '/clients', {
      clientId,
      enabled: true,
      publicClient: true,
      standardFlowEnabled: false,
      directAccessGrantsEnabled: false,
      attributes: { 'oauth2.device.authorization.grant.enabled': 'true' },
      defaultClientScopes: ['profile', 'roles', 'basic', 'email'],
    });
    return { id: clientId };
  }

  /** A public client for a browser app: authorization code with PKCE (S256) only, its origin allowed. */
  async createCodeFlowClient(clientId: string, redirectUri: string): Promise<void> {
    await this.admin('POST', '/clients', {
      clientId,
      enabled: true,
      publicClient: true,
      standardFlowEnabled: true,
      directAccessGrantsEnabled: false,
      implicitFlowEnabled: false,
      redirectUris: [redirectUri, `${redirectUri}*`],
      webOrigins: [new URL(redirectUri).origin],
      attributes: { 'pkce.code.challenge.method': 'S256', 'post.logout.redirect.uris': redirectUri },
      defaultClientScopes: ['profile', 'roles', 'basic', 'email'],
    });
  }

  /** A realm role, created when the realm (imported before it existed) lacks it. */
  async realmRole(name: string): Promise<{ id: string; name: string }> {
    try {
      return await this.admin<{ id: string; name: string }>('GET', `/roles/${name}`);
    } catch {
      await this.admin('POST', '/roles', { name });
      return this.admin<{ id: string; name: string }>('GET', `/roles/${name}`);
    }
  }

  /** Logs in with the password grant (allowed for the test realm's app client). */
  async login(
    user: TestUser,
    scope = 'openid',
    client: { id: string; secret?: string } = { id: APP_CLIENT },
  ): Promise<UserTokens> {
    const form = new URLSearchParams({
      grant_type: 'password',
      client_id: client.id,
      ...(client.secret ? { client_secret: client.secret } : {}),
      username: user.username,
      password: user.password,
      scope,
    });
    if (user.otp) form.set('totp', nextOtp(user));
    const res = await fetch(`${this.oidc}/token`, { method: 'POST', body: form });
    if (!res.ok) throw new Error(`login of ${user.username} failed: ${res.status} ${await res.text()}`);
    return (await res.json()) as UserTokens;
  }

  /** A confidential client with a secret, direct grants and a service account (client credentials). */
  async createConfidentialClient(prefix: string): Promise<{ id: string; secret: string; uuid: string }> {
    const { id, secret } = await this.confidentialClient(prefix, {
      directAccessGrantsEnabled: true,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
    });
    const [c] = await this.admin<{ id: string }[]>('GET', `/clients?clientId=${id}`);
    return { id, secret, uuid: c.id };
  }

  /** A confidential client named `<prefix>-<random>` with a fresh secret and these settings. */
  private async confidentialClient(
    prefix: string,
    settings: Record<string, unknown>,
  ): Promise<{ id: string; secret: string }> {
    const id = `${prefix}-${randomUUID().slice(0, 8)}`;
    const secret = `secret-${randomUUID()}`;
    await this.admin('POST', '/clients', {
      clientId: id,
      enabled: true,
      publicClient: false,
      secret,
      ...settings,
    });
    return { id, secret };
  }

  /**
   * A web app's confidential client: authorization code (PKCE) to `redirectUri`, and when given a
   * back-channel logout URL Keycloak posts logout tokens to (with the session id).
   */
  async createWebAppClient(
    prefix: string,
    redirectUri: string,
    backchannelLogoutUrl?: string,
  ): Promise<{ id: string; secret: string }> {
    return this.confidentialClient(prefix, {
      standardFlowEnabled: true,
      directAccessGrantsEnabled: false,
      redirectUris: [redirectUri],
      attributes: {
        'pkce.code.challenge.method': 'S256',
        ...(backchannelLogoutUrl
          ? {
              'backchannel.logout.url': backchannelLogoutUrl,
              'backchannel.logout.session.required': 'true',
            }
          : {}),
      },
      defaultClientScopes: ['profile', 'basic', 'email'],
    });
  }

  /** Client credentials grant: 'accepted', or the token endpoint's error code. */
  async clientCredentials(clientId: string, secret: string): Promise<string> {
    const res = await fetch(`${this.oidc}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: clientId,
        client_secret: secret,
      }),
    });
    if (res.ok) return 'accepted';
    return ((await res.json()) as { error?: string }).error ?? String(res.status);
  }

  /**
   * A machine client (an SSF receiver, an app): client credentials, its service account holding
   * `roles`, its tokens carrying them and `audience`. Answers a fresh access token on demand.
   */
  async machineClient(prefix: string, roles: string[], audience: string) {
    const c = await this.createConfidentialClient(prefix);
    const scopes = await this.admin<{ id: string; name: string }[]>('GET', '/client-scopes');
    for (const name of ['roles', 'profile', 'basic']) {
      const scope = scopes.find((x) => x.name === name);
      if (scope) await this.admin('PUT', `/clients/${c.uuid}/default-client-scopes/${scope.id}`);
    }
    const sa = await this.admin<{ id: string }>('GET', `/clients/${c.uuid}/service-account-user`);
    for (const role of roles) await this.grantRealmRole(sa.id, role);
    await this.ensureAudience(c.id, audience);
    const token = async () => {
      const res = await fetch(`${this.oidc}/token`, {
        method: 'POST',
        body: new URLSearchParams({
          grant_type: 'client_credentials',
          client_id: c.id,
          client_secret: c.secret,
        }),
      });
      if (!res.ok) throw new Error(`client credentials for ${c.id}: ${res.status}`);
      return ((await res.json()) as { access_token: string }).access_token;
    };
    return { ...c, token };
  }

  async grantRealmRole(userId: string, role: string): Promise<void> {
    await this.admin('POST', `/users/${userId}/role-mappings/realm`, [await this.realmRole(role)]);
  }

  async refresh(refreshToken: string): Promise<{ ok: boolean; status: number; error?: string }> {
    const res = await fetch(`${this.oidc}/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: APP_CLIENT,
        refresh_token: refreshToken,
      }),
    });
    const body = (await res.json()) as { error?: string };
    return { ok: res.ok, status: res.status, error: body.error };
  }

  async introspect(token: string): Promise<boolean> {
    const res = await fetch(`${this.oidc}/token/introspect`, {
      method: 'POST',
      body: new URLSearchParams({ token, client_id: ENGINE_CLIENT.id, client_secret: ENGINE_CLIENT.secret }),
    });
    if (!res.ok) throw new Error(`introspection failed: ${res.status}`);
    return ((await res.json()) as { active: boolean }).active;
  }

  async userinfo(accessToken: string): Promise<number> {
    const res = await fetch(`${this.oidc}/userinfo`, { headers: { authorization: `Bearer ${accessToken}` } });
    return res.status;
  }

  async user(id: string) {
    return this.admin<{ enabled: boolean; requiredActions: string[] }>('GET', `/users/${id}`);
  }

  async sessions(id: string) {
    return this.admin<{ id: string }[]>('GET', `/users/${id}/sessions`);
  }

  async offlineSessions(id: string) {
    const [client] = await this.admin<{ id: string }[]>('GET', `/clients?clientId=${APP_CLIENT}`);
    return this.admin<{ id: string }[]>('GET', `/users/${id}/offline-sessions/${client.id}`);
  }

  async credentials(id: string) {
    return this.admin<{ id: string; type: string }[]>('GET', `/users/${id}/credentials`);
  }

  private async masterToken(): Promise<string> {
    if (this.adminToken && this.adminToken.until > Date.now()) return this.adminToken.value;
    const res = await fetch(`${this.baseUrl}/realms/master/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'password',
        client_id: 'admin-cli',
        username: 'admin',
        password: 'admin',
      }),
    });
    if (!res.ok) throw new Error(`master admin login failed: ${res.status}`);
    const body = (await res.json()) as { access_token: string; expires_in: number };
    this.adminToken = { value: body.access_token, until: Date.now() + (body.expires_in - 10) * 1000 };
    return body.access_token;
  }
}
