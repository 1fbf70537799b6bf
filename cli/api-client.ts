/**
 * The CLI's calls to the engine's REST API: the bearer token from the last sign-in (refreshed when
 * it has expired), or X-Actor for a dev-mode API; problem details turned into sentences a
 * responder can act on.
 */
import * as oidc from 'openid-client';
import { Profile, writeProfile } from './credentials';

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
    readonly status?: number,
    readonly body?: unknown,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/** openid-client refuses http:// issuers unless told; only loopback ones are allowed so. */
export function oidcOptions(issuer: string): Parameters<typeof oidc.discovery>[4] {
  const url = new URL(issuer);
  const loopback = ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  return url.protocol === 'http:' && loopback ? { execute: [oidc.allowInsecureRequests] } : undefined;
}

export async function oidcConfig(issuer: string, clientId: string): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(issuer), clientId, undefined, oidc.None(), oidcOptions(issuer));
}

export class ApiClient {
  constructor(
    private profile: Profile,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  private async token(): Promise<string | undefined> {
    const t = this.profile.tokens;
    if (!t) return undefined;
    if (t.expiresAt - 30_000 > Date.now()) return t.accessToken;
    if (!t.refreshToken || !this.profile.issuer || !this.profile.clientId) return t.accessToken;
    try {
      const config = await oidcConfig(this.profile.issuer, this.profile.clientId);
      const fresh = await oidc.refreshTokenGrant(config, t.refreshToken);
      this.profile = {
        ...this.profile,
        tokens: {
          accessToken: fresh.access_token,
          refreshToken: fresh.refresh_token ?? t.refreshToken,
          expiresAt: Date.now() + (fresh.expires_in ?? 60) * 1000,
          ...(fresh.id_token ? { idToken: fresh.id_token } : {}),
        },
      };
      writeProfile(this.profile, this.env);
      return fresh.access_token;
    } catch {
      throw new CliError("your sign-in has expired and could not be renewed: run 'ir login' again", 2, 401);
    }
  }

  async call<T = Record<string, unknown>>(method: string, route: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    const token = await this.token();
    if (token) headers.authorization = `Bearer ${token}`;
    else if (this.profile.actor) headers['x-actor'] = this.profile.actor;
    let res: Response;
    try {
      res = await fetch(new URL(route, this.profile.api), {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new CliError(
        `cannot reach the API at ${this.profile.api} (${(err as Error).cause ? String((err as { cause: Error }).cause.message) : (err as Error).message})`,
        3,
      );
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = text;
    }
    if (res.ok) return parsed as T;
    throw new CliError(explain(res.status, parsed), res.status === 401 ? 2 : 1, res.status, parsed);
  }
}

/** A failed call, in words: what happened and what to do about it. */
export function explain(status: number, body: unknown): string {
  const p = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  const detail = String(p.detail ?? p.message ?? (typeof body === 'string' ? body : '') ?? '').slice(0, 500);
  const name = String(p.error ?? '');
  switch (status) {
    case 400:
      return `the API refused the request as malformed: ${detail}`;
    case 401:
      return `not signed in, or your sign-in is no longer accepted (${detail}): run 'ir login'`;
    case 403:
      return name === 'Forbidden'
        ? `not allowed: ${detail} (ask an administrator for the role)`
        : `refused by the incident's rules (${name}): ${detail}`;
    case 404:
      return `not found: ${detail}`;
    case 409:
      return `conflict (${name}): ${detail} — read the incident again ('ir show <id>') and retry if it still applies`;
    case 429:
      return `too many requests: wait a moment and retry (${detail})`;
    case 503:
      return `the engine cannot answer right now: ${detail}`;
    default:
      return `the API answered ${status}${name ? ` ${name}` : ''}: ${detail}`;
  }
}
