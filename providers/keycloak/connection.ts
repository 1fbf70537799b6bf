/**
 * Keycloak: one admin REST client and one OIDC client per realm (the engine's service account,
 * client credentials via openid-client), the account lookup every port starts from, and the
 * translation of Keycloak's failures into what to do about them.
 */
import KcAdminClient from '@keycloak/keycloak-admin-client';
import type UserRepresentation from '@keycloak/keycloak-admin-client/lib/defs/userRepresentation.js';
import { REALM_SUBJECT, type Principal } from '../../domain/incident';
import { describeFailure, IdentityProviderError, parseRetryAfter } from '../ports';
import { RealmOidc } from '../oidc';
import { KeycloakRealm } from './realm';
import { observeIdpCall } from '../telemetry';

export interface KeycloakSettings {
  baseUrl: string;
  /** Realm holding the engine's client; defaults to the principal's realm. */
  adminRealm?: string;
  clientId: string;
  clientSecret: string;
}

/** Deadline of one admin REST request. */
export const REQUEST_TIMEOUT_MS = 10_000;

/** One Keycloak call named after the principal it is for (errors then name its realm). */
export type Call = <T>(fn: () => Promise<T>, opts?: CallOptions) => Promise<T>;

/** What acting on one account needs: its realm's clients, the account, and calls named after it. */
export interface UserContext extends RealmContext {
  user: UserRepresentation;
  userId: string;
  /** The engine's OIDC client (introspection), maybe in the admin realm. */
  oidc: RealmOidc;
}

/** What acting in a principal's realm needs. */
export interface RealmContext {
  principal: Principal;
  realm: string;
  admin: KcAdminClient;
  /** An OIDC client in the principal's realm itself (proofs at its token endpoint). */
  own: RealmOidc;
  call: Call;
  /** The realm-wide operations (settings, signing keys). */
  realmOps: KeycloakRealm;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class KeycloakConnection {
  private readonly realms = new Map<string, { admin: KcAdminClient; oidc: RealmOidc }>();

  constructor(readonly settings: KeycloakSettings) {}

  /**
   * The account `principal` names (by username; by id, as admin events do; or by an email only one
   * account has), or KeycloakUserNotFound.
   */
  async user(principal: Principal): Promise<UserContext> {
    const ctx = this.realmContext(principal);
    const { admin, call } = ctx;
    const found = await call(() =>
      admin.users.find({ username: principal.username, exact: true, realm: principal.realm }),
    );
    let user = found.find((u) => u.username?.toLowerCase() === principal.username.toLowerCase());
    // Keycloak admin events name users by id only: a principal from one may carry the id.
    if (!user && UUID.test(principal.username)) {
      user = await call(() => admin.users.findOne({ id: principal.username, realm: principal.realm }), {
        notFoundIsDone: true,
      });
    }
    // An email names the account only when exactly one account has it.
    if (!user && principal.username.includes('@')) {
      const byEmail = (
        await call(() => admin.users.find({ email: principal.username, exact: true, realm: principal.realm }))
      ).filter((u) => u.email?.toLowerCase() === principal.username.toLowerCase());
      if (byEmail.length === 1) user = byEmail[0];
    }
    if (!user?.id) {
      throw new IdentityProviderError(
        'KeycloakUserNotFound',
        `KeycloakUserNotFound: user '${principal.username}' not in realm '${principal.realm}'`,
        false,
      );
    }
    return { ...ctx, user, userId: user.id, oidc: this.realm(principal.realm).oidc };
  }

  /**
   * The realm of `principal`: its admin client, the OIDC client for proofs there (the principal's
   * realm may not hold the engine's client), calls named after the principal, realm-wide operations.
   */
  realmContext(principal: Principal): RealmContext {
    const { admin, oidc } = this.realm(principal.realm);
    const settings = this.settings;
    const own =
      settings.adminRealm && settings.adminRealm !== principal.realm
        ? new RealmOidc({ ...settings, realm: principal.realm })
        : oidc;
    const bound: Call = (fn, opts) => call(principal, fn, opts);
    // After a key rotation every token the engine holds for the realm is dead: fetch new ones.
    const forgetTokens = () => {
      for (const entry of this.realms.values()) entry.oidc.forgetToken();
      own.forgetToken();
    };
    const realmOps = new KeycloakRealm(admin, principal.realm, own, bound, forgetTokens);
    return { principal, realm: principal.realm, admin, own, call: bound, realmOps };
  }

  /** Realm-wide operations act for the realm itself (errors then name the realm). */
  tenantContext(realm: string): RealmContext {
    return this.realmContext({ provider: 'keycloak', realm, username: REALM_SUBJECT });
  }

  /** The cached clients of realm `name`. */
  realm(name: string): { admin: KcAdminClient; oidc: RealmOidc } {
    let entry = this.realms.get(name);
    if (!entry) {
      entry = this.connect(name);
      this.realms.set(name, entry);
    }
    return entry;
  }

  /** An admin client and OIDC client for `name` (cached by `realm`, not by the doctor). */
  connect(name: string): { admin: KcAdminClient; oidc: RealmOidc } {
    const oidc = new RealmOidc({
      baseUrl: this.settings.baseUrl,
      realm: this.settings.adminRealm ?? name,
      clientId: this.settings.clientId,
      clientSecret: this.settings.clientSecret,
    });
    const admin = new KcAdminClient({
      baseUrl: this.settings.baseUrl,
      realmName: name,
      // Read (spread) once per request: each request gets its own deadline, so a hung Keycloak
      // fails the call as KeycloakUnavailable (retried) instead of holding the activity.
      requestOptions: {
        get signal() {
          return AbortSignal.timeout(REQUEST_TIMEOUT_MS);
        },
      },
    });
    admin.registerTokenProvider({ getAccessToken: () => oidc.serviceToken() });
    return { admin, oidc };
  }
}

/** How a call treats answers that are not failures for it. */
export interface CallOptions {
  notFoundIsDone?: boolean;
  /**
   * A 409 is a transient conflict, not a refusal: for updates that change neither username nor
   * email, where Keycloak's "User exists with same username or email" can only mean concurrent
   * writes colliding in its store (seen with 50 containments at once). Retried; the action reads
   * before it writes, so the retry applies it once.
   */
  conflictIsTransient?: boolean;
}

/**
 * Runs one Keycloak call and turns its failure into an IdentityProviderError that says what to do:
 * rate limits and outages are retryable (honouring Retry-After), permission problems are not.
 */
export async function call<T>(
  principal: Principal,
  fn: () => Promise<T>,
  opts: CallOptions = {},
): Promise<T> {
  for (let waited = 0; ; waited++) {
    try {
      return await observeIdpCall('keycloak', fn, (e) => [429, 503].includes(httpStatus(e) ?? 0));
    } catch (err) {
      // A short Retry-After is waited out here: the request goes again when the limit allows it,
      // instead of failing the activity and coming back through Temporal's retry a beat later.
      const failure = keycloakFailure(principal, err, opts);
      if (failure === undefined) return undefined as T; // not found, and that means done
      const wait = failure.retryAfterMs;
      // (An error a nested call already mapped has had its waits.)
      const fresh = !(err instanceof IdentityProviderError);
      if (
        fresh &&
        failure.type === 'KeycloakThrottled' &&
        wait !== undefined &&
        wait <= MAX_WAIT_IN_PLACE_MS &&
        waited < WAITS_IN_PLACE
      ) {
        // A little jitter, so callers refused in the same window do not all come back at once.
        await new Promise((r) => setTimeout(r, wait + Math.floor(Math.random() * 50)));
        continue;
      }
      throw failure;
    }
  }
}

/** How long a Retry-After may be to be waited out inside one call, and how many times. */
const MAX_WAIT_IN_PLACE_MS = 5_000;
const WAITS_IN_PLACE = 5;

/**
 * What a failed Keycloak call means, as an IdentityProviderError that says what to do; undefined
 * for a 404 the caller takes as done.
 */
function keycloakFailure(
  principal: Principal,
  err: unknown,
  opts: CallOptions,
): IdentityProviderError | undefined {
  if (err instanceof IdentityProviderError) return err;
  const status = httpStatus(err);
  const where = `realm '${principal.realm}'`;
  if (status === 404 && opts.notFoundIsDone) return undefined;
  if (status === 409 && opts.conflictIsTransient) {
    return new IdentityProviderError(
      'KeycloakConflict',
      `KeycloakConflict: Keycloak reported a conflicting write in ${where}; retrying`,
      true,
    );
  }
  if (status === 429 || status === 503) {
    const retryAfter = parseRetryAfter(retryAfterHeader(err));
    return new IdentityProviderError(
      'KeycloakThrottled',
      `KeycloakThrottled: Keycloak answered ${status} for ${where}${retryAfter !== undefined ? `; retry after ${retryAfter} ms` : ''}`,
      true,
      retryAfter,
    );
  }
  if (status === 401 || status === 403) {
    return new IdentityProviderError(
      'KeycloakAccessDenied',
      `KeycloakAccessDenied: the engine's service account was refused (${status}) in ${where}; grant it the realm-management roles listed in the README`,
      false,
    );
  }
  if (status === 404) {
    return new IdentityProviderError(
      'KeycloakNotFound',
      `KeycloakNotFound: ${describeFailure(err)} in ${where}`,
      false,
    );
  }
  if (status !== undefined && status >= 400 && status < 500) {
    return new IdentityProviderError(
      'KeycloakRequestRejected',
      `KeycloakRequestRejected (${status}) in ${where}: ${describeFailure(err)}`,
      false,
    );
  }
  // 5xx, connection refused, timeouts: the provider may come back.
  return new IdentityProviderError(
    'KeycloakUnavailable',
    `KeycloakUnavailable for ${where}: ${describeFailure(err)}`,
    true,
  );
}

function httpStatus(err: unknown): number | undefined {
  const e = err as { response?: { status?: number }; status?: number };
  return e?.response?.status ?? (typeof e?.status === 'number' ? e.status : undefined);
}

function retryAfterHeader(err: unknown): string | null {
  const headers = (err as { response?: { headers?: Headers } })?.response?.headers;
  return headers && typeof headers.get === 'function' ? headers.get('retry-after') : null;
}
