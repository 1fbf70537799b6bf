/**
 * Microsoft Entra ID: Microsoft Graph through the official @microsoft/microsoft-graph-client, its
 * token from @azure/identity (a client secret here; a certificate or managed identity are the same
 * TokenCredential). The client's own retry handler is left out: a 429 or 503 surfaces here with its
 * Retry-After and is retried by Temporal after that wait.
 */
import type { TokenCredential } from '@azure/identity';
import {
  AuthenticationHandler,
  Client,
  GraphError,
  HTTPMessageHandler,
} from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { Principal } from '../../domain/incident';
import { peekClaims } from '../oidc';
import { describeFailure, IdentityProviderError, parseRetryAfter } from '../ports';
import { credentialRefused, entraCredential, type EntraSettings } from './settings';
import { observeIdpCall } from '../telemetry';

/** The user fields the engine reads ($select: Graph returns few by default). */
export const USER_FIELDS =
  'id,userPrincipalName,mail,accountEnabled,lastPasswordChangeDateTime,signInSessionsValidFromDateTime';

export interface EntraUser {
  id: string;
  userPrincipalName?: string;
  mail?: string | null;
  accountEnabled?: boolean;
  lastPasswordChangeDateTime?: string | null;
  signInSessionsValidFromDateTime?: string | null;
}

export class EntraConnection {
  readonly graph: Client;
  private readonly credential: TokenCredential;

  constructor(readonly settings: EntraSettings) {
    const credential = (this.credential = entraCredential(settings));
    const auth = new AuthenticationHandler(
      new TokenCredentialAuthenticationProvider(credential, { scopes: [`${GRAPH_RESOURCE}/.default`] }),
    );
    auth.setNext(new HTTPMessageHandler());
    const base = new URL(settings.graphUrl);
    this.graph = Client.initWithMiddleware({
      middleware: auth,
      baseUrl: `${base.origin}/`,
      defaultVersion: 'v1.0',
      customHosts: new Set([base.hostname]),
    });
  }

  /** The application permissions (the `roles` claim) of the engine's Graph token, for the doctor. */
  async grantedRoles(): Promise<string[]> {
    const token = await this.credential.getToken(`${GRAPH_RESOURCE}/.default`);
    const roles = token ? peekClaims(token.token)?.roles : undefined;
    return Array.isArray(roles) ? roles.map(String) : [];
  }

  /** The account `principal` names (object id or user principal name), or EntraUserNotFound. */
  async user(principal: Principal): Promise<EntraUser> {
    const user = (await call(
      principal,
      () =>
        this.graph
          .api(`/users/${encodeURIComponent(principal.username)}`)
          .select(USER_FIELDS)
          .get(),
      { notFoundIsDone: true },
    )) as EntraUser | undefined;
    if (!user?.id)
      throw new IdentityProviderError(
        'EntraUserNotFound',
        `EntraUserNotFound: user '${principal.username}' not in tenant '${principal.realm}'`,
        false,
      );
    return user;
  }
}

/** Graph's resource id: tokens are requested for it wherever the Graph endpoint is. */
const GRAPH_RESOURCE = 'https://graph.microsoft.com';

/**
 * Runs one Graph call and turns its failure into an IdentityProviderError that says what to do:
 * 429 and 503 after Retry-After, 5xx and the network retryable, 401/403 need a permission.
 */
export async function call<T>(
  principal: Principal,
  fn: () => Promise<T>,
  opts: { notFoundIsDone?: boolean } = {},
): Promise<T> {
  try {
    return await observeIdpCall(
      'entra',
      fn,
      (e) => e instanceof GraphError && [429, 503].includes(e.statusCode),
    );
  } catch (err) {
    if (err instanceof IdentityProviderError) throw err;
    const status = err instanceof GraphError ? err.statusCode : undefined;
    const detail = describeFailure(err);
    if (status === 404 && opts.notFoundIsDone) return undefined as T;
    if (status === 429 || status === 503) {
      const retryAfter = parseRetryAfter((err as GraphError).headers?.get('retry-after'));
      throw new IdentityProviderError(
        'EntraThrottled',
        `EntraThrottled: Graph answered ${status}${retryAfter !== undefined ? `; retry after ${retryAfter} ms` : ''}`,
        true,
        retryAfter,
      );
    }
    if (status === 401 || status === 403)
      throw new IdentityProviderError(
        'EntraAccessDenied',
        `EntraAccessDenied (${status}) for ${principal.username}: the engine's app lacks a Graph permission this needs (see npm run doctor): ${detail}`,
        false,
      );
    if (status === 404) throw new IdentityProviderError('EntraNotFound', `EntraNotFound: ${detail}`, false);
    if (status !== undefined && status >= 400 && status < 500 && status !== -1)
      throw new IdentityProviderError(
        'EntraRequestRejected',
        `EntraRequestRejected (${status}): ${detail}`,
        false,
      );
    // The tenant refused the engine's own credential (secret, certificate): waiting will not help.
    if (credentialRefused(detail))
      throw new IdentityProviderError(
        'EntraAccessDenied',
        `EntraAccessDenied: the tenant refused the engine's credential (${detail})`,
        false,
      );
    throw new IdentityProviderError('EntraUnavailable', `EntraUnavailable: ${detail}`, true);
  }
}
