/**
 * Okta System Log collector (GET /api/v1/logs). Uses a *polling request*: `since` without `until`,
 * ascending, then always the `Link: rel="next"` URL Okta returns — also when the page is empty, as
 * that link is where new events will appear. The cursor is that URL, kept by the detector workflow.
 */
import { IdentityProviderError } from '../ports';

export interface OktaSettings {
  /** https://<org>.okta.com */
  orgUrl: string;
  /** An API token (sent as `SSWS <token>`); never logged, never in workflow history. */
  apiToken: string;
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
  constructor(private readonly settings: OktaSettings) {}

  async pull(cursor: OktaCursor, limit: number): Promise<OktaPage> {
    const url = cursor.next
      ? this.sameOrigin(cursor.next)
      : `${this.settings.orgUrl.replace(/\/$/, '')}/api/v1/logs?since=${encodeURIComponent(cursor.since)}&limit=${limit}&sortOrder=ASCENDING`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `SSWS ${this.settings.apiToken}`, accept: 'application/json' },
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
      throw new IdentityProviderError(
        'OktaAccessDenied',
        `OktaAccessDenied (${res.status}): the API token cannot read the System Log (okta.logs.read)`,
        false,
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
