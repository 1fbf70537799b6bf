/**
 * The lab identity provider: a small, in-process OpenID Connect provider for exercises and demos.
 * It issues real RS256 tokens (verifiable with its JWKS), answers RFC 7662 introspection and RFC
 * 7009 revocation, refreshes, and serves userinfo, so containment checks against it are real
 * protocol checks. Users, sessions, clients and signing keys live in memory; every login and
 * refresh is an event, in Keycloak's event shape, for detection.
 *
 * It is a lab: passwords are compared in memory, nothing persists, and it listens on loopback.
 * Nothing selects it but explicit configuration.
 */
import { createHash, generateKeyPairSync, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, jwtVerify, SignJWT, createLocalJWKSet, type JWK } from 'jose';

export interface LabUser {
  id: string;
  username: string;
  password: string;
  /** Epoch ms the password was last set. */
  passwordSetAt: number;
  enabled: boolean;
  roles: Set<string>;
  requiredActions: Set<string>;
  /** Unix seconds: tokens issued before are refused. */
  notBefore: number;
  /**
   * Push MFA: after the right password the lab asks this device, and the login succeeds only if
   * it approves. The exercise runner plays the person holding the phone.
   */
  pushDevice?: () => PushAnswer | Promise<PushAnswer>;
}

export type PushAnswer = 'approve' | 'deny' | 'ignore';

export interface LabClient {
  clientId: string;
  /** Absent for a public client. */
  secret?: string;
  notBefore: number;
  /** When the secret was last rotated (epoch ms). */
  secretRotatedAt?: number;
}

interface Session {
  id: string;
  userId: string;
  clientId: string;
  startedAt: number;
}

interface SigningKey {
  kid: string;
  privateKey: KeyObject;
  jwk: JWK;
  status: 'active' | 'passive' | 'disabled';
  createdAt: number;
}

/** Keycloak's admin-event shape: who changed what (role mappings here). */
export interface LabAdminEvent {
  id: string;
  time: number;
  realmId: string;
  authDetails: { realmId: string; clientId?: string; userId: string; ipAddress?: string };
  operationType: 'CREATE' | 'DELETE' | 'UPDATE';
  resourceType: string;
  resourcePath: string;
  representation?: string;
}

/**
 * Where a reader of the lab's events left off: positions in both logs of one run of the lab
 * (`run`: a restarted lab is a new log), or a start time.
 */
export type LabEventCursor = { run: string; events: number; adminEvents: number } | { since: number };

/** Keycloak's event shape (REST representation), so the same parser and rules read it. */
export interface LabEvent {
  id: string;
  time: number;
  type: string;
  realmName: string;
  clientId?: string;
  userId?: string;
  sessionId?: string;
  ipAddress?: string;
  error?: string;
  details: Record<string, string>;
}

const ACCESS_TTL_S = 300;
const REFRESH_TTL_S = 1800;

export class LabIdp {
  readonly users = new Map<string, LabUser>();
  readonly clients = new Map<string, LabClient>();
  readonly sessions = new Map<string, Session>();
  readonly events: LabEvent[] = [];
  readonly adminEvents: LabAdminEvent[] = [];
  /** This run of the lab: its logs begin empty with it. */
  readonly run = randomUUID();
  private readonly keys: SigningKey[] = [];
  private readonly revokedRefresh = new Set<string>();

  private constructor(
    private readonly server: http.Server,
    readonly issuer: string,
    readonly realm: string,
  ) {}

  /** Starts the provider on a loopback port (0: any free one). */
  static async start(opts: { realm?: string; port?: number } = {}): Promise<LabIdp> {
    const realm = opts.realm ?? 'lab';
    // eslint-disable-next-line prefer-const -- assigned once the server listens, read by its handler
    let idp!: LabIdp;
    const server = http.createServer((req, res) => {
      idp
        .handle(req, res)
        .catch((err: unknown) => json(res, 500, { error: 'server_error', error_description: String(err) }));
    });
    await new Promise<void>((resolve) => server.listen(opts.port ?? 0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    idp = new LabIdp(server, `http://127.0.0.1:${port}/realms/${realm}`, realm);
    await idp.rotateKeys('passive');
    return idp;
  }

  async stop(): Promise<void> {
    await new Promise((r) => this.server.close(r));
  }

  addUser(username: string, password: string, roles: string[] = []): LabUser {
    const user: LabUser = {
      id: randomUUID(),
      username,
      password,
      passwordSetAt: Date.now(),
      enabled: true,
      roles: new Set(roles),
      requiredActions: new Set(),
      notBefore: 0,
    };
    this.users.set(user.id, user);
    return user;
  }

  /**
   * A client; a confidential one (with a secret) gets a service account, as Keycloak names it
   * (`service-account-<client id>`): its client-credentials tokens and events are about that user.
   */
  addClient(clientId: string, secret?: string): LabClient {
    const client: LabClient = { clientId, secret, notBefore: 0 };
    this.clients.set(clientId, client);
    if (secret) this.addUser(serviceAccountName(clientId), randomBytes(24).toString('base64url'));
    return client;
  }

  userByName(username: string): LabUser | undefined {
    return [...this.users.values()].find((u) => u.username.toLowerCase() === username.toLowerCase());
  }

  /** Ends every session of the user and refuses every token issued to them so far. */
  logout(userId: string): number {
    const ended = [...this.sessions.values()].filter((s) => s.userId === userId);
    for (const s of ended) this.sessions.delete(s.id);
    const user = this.users.get(userId);
    // Tokens of ended sessions are refused with them; earlier seconds are refused outright.
    if (user) user.notBefore = Math.floor(Date.now() / 1000);
    return ended.length;
  }

  /** A new secret for a confidential client (the old one stops authenticating at once). */
  rotateClientSecret(clientId: string): string {
    const client = this.clients.get(clientId);
    if (!client?.secret) throw new Error(`no confidential client '${clientId}'`);
    client.secret = randomBytes(24).toString('base64url');
    client.secretRotatedAt = Date.now();
    return client.secret;
  }

  /** Refuses every token issued to the client before `notBefore` (Unix seconds). */
  setClientNotBefore(clientId: string, notBefore: number): void {
    const client = this.clients.get(clientId);
    if (!client) throw new Error(`no client '${clientId}'`);
    client.notBefore = notBefore;
  }

  /** Refuses every token issued before `notBefore` (Unix seconds), to everyone and every client. */
  refuseTokensBefore(notBefore: number): void {
    for (const user of this.users.values()) user.notBefore = notBefore;
    for (const client of this.clients.values()) client.notBefore = notBefore;
  }

  /**
   * The next events after `cursor`, login and admin events alike, oldest first, at most `max` of
   * each kind, and where to continue. A cursor from another run of the lab starts over.
   */
  pullEvents(
    cursor: LabEventCursor,
    max: number,
  ): { records: (LabEvent | LabAdminEvent)[]; cursor: LabEventCursor; more: boolean } {
    const since = 'since' in cursor ? cursor.since : undefined;
    const same = 'run' in cursor && cursor.run === this.run;
    const from = <T extends { time: number }>(log: T[], at: number) => {
      if (since === undefined) return same ? Math.min(at, log.length) : 0;
      const first = log.findIndex((e) => e.time >= since);
      return first < 0 ? log.length : first;
    };
    const e0 = from(this.events, same ? cursor.events : 0);
    const a0 = from(this.adminEvents, same ? cursor.adminEvents : 0);
    const events = this.events.slice(e0, e0 + max);
    const admin = this.adminEvents.slice(a0, a0 + max);
    return {
      records: [...events, ...admin].sort((a, b) => a.time - b.time),
      cursor: { run: this.run, events: e0 + events.length, adminEvents: a0 + admin.length },
      more: e0 + events.length < this.events.length || a0 + admin.length < this.adminEvents.length,
    };
  }

  /** A new active key; the old ones become `old` (disabled: tokens they signed are refused). */
  async rotateKeys(old: 'passive' | 'disabled'): Promise<string> {
    for (const k of this.keys) if (k.status === 'active') k.status = old;
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const kid = createHash('sha256').update(randomUUID()).digest('base64url').slice(0, 16);
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
    this.keys.push({ kid, privateKey, jwk, status: 'active', createdAt: Date.now() });
    return kid;
  }

  /**
   * The active signing key, private part included: what an attacker who stole it holds. Exercises
   * use it to forge tokens; nothing in the engine calls it.
   */
  stealSigningKey(): { kid: string; privateKey: KeyObject } {
    const { kid, privateKey } = this.keys.find((k) => k.status === 'active')!;
    return { kid, privateKey };
  }

  /** The key signing new tokens. */
  get activeKey(): { kid: string; createdAt: number } {
    const { kid, createdAt } = this.keys.find((k) => k.status === 'active')!;
    return { kid, createdAt };
  }

  /** The kids the JWKS publishes (disabled keys are not). */
  get publishedKids(): string[] {
    return this.keys.filter((k) => k.status !== 'disabled').map((k) => k.kid);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.issuer);
    if (url.pathname.startsWith(`/admin/realms/${this.realm}/`)) return this.admin(req, url.pathname, res);
    const base = new URL(this.issuer).pathname;
    const path = url.pathname.startsWith(base) ? url.pathname.slice(base.length) : url.pathname;
    const form = req.method === 'POST' ? new URLSearchParams(await body(req)) : new URLSearchParams();
    const ip = clientIp(req);
    switch (`${req.method} ${path}`) {
      case 'GET /.well-known/openid-configuration':
        return json(res, 200, this.discovery());
      case 'GET /protocol/openid-connect/certs':
        return json(res, 200, { keys: this.keys.filter((k) => k.status !== 'disabled').map((k) => k.jwk) });
      case 'POST /protocol/openid-connect/token':
        return this.token(req, form, ip, res);
      case 'POST /protocol/openid-connect/token/introspect': {
        if (!this.authenticateClient(req, form, true)) return json(res, 401, { error: 'invalid_client' });
        const claims = await this.validate(form.get('token') ?? '');
        return json(res, 200, claims ? { active: true, ...claims } : { active: false });
      }
      case 'POST /protocol/openid-connect/revoke': {
        const client = this.authenticateClient(req, form, false);
        if (!client) return json(res, 401, { error: 'invalid_client' });
        const claims = await this.validate(form.get('token') ?? '', { allowRefresh: true });
        if (claims?.typ === 'Refresh' && typeof claims.jti === 'string') {
          this.revokedRefresh.add(claims.jti);
          if (typeof claims.sid === 'string') this.sessions.delete(claims.sid);
        }
        res.writeHead(200).end();
        return;
      }
      case 'GET /protocol/openid-connect/userinfo': {
        // Recorded like Keycloak's USER_INFO_REQUEST events: a token presented, and why it failed.
        const token = (req.headers.authorization ?? '').replace(/^Bearer /i, '');
        const { claims, signed, error } = await this.check(token);
        const sub = typeof signed?.sub === 'string' ? signed.sub : undefined;
        const username = sub ? this.users.get(sub)?.username : undefined;
        this.event(claims ? 'USER_INFO_REQUEST' : 'USER_INFO_REQUEST_ERROR', {
          clientId: typeof signed?.azp === 'string' ? signed.azp : undefined,
          userId: sub,
          sessionId: typeof signed?.sid === 'string' ? signed.sid : undefined,
          ipAddress: ip,
          error,
          details: { ...(username ? { username } : {}), ...userAgent(req) },
        });
        if (!claims) return json(res, 401, { error: 'invalid_token' });
        return json(res, 200, { sub: claims.sub, preferred_username: claims.preferred_username });
      }
      default:
        return json(res, 404, { error: 'not_found' });
    }
  }

  /**
   * The one admin operation the lab serves: mapping realm roles to a user, as an account holding
   * `manage-users` or `realm-admin` (checked on its current roles, not the token's), recorded as a
   * Keycloak admin event so detection sees who granted what to whom.
   */
  private async admin(req: http.IncomingMessage, pathname: string, res: http.ServerResponse) {
    const target = new RegExp(`^/admin/realms/${this.realm}/users/([^/]+)/role-mappings/realm$`).exec(
      pathname,
    )?.[1];
    if (req.method !== 'POST' || !target) return json(res, 404, { error: 'not_found' });
    const claims = await this.validate((req.headers.authorization ?? '').replace(/^Bearer /i, ''));
    const actor = claims ? this.users.get(String(claims.sub)) : undefined;
    if (!claims || !actor) return json(res, 401, { error: 'invalid_token' });
    if (!actor.roles.has('manage-users') && !actor.roles.has('realm-admin'))
      return json(res, 403, { error: 'forbidden' });
    const user = this.users.get(decodeURIComponent(target));
    if (!user) return json(res, 404, { error: 'User not found' });
    let roles: { name?: unknown }[];
    try {
      roles = JSON.parse(await body(req)) as { name?: unknown }[];
      if (!Array.isArray(roles) || roles.some((r) => typeof r?.name !== 'string')) throw new Error();
    } catch {
      return json(res, 400, { error: 'expected a JSON array of roles with names' });
    }
    for (const r of roles) user.roles.add(String(r.name));
    this.adminEvents.push({
      id: randomUUID(),
      time: Date.now(),
      realmId: this.realm,
      authDetails: {
        realmId: this.realm,
        clientId: String(claims.azp),
        userId: actor.id,
        ipAddress: clientIp(req),
      },
      operationType: 'CREATE',
      resourceType: 'REALM_ROLE_MAPPING',
      resourcePath: `users/${user.id}/role-mappings/realm`,
      representation: JSON.stringify(roles.map((r) => ({ name: r.name }))),
    });
    res.writeHead(204).end();
  }

  private discovery() {
    const oidc = `${this.issuer}/protocol/openid-connect`;
    return {
      issuer: this.issuer,
      authorization_endpoint: `${oidc}/auth`,
      token_endpoint: `${oidc}/token`,
      introspection_endpoint: `${oidc}/token/introspect`,
      revocation_endpoint: `${oidc}/revoke`,
      userinfo_endpoint: `${oidc}/userinfo`,
      jwks_uri: `${oidc}/certs`,
      grant_types_supported: ['password', 'refresh_token', 'client_credentials'],
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic', 'none'],
      id_token_signing_alg_values_supported: ['RS256'],
      response_types_supported: ['code'],
      subject_types_supported: ['public'],
    };
  }

  private async token(
    req: http.IncomingMessage,
    form: URLSearchParams,
    ip: string,
    res: http.ServerResponse,
  ) {
    const client = this.authenticateClient(req, form, false);
    if (!client) return json(res, 401, { error: 'invalid_client' });
    const grant = form.get('grant_type');
    const agent = userAgent(req);
    const fail = (type: string, error: string, userId?: string, username?: string) => {
      this.event(type, {
        clientId: client.clientId,
        userId,
        ipAddress: ip,
        error,
        details: { ...(username ? { username } : {}), ...agent },
      });
      return json(res, 400, { error: 'invalid_grant', error_description: error });
    };
    if (grant === 'password') {
      const username = form.get('username') ?? '';
      const user = this.userByName(username);
      if (!user || user.password !== form.get('password'))
        return fail('LOGIN_ERROR', 'invalid_user_credentials', user?.id, username);
      if (!user.enabled) return fail('LOGIN_ERROR', 'user_disabled', user.id, username);
      if (user.requiredActions.size)
        return fail('LOGIN_ERROR', 'resolve_required_actions', user.id, username);
      if (user.pushDevice) {
        const answer = await user.pushDevice();
        const result = answer === 'approve' ? 'approved' : answer === 'deny' ? 'denied' : 'timeout';
        this.event('MFA_PUSH', {
          clientId: client.clientId,
          userId: user.id,
          ipAddress: ip,
          error: answer === 'approve' ? undefined : `push_${result}`,
          details: { username: user.username, result, ...agent },
        });
        if (answer !== 'approve')
          return json(res, 400, { error: 'invalid_grant', error_description: `push ${result}` });
      }
      const session: Session = {
        id: randomUUID(),
        userId: user.id,
        clientId: client.clientId,
        startedAt: Date.now(),
      };
      this.sessions.set(session.id, session);
      return json(res, 200, await this.tokens('LOGIN', user, session, client.clientId, ip, agent));
    }
    if (grant === 'refresh_token') {
      const claims = await this.validate(form.get('refresh_token') ?? '', { allowRefresh: true });
      const session = typeof claims?.sid === 'string' ? this.sessions.get(claims.sid) : undefined;
      const user = session ? this.users.get(session.userId) : undefined;
      if (!claims || claims.typ !== 'Refresh' || !session || !user || !user.enabled) {
        return fail('REFRESH_TOKEN_ERROR', 'invalid_token', user?.id);
      }
      return json(res, 200, await this.tokens('REFRESH_TOKEN', user, session, client.clientId, ip, agent));
    }
    if (grant === 'client_credentials') {
      const account = this.userByName(serviceAccountName(client.clientId));
      if (!client.secret || !account) return json(res, 400, { error: 'unauthorized_client' });
      if (!account.enabled) return fail('CLIENT_LOGIN_ERROR', 'user_disabled', account.id, account.username);
      this.event('CLIENT_LOGIN', {
        clientId: client.clientId,
        userId: account.id,
        ipAddress: ip,
        details: { username: account.username, grant_type: 'client_credentials', ...agent },
      });
      const access = await this.sign(
        { typ: 'Bearer', azp: client.clientId, sub: account.id, preferred_username: account.username },
        ACCESS_TTL_S,
      );
      return json(res, 200, { access_token: access, token_type: 'Bearer', expires_in: ACCESS_TTL_S });
    }
    return json(res, 400, { error: 'unsupported_grant_type' });
  }

  /** A session's tokens, and the event (LOGIN, REFRESH_TOKEN) that issued them. */
  private async tokens(
    type: string,
    user: LabUser,
    session: Session,
    clientId: string,
    ip: string,
    agent: { user_agent?: string },
  ) {
    this.event(type, {
      clientId,
      userId: user.id,
      sessionId: session.id,
      ipAddress: ip,
      details: { username: user.username, ...agent },
    });
    const common = { sub: user.id, sid: session.id, azp: clientId, preferred_username: user.username };
    const roles = { realm_access: { roles: [...user.roles] } };
    return {
      access_token: await this.sign({ ...common, ...roles, typ: 'Bearer' }, ACCESS_TTL_S),
      refresh_token: await this.sign({ ...common, typ: 'Refresh' }, REFRESH_TTL_S),
      id_token: await this.sign({ ...common, typ: 'ID', aud: clientId }, ACCESS_TTL_S),
      token_type: 'Bearer',
      expires_in: ACCESS_TTL_S,
      refresh_expires_in: REFRESH_TTL_S,
      session_state: session.id,
    };
  }

  private async sign(claims: Record<string, unknown>, ttlS: number): Promise<string> {
    const key = this.keys.find((k) => k.status === 'active')!;
    return new SignJWT({ ...claims, jti: randomUUID() })
      .setProtectedHeader({ alg: 'RS256', kid: key.kid, typ: 'JWT' })
      .setIssuer(this.issuer)
      .setIssuedAt()
      .setExpirationTime(`${ttlS}s`)
      .sign(key.privateKey);
  }

  /**
   * A token's claims if it is still good: signed by a published key, not expired, its session
   * alive (session tokens), its user (or service account) enabled, issued after the user's and
   * client's not-before, and (refresh tokens) not revoked. Refresh tokens count only where
   * `allowRefresh`.
   */
  private async validate(
    token: string,
    opts: { allowRefresh?: boolean } = {},
  ): Promise<Record<string, unknown> | undefined> {
    return (await this.check(token, opts)).claims;
  }

  /**
   * `validate`, saying why a token is refused: `user_session_not_found` for a validly signed,
   * otherwise good token whose session does not exist (ended — or never issued), `invalid_token`
   * for the rest. `signed` carries the claims of any token with a good signature.
   */
  private async check(
    token: string,
    opts: { allowRefresh?: boolean } = {},
  ): Promise<{ claims?: Record<string, unknown>; signed?: Record<string, unknown>; error?: string }> {
    const jwks = createLocalJWKSet({
      keys: this.keys.filter((k) => k.status !== 'disabled').map((k) => k.jwk),
    });
    const verified = await jwtVerify(token, jwks, { issuer: this.issuer }).catch(() => undefined);
    if (!verified) return { error: 'invalid_token' };
    const signed = verified.payload as Record<string, unknown>;
    const refused = { signed, error: 'invalid_token' };
    if (signed.typ === 'Refresh' && (!opts.allowRefresh || this.revokedRefresh.has(String(signed.jti))))
      return refused;
    const iat = Number(signed.iat ?? 0);
    const client = this.clients.get(String(signed.azp));
    if (client && iat < client.notBefore) return refused;
    const user = this.users.get(String(signed.sub));
    if (user && (!user.enabled || iat < user.notBefore)) return refused;
    if (typeof signed.sid === 'string' && (!user || !this.sessions.has(signed.sid)))
      return { signed, error: 'user_session_not_found' };
    return { claims: signed, signed };
  }

  /** Which client is calling; `confidentialOnly` for endpoints public clients may not use. */
  private authenticateClient(req: http.IncomingMessage, form: URLSearchParams, confidentialOnly: boolean) {
    let id = form.get('client_id') ?? undefined;
    let secret = form.get('client_secret') ?? undefined;
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
    if (basic) {
      const [u, p] = Buffer.from(basic, 'base64').toString().split(':');
      id = decodeURIComponent(u);
      secret = decodeURIComponent(p ?? '');
    }
    const client = id ? this.clients.get(id) : undefined;
    if (!client) return undefined;
    if (client.secret === undefined) return confidentialOnly ? undefined : client;
    return client.secret === secret ? client : undefined;
  }

  private event(type: string, e: Omit<LabEvent, 'id' | 'time' | 'type' | 'realmName'>): void {
    this.events.push({ id: randomUUID(), time: Date.now(), type, realmName: this.realm, ...e });
  }
}

export function serviceAccountName(clientId: string): string {
  return `service-account-${clientId}`.toLowerCase();
}

/** The caller's address; the lab trusts X-Forwarded-For (exercises play users from elsewhere). */
function clientIp(req: http.IncomingMessage): string {
  return String(req.headers['x-forwarded-for'] ?? req.socket.remoteAddress ?? '')
    .split(',')[0]
    .trim();
}

function userAgent(req: http.IncomingMessage): { user_agent?: string } {
  const ua = req.headers['user-agent'];
  return ua ? { user_agent: ua.slice(0, 300) } : {};
}

function body(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    req.on('data', (c: Buffer) => {
      data += c.toString();
      if (data.length > 64 * 1024) req.destroy(new Error('body too large'));
    });
    req.on('end', () => resolve(data));
    req.on('error', reject);
  });
}

function json(res: http.ServerResponse, status: number, value: unknown): void {
  res
    .writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' })
    .end(JSON.stringify(value));
}
