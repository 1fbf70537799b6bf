/**
 * Okta System Log collector (GET /api/v1/logs). Uses a *polling request*: `since` without `until`,
 * ascending, then always the `Link: rel="next"` URL Okta returns — also when the page is empty, as
 * that link is where new events will appear. The cursor is that URL, kept by the detector workflow.
 */
import * as okta from '@okta/okta-sdk-nodejs';
import { describeFailure, IdentityProviderError } from '../ports';
import { oktaClientConfig, type OktaServiceApp } from './connection';

export interface OktaSettings {
  /** https://<org>.okta.com */
  orgUrl: string;
  /** An API token (sent as `SSWS <token>`); never logged, never in workflow history… */
  apiToken?: string;
  /** …or the engine's OAuth service app (its access token, from the official SDK, as `Bearer`). */
  oauth?: OktaServiceApp;
}

export interface OktaCursor {
  /** The `next` link of the previous page; undefined before the first request. */
  next?: string;
  /** Where the first request starts (ISO). */
  since: string;
}

export interface OktaPage {
  records: unknown[];
  cursor: OktaCursor;
}

export class OktaSystemLog {
  /** The SDK client that gets (and caches) the service app's access token; OAuth only. */
  private readonly oauth?: {
    getAccessToken(): Promise<{ access_token: string; token_type?: string }>;
    clearCachedAccessToken(): void;
  };

  constructor(private readonly settings: OktaSettings) {
    if (settings.oauth)
      this.oauth = (
        new okta.Client(
          oktaClientConfig(settings) as ConstructorParameters<typeof okta.Client>[0],
        ) as unknown as {
          oauth: NonNullable<OktaSystemLog['oauth']>;
        }
      ).oauth;
  }

  /** SSWS with the API token, or Bearer with the service app's access token. */
  private async authorization(): Promise<string> {
    if (!this.oauth) return `SSWS ${this.settings.apiToken}`;
    try {
      const token = await this.oauth.getAccessToken();
      if (token.token_type && token.token_type !== 'Bearer')
        throw new Error(
          `the service app gets ${token.token_type} tokens: make it not require DPoP for the collector`,
        );
      return `Bearer ${token.access_token}`;
    } catch (err) {
      const message = describeFailure(err).slice(0, 200);
      throw new IdentityProviderError(
        'OktaAccessDenied',
        `OktaAccessDenied: no access token for the engine's service app (${message})`,
        /5\d\d|ECONNREFUSED|fetch failed/.test(message),
      );
    }
  }

  async pull(cursor: OktaCursor, limit: number): Promise<OktaPage> {
    const url = cursor.next
      ? this.sameOrigin(cursor.next)
      : `${this.settings.orgUrl.replace(/\/$/, '')}/api/v1/logs?since=${encodeURIComponent(cursor.since)}&limit=${limit}&sortOrder=ASCENDING`;
    const authorization = await this.authorization();
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization, accept: 'application/json' },
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new IdentityProviderError('OktaUnavailable', `OktaUnavailable: ${(err as Error).message}`, true);
    }
    if (res.status === 429) {
      // Okta says when the window resets (epoch seconds), not how long to wait.
      const reset = Number(res.headers.get('x-rate-limit-reset'));
      const wait = Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - Date.now()) : undefined;
      throw new IdentityProviderError(
        'OktaThrottled',
        `OktaThrottled: System Log rate limit reached${wait !== undefined ? `; resets in ${wait} ms` : ''}`,
        true,
        wait,
      );
    }
    if (res.status === 401 || res.status === 403) {
      // An expired or revoked access token: the next pull asks for a new one.
      this.oauth?.clearCachedAccessToken();
      throw new IdentityProviderError(
        'OktaAccessDenied',
        `OktaAccessDenied (${res.status}): the engine's credential cannot read the System Log (okta.logs.read)`,
        // An access token may just have expired: the retry gets a new one. An API token stays refused.
        res.status === 401 && Boolean(this.oauth),
      );
    }
    if (!res.ok) {
      throw new IdentityProviderError(
        'OktaUnavailable',
        `OktaUnavailable: System Log answered ${res.status}`,
        res.status >= 500,
      );
    }
    const records = (await res.json()) as unknown;
    if (!Array.isArray(records))
      throw new IdentityProviderError(
        'OktaBadResponse',
        'OktaBadResponse: System Log did not return an array',
        false,
      );
    return {
      records,
      cursor: { since: cursor.since, next: nextLink(res.headers.get('link')) ?? cursor.next ?? url },
    };
  }

  /** The next link must point at the configured org: the token is never sent elsewhere. */
  private sameOrigin(link: string): string {
    if (new URL(link).origin !== new URL(this.settings.orgUrl).origin) {
      throw new IdentityProviderError(
        'OktaBadResponse',
        'OktaBadResponse: next link points outside the configured org',
        false,
      );
    }
    return link;
  }
}

/** The URL of `rel="next"` in an RFC 8288 Link header. */
export function nextLink(header: string | null): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(',')) {
    const m = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(part.trim());
    if (m) return m[1];
  }
  return undefined;
}
