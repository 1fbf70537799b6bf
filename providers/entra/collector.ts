/**
 * Microsoft Entra ID sign-in collector: Microsoft Graph GET /v1.0/auditLogs/signIns, oldest first
 * from a cursor, following @odata.nextLink. The app token comes from the engine's credential for the
 * tenant (@azure/identity: secret, certificate or managed identity, as the containment connector's);
 * throttling (429, Retry-After) is retried by Temporal.
 */
import type { AccessToken, TokenCredential } from '@azure/identity';
import { describeFailure, IdentityProviderError, parseRetryAfter } from '../ports';
import { credentialRefused, entraCredential, type EntraSettings } from './settings';

export type { EntraSettings } from './settings';

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
  private readonly credential: TokenCredential;
  private token?: AccessToken;

  constructor(private readonly settings: EntraSettings) {
    this.credential = entraCredential(settings);
  }

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
    const token = await this.accessToken();
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { authorization: `Bearer ${token}` },
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
    if (this.token && this.token.expiresOnTimestamp > Date.now() + 30_000) return this.token.token;
    try {
      const token = await this.credential.getToken(`${this.settings.graphUrl.replace(/\/$/, '')}/.default`);
      if (!token) throw new Error('no token');
      this.token = token;
      return token.token;
    } catch (err) {
      // The credential's own message names the tenant and app; token-shaped values are masked anyway.
      const message = describeFailure(err).split('\n')[0].slice(0, 200);
      const refused = credentialRefused(message);
      throw new IdentityProviderError(
        refused ? 'EntraAccessDenied' : 'EntraUnavailable',
        `${refused ? "EntraAccessDenied: the tenant refused the engine's credential" : 'EntraUnavailable: no token for Graph'} (${message})`,
        !refused,
      );
    }
  }
}
