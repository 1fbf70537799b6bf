/**
 * Who may call the API. In `oidc` mode every call but health and the OpenAPI document needs a
 * bearer token from the configured issuer (validated against its JWKS), and each route names the
 * role it needs. `dev` mode trusts the X-Actor header and grants every role: it exists only when
 * configured explicitly (AUTH_MODE=dev) and is logged loudly at start-up.
 */
import {
  CanActivate,
  ExecutionContext,
  ForbiddenException,
  HttpException,
  Inject,
  Injectable,
  SetMetadata,
  UnauthorizedException,
  BadRequestException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { NextFunction, Request, Response } from 'express';
import { createRemoteJWKSet, jwtVerify, JWTPayload } from 'jose';
import { ENGINE_ROLES, EngineConfig, IngestSource, OidcAuth, requireAuth } from '../../config/config';
import { ENGINE_CONFIG } from '../temporal/temporal.module';
import { checkIngestSignature, SIGNATURE_WINDOW_S } from './signed-ingest';
import { problem, sendProblem } from '../common/problem';

export const ROLES = ENGINE_ROLES;
export type Role = (typeof ROLES)[number];

/** Roles a role includes: an approver and a responder can also read; an admin can do everything. */
const IMPLIES: Record<Role, Role[]> = {
  viewer: ['viewer'],
  responder: ['responder', 'viewer'],
  approver: ['approver', 'viewer'],
  ingest: ['ingest'],
  /** An SSF receiver manages its own event streams, nothing else. */
  receiver: ['receiver'],
  /** An identity provider asking for a global token revocation (POST /global-token-revocation). */
  revoker: ['revoker'],
  admin: [...ROLES],
};

const ROLES_KEY = 'ir:roles';
/** The role a route needs. Routes without it need `viewer`; `@Public()` ones need nothing. */
export const RequireRole = (role: Role) => SetMetadata(ROLES_KEY, role);
export const Public = () => SetMetadata(ROLES_KEY, 'public');

export interface Caller {
  /** A label for people to read (the token's preferred_username, e-mail or subject). */
  actor: string;
  /**
   * Who the caller is, for four-eyes: `<issuer>#<subject>` for a token (one person, whatever shape
   * their token takes), `dev:<name case-folded>` in dev mode, `source:<name>` for a signed source.
   */
  id: string;
  roles: Role[];
  /**
   * The group and role names the caller's token carries, exactly as given (the roles claim and
   * AUTH_GROUPS_CLAIM); approver routing compares them. Dev mode: the X-Actor-Groups header.
   */
  groups: string[];
  via: 'oidc' | 'dev' | 'hmac';
  /** A signing source: the provider and tenants it may push. */
  source?: IngestSource;
}

/** `rawBody`: the bytes of an /events request, kept for its signature. */
export type AuthedRequest = Request & { caller?: Caller; rawBody?: Buffer };

const ACTOR = /^[A-Za-z0-9@._+-]{1,100}$/;
const GROUP = /^[A-Za-z0-9@._:/ -]{1,100}$/;

@Injectable()
export class AuthGuard implements CanActivate {
  private readonly auth: Authenticator;

  constructor(
    private readonly reflector: Reflector,
    @Inject(ENGINE_CONFIG) config: EngineConfig,
  ) {
    this.auth = new Authenticator(config);
  }

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const needed =
      this.reflector.getAllAndOverride<Role | 'public' | undefined>(ROLES_KEY, [
        ctx.getHandler(),
        ctx.getClass(),
      ]) ?? 'viewer';
    if (needed === 'public') return true;
    const req = ctx.switchToHttp().getRequest<AuthedRequest>();
    // Large-body routes were authenticated before their body was read (authenticateBeforeBody).
    req.caller = req.caller ?? (await this.auth.authenticate(req, needed));
    requireRole(req.caller, needed);
    return true;
  }
}

function requireRole(caller: Caller, needed: Role): void {
  if (!caller.roles.includes(needed)) {
    throw new ForbiddenException({
      error: 'Forbidden',
      message: `'${caller.actor}' needs the '${needed}' role for this call (has: ${caller.roles.join(', ') || 'none'})`,
    });
  }
}

/**
 * Express middleware for routes with large bodies (/events, /codec): the caller is authenticated,
 * and holds the route's role, before a byte of the body is read. A signed push (HMAC) is checked for
 * a known source and a fresh timestamp here; its signature needs the body and is checked after.
 */
export function authenticateBeforeBody(config: EngineConfig, roleFor: (req: Request) => Role) {
  const auth = new Authenticator(config);
  return (req: AuthedRequest, res: Response, next: NextFunction) => {
    const needed = roleFor(req);
    const check = async () => {
      if (req.header('x-ir-signature') !== undefined && needed === 'ingest') return auth.precheckSigned(req);
      req.caller = await auth.authenticate(req, needed);
      requireRole(req.caller, needed);
    };
    check().then(
      () => next(),
      (err: unknown) => {
        if (err instanceof HttpException) {
          const body = err.getResponse() as { error?: string; message?: string } | string;
          const { error, message } = typeof body === 'string' ? { error: err.name, message: body } : body;
          sendProblem(res, problem(err.getStatus(), error ?? err.name, message ?? err.message, req));
        } else next(err);
      },
    );
  };
}

/** Who is calling: a bearer token of the configured issuer, a signing source, or dev mode's header. */
class Authenticator {
  private jwks?: ReturnType<typeof createRemoteJWKSet>;

  constructor(private readonly config: EngineConfig) {}

  async authenticate(req: AuthedRequest, needed: Role): Promise<Caller> {
    if (req.header('x-ir-signature') !== undefined && needed === 'ingest') return this.signedCaller(req);
    return requireAuth(this.config).mode === 'dev' ? this.devCaller(req, needed) : this.oidcCaller(req);
  }

  /** Before the body: the source is configured and the timestamp fresh (the signature comes after). */
  precheckSigned(req: AuthedRequest): void {
    const source = (this.config.ingestSources ?? []).find((s) => s.name === req.header('x-ir-source'));
    if (!source) throw unauthorized('X-IR-Source names no configured signing source');
    const ts = req.header('x-ir-timestamp') ?? '';
    if (!/^\d{1,12}$/.test(ts) || Math.abs(Date.now() / 1000 - Number(ts)) > SIGNATURE_WINDOW_S) {
      throw unauthorized(`X-IR-Timestamp must be unix seconds within ${SIGNATURE_WINDOW_S} s of now`);
    }
  }

  private signedCaller(req: AuthedRequest): Caller {
    const check = checkIngestSignature(
      this.config.ingestSources ?? [],
      {
        source: req.header('x-ir-source'),
        timestamp: req.header('x-ir-timestamp'),
        signature: req.header('x-ir-signature'),
      },
      typeof req.query.provider === 'string' ? req.query.provider : undefined,
      req.rawBody ?? Buffer.alloc(0),
    );
    if (!check.ok) {
      if (check.status === 403) throw new ForbiddenException({ error: 'Forbidden', message: check.reason });
      throw unauthorized(check.reason);
    }
    const actor = `source:${check.source.name}`;
    return { actor, id: actor, roles: ['ingest'], groups: [], via: 'hmac', source: check.source };
  }

  /** Reads (viewer routes, including the codec's POSTs from the Temporal UI) need no X-Actor. */
  private devCaller(req: Request, needed: Role): Caller {
    const actor = req.header('x-actor');
    if (needed !== 'viewer' && !actor) {
      throw new BadRequestException({
        error: 'BadRequest',
        message: 'X-Actor header is required (who is acting)',
      });
    }
    if (actor && !ACTOR.test(actor)) {
      throw new BadRequestException({
        error: 'BadRequest',
        message: 'X-Actor: 1-100 letters, digits, @ . _ + -',
      });
    }
    const label = actor ?? 'anonymous';
    const groups = (req.header('x-actor-groups') ?? '')
      .split(',')
      .map((g) => g.trim())
      .filter(Boolean);
    if (groups.length > 50 || groups.some((g) => !GROUP.test(g))) {
      throw new BadRequestException({
        error: 'BadRequest',
        message:
          'X-Actor-Groups: up to 50 comma-separated names of 1-100 letters, digits, @ . _ : / - and spaces',
      });
    }
    return { actor: label, id: `dev:${label.toLowerCase()}`, roles: [...ROLES], groups, via: 'dev' };
  }

  private async oidcCaller(req: Request): Promise<Caller> {
    const auth = requireAuth(this.config);
    if (auth.mode !== 'oidc') throw new Error('unreachable');
    const header = req.header('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token) throw unauthorized('a bearer token is required');
    let claims: JWTPayload;
    try {
      this.jwks ??= createRemoteJWKSet(new URL(auth.jwksUrl ?? (await jwksUri(auth.issuer))));
      ({ payload: claims } = await jwtVerify(token, this.jwks, {
        issuer: auth.issuer,
        audience: auth.audience,
        requiredClaims: ['sub'],
      }));
    } catch (err) {
      throw unauthorized(`the bearer token was refused (${(err as Error).name})`);
    }
    // The client the token was issued to must be one this API serves (a token an unrelated
    // application obtained for the same user is not a credential for this API).
    if (claims.azp !== undefined && !auth.authorizedParties.includes(String(claims.azp))) {
      throw unauthorized('the bearer token was issued to a client this API does not accept (azp)');
    }
    const granted = new Set<Role>();
    const held = new Set(roleClaim(claims, auth.rolesClaim));
    for (const role of ROLES) {
      if (held.has(auth.roleNames[role])) IMPLIES[role].forEach((r) => granted.add(r));
    }
    const actor = String(claims.preferred_username ?? claims.email ?? claims.sub).slice(0, 100);
    const groups = [...new Set([...held, ...(auth.groupsClaim ? roleClaim(claims, auth.groupsClaim) : [])])];
    return { actor, id: `${auth.issuer}#${claims.sub}`, roles: [...granted], groups, via: 'oidc' };
  }
}

/** The configured claim (a dotted path such as `realm_access.roles`): role names, exactly as given. */
function roleClaim(claims: JWTPayload, path: OidcAuth['rolesClaim']): string[] {
  let value: unknown = claims;
  for (const key of path.split('.')) {
    value =
      typeof value === 'object' && value !== null && Object.hasOwn(value, key)
        ? (value as Record<string, unknown>)[key]
        : undefined;
  }
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

async function jwksUri(issuer: string): Promise<string> {
  const res = await fetch(`${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, {
    signal: AbortSignal.timeout(10_000),
  });
  if (!res.ok) throw new Error(`discovery at ${issuer} answered ${res.status}`);
  const { jwks_uri } = (await res.json()) as { jwks_uri?: string };
  if (!jwks_uri) throw new Error(`${issuer} publishes no jwks_uri`);
  return jwks_uri;
}

function unauthorized(message: string): UnauthorizedException {
  return new UnauthorizedException({ error: 'Unauthorized', message });
}
