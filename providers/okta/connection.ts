/**
 * Okta: one Management API client (the official @okta/okta-sdk-nodejs, API token as SSWS) with
 * its own retries and GET cache turned off — a 429 surfaces here with X-Rate-Limit-Reset and is
 * retried by Temporal after that wait, and every idempotency check reads the org as it is now —
 * the account lookup every port starts from, and Okta's failures as what to do about them.
 */
import * as okta from '@okta/okta-sdk-nodejs';
import type { Principal } from '../../domain/incident';
import { describeFailure, IdentityProviderError } from '../ports';
import type { OktaServiceApp } from './settings';
import { observeIdpCall } from '../telemetry';

export type { OktaServiceApp } from './settings';

export interface OktaConnectorSettings {
  /** https://<org>.okta.com */
  orgUrl: string;
  /**
   * One of the two: an API token (SSWS) of an admin whose roles cover what the engine does (never
   * logged)…
   */
  apiToken?: string;
  /** …or an OAuth 2.0 service app (private_key_jwt), Okta's recommended way: scoped, no human owner. */
  oauth?: OktaServiceApp;
  /** A client the engine may introspect tokens with (suspect tokens proven dead); optional. */
  introspectionClientId?: string;
}

/** The SDK's client settings for either credential. */
export function oktaClientConfig(settings: OktaConnectorSettings) {
  return settings.oauth
    ? {
        orgUrl: settings.orgUrl,
        authorizationMode: 'PrivateKey',
        clientId: settings.oauth.clientId,
        privateKey: settings.oauth.privateKey,
        keyId: settings.oauth.keyId,
        // The SDK reads its scopes as one space-separated string.
        scopes: settings.oauth.scopes.join(' '),
      }
    : { orgUrl: settings.orgUrl, token: settings.apiToken, authorizationMode: 'SSWS' };
}

/** The User resource fields the engine reads. */
export interface OktaUser {
  id: string;
  status: string;
  passwordChanged?: string | Date | null;
  statusChanged?: string | Date | null;
  created?: string | Date | null;
  profile?: { login?: string; email?: string };
}

export class OktaConnection {
  readonly client: okta.Client;

  constructor(readonly settings: OktaConnectorSettings) {
    this.client = new okta.Client({
      ...oktaClientConfig(settings),
      // Rate limits are the activity's to wait out (its retry honours X-Rate-Limit-Reset).
      requestExecutor: new okta.RequestExecutor(),
      // No cached reads: a retry must see the org as it is now.
      cacheMiddleware: null,
    } as ConstructorParameters<typeof okta.Client>[0]);
  }

  /**
   * The account `principal` names (Okta's getUser takes the id or the login), or OktaUserNotFound.
   * `me` is refused: Okta resolves it to the API token's owner, the engine's own admin.
   */
  async user(principal: Principal): Promise<OktaUser> {
    const user =
      principal.username.toLowerCase() === 'me'
        ? undefined
        : ((await call(principal, () => this.client.userApi.getUser({ userId: principal.username }), {
            notFoundIsDone: true,
          })) as OktaUser | undefined);
    if (!user?.id)
      throw new IdentityProviderError(
        'OktaUserNotFound',
        `OktaUserNotFound: user '${principal.username}' not in the Okta org`,
        false,
      );
    if (user.id === (await this.tokenOwner(principal)))
      throw new IdentityProviderError(
        'OktaEngineAccount',
        `OktaEngineAccount: '${principal.username}' owns the engine's API token: the engine does not act on its own admin (it would lock itself out mid-incident); contain it by hand`,
        false,
      );
    return user;
  }

  private owner?: Promise<string | undefined>;

  /** The API token's owner (by id, read once); a service app is no user. */
  private tokenOwner(principal: Principal): Promise<string | undefined> {
    if (this.settings.oauth) return Promise.resolve(undefined);
    this.owner ??= call(principal, () => this.client.userApi.getUser({ userId: 'me' })).then(
      (me) => (me as OktaUser).id,
      (err: unknown) => {
        this.owner = undefined; // asked again next time
        throw err;
      },
    );
    return this.owner;
  }
}

/** An ISO time from Okta's date fields (the SDK gives Date objects or strings). */
export function oktaTime(value: string | Date | null | undefined): number {
  if (!value) return 0;
  return value instanceof Date ? value.getTime() : Date.parse(value);
}

/**
 * Runs one Okta call and turns its failure into an IdentityProviderError that says what to do: 429
 * is retryable after X-Rate-Limit-Reset, 5xx and the network are retryable, 401/403 need a grant.
 */
export async function call<T>(
  principal: Principal,
  fn: () => Promise<T>,
  opts: { notFoundIsDone?: boolean } = {},
): Promise<T> {
  try {
    return await observeIdpCall('okta', fn, (e) => (e as { status?: number }).status === 429);
  } catch (err) {
    if (err instanceof IdentityProviderError) throw err;
    const e = err as { status?: number; headers?: { get?: (n: string) => string | null }; message?: string };
    const status = typeof e.status === 'number' ? e.status : undefined;
    const detail = describeFailure(err);
    if (status === 404 && opts.notFoundIsDone) return undefined as T;
    if (status === 429) {
      const reset = Number(e.headers?.get?.('x-rate-limit-reset'));
      const wait = Number.isFinite(reset) && reset > 0 ? Math.max(0, reset * 1000 - Date.now()) : undefined;
      throw new IdentityProviderError(
        'OktaThrottled',
        `OktaThrottled: Okta's rate limit for this endpoint is reached${wait !== undefined ? `; resets in ${wait} ms` : ''}`,
        true,
        wait,
      );
    }
    if (status === 401 || status === 403)
      throw new IdentityProviderError(
        'OktaAccessDenied',
        `OktaAccessDenied (${status}) for ${principal.username}: the engine's API token lacks the admin role this needs (see npm run doctor): ${detail}`,
        false,
      );
    if (status === 404) throw new IdentityProviderError('OktaNotFound', `OktaNotFound: ${detail}`, false);
    if (status !== undefined && status >= 400 && status < 500)
      throw new IdentityProviderError(
        'OktaRequestRejected',
        `OktaRequestRejected (${status}): ${detail}`,
        false,
      );
    throw new IdentityProviderError('OktaUnavailable', `OktaUnavailable: ${detail}`, true);
  }
}
