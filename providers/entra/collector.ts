/**
 * Microsoft Entra ID sign-in collector: Microsoft Graph GET /v1.0/auditLogs/signIns, oldest first
 * from a cursor, following @odata.nextLink. The app token comes from the tenant's token endpoint
 * (client credentials through openid-client); throttling (429, Retry-After) is retried by Temporal.
 */
import * as oidc from 'openid-client';
import { IdentityProviderError, parseRetryAfter } from '../ports';

export interface EntraSettings {
  tenantId: string;
  clientId: string;
  /** Never logged, never in workflow history. */
  clientSecret: string;
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

/** Ids kept in the cursor to skip re-read sign-ins (the detector's own dedup backs it). */
const RECENT_IDS = 1000;

/** Newest sign-in time read, the ids read at exactly that time, and the latest ids read. */
export interface EntraCursor {
  time: string;
  seenAtTime: string[];
  /** The last ids read (newest last), so the late-arrival window is re-read without repeats. */
  recent?: string[];
}

export class EntraSignIns {
  private config?: Promise<oidc.Configuration>;
  private token?: { value: string; until: number };

  constructor(private readonly settings: EntraSettings) {}

  async pull(
    cursor: EntraCursor,
    max: number,
  ): Promise<{ records: unknown[]; cursor: EntraCursor; more: boolean }> {
    // Re-read the late-arrival window: Graph may index a sign-in after later ones were read.
    const overlap = this.settings.lateArrivalMs ?? 10 * 60_000;
    const from = new Date(Date.parse(cursor.time) - overlap).toISOString();
    let url: string | undefined =
      `${this.settings.graphUrl.replace(/\/$/, '')}/v1.0/auditLogs/signIns` +
      `?$filter=${encodeURIComponent(`createdDateTime ge ${from}`)}&$orderby=${encodeURIComponent('createdDateTime asc')}&$top=${Math.min(max, 1000)}`;
    const known = new Set([...(cursor.recent ?? []), ...cursor.seenAtTime]);
    const fresh: { id?: string; createdDateTime?: string }[] = [];
    for (let pages = 0; url && fresh.length < max && pages < 50; pages++) {
      const page = (await this.get(url)) as { value?: unknown; '@odata.nextLink'?: string };
      if (!Array.isArray(page.value))
        throw new IdentityProviderError(
          'EntraBadResponse',
          'EntraBadResponse: signIns returned no value array',
          false,
        );
      for (const r of page.value as { id?: string; createdDateTime?: string }[]) {
        if (r.id && known.has(r.id)) continue;
        if (r.id) known.add(r.id);
        fresh.push(r);
      }
      url = page['@odata.nextLink'];
    }
    let next: EntraCursor = { ...cursor, recent: [...(cursor.recent ?? cursor.seenAtTime)] };
    for (const r of fresh) {
      const t = r.createdDateTime ?? next.time;
      const id = r.id ?? t;
      next.recent!.push(id);
      // A late arrival: read, but the cursor stays at the newest time.
      if (Date.parse(t) < Date.parse(next.time)) continue;
      next =
        t === next.time
          ? { ...next, seenAtTime: [...next.seenAtTime, id] }
          : { ...next, time: t, seenAtTime: [id] };
    }
    next.recent = next.recent!.slice(-RECENT_IDS);
    return { records: fresh, cursor: next, more: Boolean(url) };
  }

  private async get(url: string): Promise<unknown> {
    if (new URL(url).origin !== new URL(this.settings.graphUrl).origin) {
      throw new IdentityProviderError(
        'EntraBadResponse',
        'EntraBadResponse: nextLink points outside Microsoft Graph',
        false,
      );
    }
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${await this.accessToken()}` },
        signal: AbortSignal.timeout(30_000),
      });
    } catch (err) {
      throw new IdentityProviderError(
        'EntraUnavailable',
        `EntraUnavailable: ${(err as Error).message}`,
        true,
      );
    }
    if (res.status === 429 || res.status === 503) {
      const wait = parseRetryAfter(res.headers.get('retry-after'));
      throw new IdentityProviderError(
        'EntraThrottled',
        `EntraThrottled: Graph answered ${res.status}${wait !== undefined ? `; retry after ${wait} ms` : ''}`,
        true,
        wait,
      );
    }
    if (res.status === 401 || res.status === 403) {
      this.token = undefined;
      throw new IdentityProviderError(
        'EntraAccessDenied',
        `EntraAccessDenied (${res.status}): the app needs AuditLog.Read.All (application) consent`,
        false,
      );
    }
    if (!res.ok)
      throw new IdentityProviderError(
        'EntraUnavailable',
        `EntraUnavailable: Graph answered ${res.status}`,
        res.status >= 500,
      );
    return res.json();
  }

  private async accessToken(): Promise<string> {
    if (this.token && this.token.until > Date.now() + 30_000) return this.token.value;
    const tokens = await oidc.clientCredentialsGrant(await this.configuration(), {
      scope: `${this.settings.graphUrl.replace(/\/$/, '')}/.default`,
    });
    this.token = { value: tokens.access_token, until: Date.now() + (tokens.expires_in ?? 300) * 1000 };
    return tokens.access_token;
  }

  private configuration(): Promise<oidc.Configuration> {
    const issuer = new URL(
      `${this.settings.authority.replace(/\/$/, '')}/${encodeURIComponent(this.settings.tenantId)}/v2.0`,
    );
    this.config ??= oidc
      .discovery(
        issuer,
        this.settings.clientId,
        undefined,
        // HTTPS only: Microsoft's authority is, and so is the test fake (a certificate npm test trusts).
        oidc.ClientSecretPost(this.settings.clientSecret),
      )
      .catch((err) => {
        this.config = undefined;
        throw new IdentityProviderError(
          'EntraUnavailable',
          `EntraUnavailable: discovery failed (${(err as Error).message})`,
          true,
        );
      });
    return this.config;
  }
}
