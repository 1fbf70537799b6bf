/**
 * A stateful local Okta org, built from Okta's documented contracts (the Management API subset in
 * test/fixtures/vendor-specs/ (Apache-2.0), plus the Authentication and OAuth 2.0 APIs a user signs in through):
 * users with their lifecycle (status-gated as Okta's is: suspend only from ACTIVE, unsuspend only
 * from SUSPENDED), passwords, factors, sessions, consent grants, refresh and access tokens, admin
 * roles, OAuth apps with their client secrets (two at most, only an inactive one deleted) and the
 * client-credentials grant, and a System Log of what happened. The engine talks to it through the official SDK
 * (@okta/okta-sdk-nodejs); tests sign users in through /api/v1/authn and /oauth2/v1/token and prove
 * what containment did through introspection, as an attacker holding the tokens would find out.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { decodeJwt, decodeProtectedHeader, importSPKI, jwtVerify } from 'jose';

type Status = 'ACTIVE' | 'SUSPENDED' | 'PASSWORD_EXPIRED' | 'RECOVERY' | 'DEPROVISIONED' | 'LOCKED_OUT';

export interface OktaOrgUser {
  id: string;
  status: Status;
  created: string;
  statusChanged: string;
  passwordChanged: string;
  profile: { login: string; email: string; firstName: string; lastName: string };
  password: string;
  factors: { id: string; factorType: string; provider: string; status: 'ACTIVE'; created: string }[];
  roles: {
    id: string;
    type: string;
    label: string;
    status: 'ACTIVE';
    created: string;
    assignmentType: 'USER';
  }[];
}

interface Token {
  value: string;
  kind: 'access' | 'refresh';
  /** Empty for a client-credentials token (the app's own, no user). */
  userId: string;
  clientId: string;
  sessionId: string;
  grantId: string;
  expiresAt: number;
  revoked: boolean;
}

/** Okta's standard admin roles: type and label. */
const ROLE_LABELS: Record<string, string> = {
  SUPER_ADMIN: 'Super Administrator',
  ORG_ADMIN: 'Organizational Administrator',
  APP_ADMIN: 'Application Administrator',
  USER_ADMIN: 'Group Administrator',
  HELP_DESK_ADMIN: 'Help Desk Administrator',
  READ_ONLY_ADMIN: 'Read-only Administrator',
};

interface OktaApp {
  client_id: string;
  client_name: string;
  /** Okta keeps at most two; only an INACTIVE one may be deleted. The value never leaves but at creation. */
  secrets: { id: string; value: string; status: 'ACTIVE' | 'INACTIVE'; created: string }[];
}

/** The OAuth scopes that allow a Management API call (any one of them). */
function scopeFor(method: string, pathname: string): string[] {
  const read = method === 'GET';
  const family = (name: string) =>
    read ? [`okta.${name}.read`, `okta.${name}.manage`] : [`okta.${name}.manage`];
  if (pathname.startsWith('/api/v1/logs')) return ['okta.logs.read'];
  if (/^\/api\/v1\/users\/[^/]+\/roles/.test(pathname)) return family('roles');
  if (pathname.startsWith('/api/v1/users')) return family('users');
  if (pathname.startsWith('/api/v1/apps')) return family('apps');
  if (pathname.startsWith('/api/v1/api-tokens')) return family('apiTokens');
  if (pathname.startsWith('/api/v1/sessions')) return family('sessions');
  return ['okta.unknown'];
}

const id = (prefix: string) => `${prefix}${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`;

export class FakeOktaOrg {
  readonly users = new Map<string, OktaOrgUser>();
  readonly sessions = new Map<string, { id: string; userId: string; created: string }>();
  readonly grants = new Map<
    string,
    { id: string; userId: string; clientId: string; scopeId: string; created: string }
  >();
  readonly tokens = new Map<string, Token>();
  /** OAuth apps by client_id (the app's id): a native app has no secrets, a service app one or two. */
  readonly clients = new Map<string, OktaApp>();
  readonly log: Record<string, unknown>[] = [];
  /**
   * API tokens users made (SSWS), by value: each authenticates the Management API until revoked
   * (requests with one act as the token owner here, a simplification: only who may call is modelled).
   */
  readonly apiTokens = new Map<string, { id: string; name: string; userId: string; created: string }>();
  readonly requests: { method: string; path: string; status: number }[] = [];
  /** The next N management API requests answer 429 (X-Rate-Limit-Reset `resetInSeconds` later). */
  throttle = { times: 0, resetInSeconds: 1 };

  /** OAuth service apps (private_key_jwt) by client id: their public key and the scopes granted. */
  readonly serviceApps = new Map<string, { publicKey: string; scopes: string[] }>();
  /** Access tokens issued to service apps: each calls the Management API within its scopes. */
  private readonly serviceTokens = new Map<
    string,
    { clientId: string; scopes: string[]; expiresAt: number }
  >();

  /** The admin whose API token the engine holds (`/api/v1/users/me`); Super Administrator by default. */
  readonly tokenOwner: OktaOrgUser;

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
    private readonly apiToken: string,
  ) {
    this.tokenOwner = this.addUser('ir-engine-admin@example.test', randomBytes(16).toString('hex'), {
      roles: ['SUPER_ADMIN'],
    });
  }

  static async start(apiToken: string): Promise<FakeOktaOrg> {
    let org!: FakeOktaOrg; // eslint-disable-line prefer-const -- assigned once the server listens
    const server = http.createServer((req, res) => void org.handle(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    org = new FakeOktaOrg(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`, apiToken);
    return org;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** A user of the org, ACTIVE, with a password and (optionally) factors and admin roles. */
  addUser(login: string, password: string, opts: { factors?: string[]; roles?: string[] } = {}): OktaOrgUser {
    const now = new Date().toISOString();
    const user: OktaOrgUser = {
      id: id('00u'),
      status: 'ACTIVE',
      created: now,
      statusChanged: now,
      passwordChanged: now,
      profile: { login, email: login, firstName: login.split('@')[0], lastName: 'Test' },
      password,
      factors: (opts.factors ?? []).map((factorType) => ({
        id: id('mfa'),
        factorType,
        provider: factorType === 'push' ? 'OKTA' : 'GOOGLE',
        status: 'ACTIVE' as const,
        created: now,
      })),
      roles: (opts.roles ?? []).map((type) => ({
        id: id('ra'),
        type,
        label: type,
        status: 'ACTIVE' as const,
        created: now,
        assignmentType: 'USER' as const,
      })),
    };
    this.users.set(user.id, user);
    return user;
  }

  /** An OIDC app users sign in to (password and refresh grants, as a native app may). */
  addClient(clientId: string, name = clientId): void {
    this.clients.set(clientId, { client_id: clientId, client_name: name, secrets: [] });
  }

  /**
   * A confidential OAuth app (client_secret_basic or _post), with one secret made a minute ago:
   * the client-credentials grant, and users' sign-ins through it, need an active secret.
   */
  addServiceApp(name: string): { clientId: string; secret: string } {
    const clientId = id('0oa');
    const secret = randomBytes(30).toString('base64url');
    const created = new Date(Date.now() - 60_000).toISOString();
    this.clients.set(clientId, {
      client_id: clientId,
      client_name: name,
      secrets: [{ id: id('ocs'), value: secret, status: 'ACTIVE', created }],
    });
    return { clientId, secret };
  }

  /** An API token `userId` made (as an attacker with an admin's session would, for persistence). */
  addApiToken(userId: string, name: string): string {
    const value = `00${randomBytes(20).toString('hex')}`;
    this.apiTokens.set(value, { id: id('00T'), name, userId, created: new Date().toISOString() });
    return value;
  }

  /** A service app that authenticates with a signed JWT (its public key, PEM) and holds `scopes`. */
  addServiceAppWithKey(publicKey: string, scopes: string[]): string {
    const clientId = id('0oa');
    this.serviceApps.set(clientId, { publicKey, scopes });
    return clientId;
  }

  userByLogin(login: string): OktaOrgUser | undefined {
    return [...this.users.values()].find((u) => u.profile.login.toLowerCase() === login.toLowerCase());
  }

  /**
   * A System Log event. What the user did has the user as actor; what an admin did to the user (the
   * engine's token owner, through the Management API) has the admin as actor and the user as target.
   */
  private record(
    eventType: string,
    outcome: 'SUCCESS' | 'FAILURE',
    user: OktaOrgUser | undefined,
    extra = {},
    by: 'user' | 'admin' = 'user',
  ) {
    const ref = (u: OktaOrgUser) => ({ id: u.id, alternateId: u.profile.login, type: 'User' });
    this.log.push({
      uuid: randomUUID(),
      published: new Date().toISOString(),
      eventType,
      outcome: { result: outcome },
      actor:
        by === 'admin'
          ? ref(this.tokenOwner)
          : user
            ? ref(user)
            : { id: 'unknown', alternateId: 'unknown', type: 'User' },
      target: by === 'admin' && user ? [ref(user)] : [],
      client: { ipAddress: '203.0.113.50', userAgent: { rawUserAgent: 'test' } },
      ...extra,
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString();
    const method = req.method ?? 'GET';
    const answer = (status: number, body?: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method, path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(body === undefined ? '' : JSON.stringify(body));
    };
    const error = (status: number, code: string, summary: string) =>
      answer(status, { errorCode: code, errorSummary: summary, errorId: id('oae'), errorCauses: [] });

    // The Authentication and OAuth 2.0 APIs: how a user (or an attacker with the password) signs in.
    if (url.pathname === '/api/v1/authn' && method === 'POST')
      return this.authn(JSON.parse(raw || '{}'), answer, error);
    if (url.pathname === '/oauth2/v1/token' && method === 'POST') {
      const form = new URLSearchParams(raw);
      if (form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer')
        return this.serviceToken(form, `http://${req.headers.host}/oauth2/v1/token`, answer);
      return this.token(form, answer, req.headers.authorization);
    }
    if (url.pathname === '/oauth2/v1/introspect' && method === 'POST') {
      const form = new URLSearchParams(raw);
      if (!this.clients.has(form.get('client_id') ?? '')) return answer(401, { error: 'invalid_client' });
      const token = this.tokens.get(form.get('token') ?? '');
      return answer(200, { active: Boolean(token && this.live(token)) });
    }

    const ssws = /^SSWS (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const bearer = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1];
    const service = bearer ? this.serviceTokens.get(bearer) : undefined;
    if (bearer) {
      if (!service || service.expiresAt <= Date.now())
        return error(401, 'E0000011', 'Invalid token provided');
      const needed = scopeFor(method, url.pathname);
      if (!needed.some((scope) => service.scopes.includes(scope)))
        return answer(
          403,
          {
            errorCode: 'E0000006',
            errorSummary: 'You do not have permission to perform the requested action',
          },
          { 'www-authenticate': `Bearer error="insufficient_scope", scope="${needed[0]}"` },
        );
      // A service app is no user: `me` names nobody.
      if (url.pathname.startsWith('/api/v1/users/me'))
        return error(404, 'E0000007', 'Not found: Resource not found: me (User)');
    } else if (!ssws || (ssws !== this.apiToken && !this.apiTokens.has(ssws)))
      return error(401, 'E0000011', 'Invalid token provided');
    if (this.throttle.times > 0) {
      this.throttle.times -= 1;
      const reset = Math.ceil(Date.now() / 1000) + this.throttle.resetInSeconds;
      return answer(
        429,
        { errorCode: 'E0000047', errorSummary: 'API call exceeded rate limit due to too many requests.' },
        { 'x-rate-limit-limit': '600', 'x-rate-limit-remaining': '0', 'x-rate-limit-reset': String(reset) },
      );
    }
    const m = (re: RegExp) => re.exec(url.pathname);
    const userOf = (key: string) =>
      key === 'me'
        ? this.tokenOwner
        : (this.users.get(decodeURIComponent(key)) ?? this.userByLogin(decodeURIComponent(key)));
    let match: RegExpExecArray | null;

    if ((match = m(/^\/api\/v1\/users\/([^/]+)$/))) {
      const user = userOf(match[1]);
      if (!user) return error(404, 'E0000007', `Not found: Resource not found: ${match[1]} (User)`);
      if (method === 'GET') return answer(200, this.view(user));
      if (method === 'POST') {
        // Partial update: an admin may set the password (credentials.password.value) without the old one.
        const body = JSON.parse(raw || '{}') as { credentials?: { password?: { value?: string } } };
        const value = body.credentials?.password?.value;
        if (value) {
          user.password = value;
          user.passwordChanged = new Date().toISOString();
          this.record('user.account.update_password', 'SUCCESS', user, {}, 'admin');
        }
        return answer(200, this.view(user));
      }
    }
    if ((match = m(/^\/api\/v1\/users\/([^/]+)\/lifecycle\/([a-z_]+)$/)) && method === 'POST') {
      const user = userOf(match[1]);
      if (!user) return error(404, 'E0000007', 'Not found: Resource not found (User)');
      const op = match[2];
      const refuse = () =>
        error(400, 'E0000001', `Api validation failed: ${op} is not allowed for status ${user.status}`);
      const now = new Date().toISOString();
      const to = (status: Status) => {
        user.status = status;
        user.statusChanged = now;
      };
      switch (op) {
        case 'suspend':
          if (user.status !== 'ACTIVE') return refuse();
          to('SUSPENDED');
          this.endSessions(user.id, false);
          this.record('user.lifecycle.suspend', 'SUCCESS', user, {}, 'admin');
          return answer(200, {});
        case 'unlock':
          if (user.status !== 'LOCKED_OUT') return refuse();
          to('ACTIVE');
          this.record('user.account.unlock', 'SUCCESS', user, {}, 'admin');
          return answer(200, {});
        case 'unsuspend':
          if (user.status !== 'SUSPENDED') return refuse();
          to('ACTIVE');
          this.record('user.lifecycle.unsuspend', 'SUCCESS', user, {}, 'admin');
          return answer(200, {});
        case 'expire_password':
          if (user.status === 'SUSPENDED' || user.status === 'DEPROVISIONED') return refuse();
          to('PASSWORD_EXPIRED');
          this.record('user.password.expire', 'SUCCESS', user, {}, 'admin');
          return answer(200, this.view(user));
        case 'reset_factors':
          user.factors = [];
          this.record('user.mfa.factor.reset_all', 'SUCCESS', user, {}, 'admin');
          return answer(200, {});
        case 'reset_password': {
          if (user.status === 'SUSPENDED' || user.status === 'DEPROVISIONED') return refuse();
          to('RECOVERY');
          this.record('user.account.reset_password', 'SUCCESS', user, {}, 'admin');
          const sendEmail = url.searchParams.get('sendEmail') !== 'false';
          return answer(
            200,
            sendEmail ? {} : { resetPasswordUrl: `${this.url}/reset_password/${id('drp')}` },
          );
        }
        default:
          return error(404, 'E0000022', 'The endpoint does not support the provided HTTP method');
      }
    }
    if ((match = m(/^\/api\/v1\/users\/([^/]+)\/sessions$/)) && method === 'DELETE') {
      const user = userOf(match[1]);
      if (!user) return error(404, 'E0000007', 'Not found: Resource not found (User)');
      this.endSessions(user.id, url.searchParams.get('oauthTokens') === 'true');
      this.record('user.session.clear', 'SUCCESS', user, {}, 'admin');
      return answer(204);
    }
    if ((match = m(/^\/api\/v1\/sessions\/([^/]+)$/)) && method === 'GET') {
      const session = this.sessions.get(match[1]);
      if (!session) return error(404, 'E0000007', 'Not found: Resource not found (Session)');
      return answer(200, {
        id: session.id,
        userId: session.userId,
        status: 'ACTIVE',
        createdAt: session.created,
      });
    }
    if ((match = m(/^\/api\/v1\/sessions\/([^/]+)$/)) && method === 'DELETE') {
      if (!this.sessions.delete(match[1]))
        return error(404, 'E0000007', 'Not found: Resource not found (Session)');
      return answer(204);
    }
    if ((match = m(/^\/api\/v1\/users\/([^/]+)\/factors(?:\/([^/]+))?$/))) {
      const user = userOf(match[1]);
      if (!user) return error(404, 'E0000007', 'Not found: Resource not found (User)');
      if (!match[2] && method === 'GET') return answer(200, user.factors);
      if (match[2] && method === 'DELETE') {
        const before = user.factors.length;
        user.factors = user.factors.filter((f) => f.id !== match![2]);
        if (user.factors.length === before)
          return error(404, 'E0000007', 'Not found: Resource not found (Factor)');
        this.record('user.mfa.factor.deactivate', 'SUCCESS', user, {}, 'admin');
        return answer(204);
      }
    }
    if ((match = m(/^\/api\/v1\/users\/([^/]+)\/grants$/))) {
      const user = userOf(match[1]);
      if (!user) return error(404, 'E0000007', 'Not found: Resource not found (User)');
      const mine = [...this.grants.values()].filter((g) => g.userId === user.id);
      if (method === 'GET')
        return answer(
          200,
          mine.map((g) => ({
            ...g,
            status: 'ACTIVE',
            issuer: `${this.url}/oauth2/default`,
            source: 'END_USER',
          })),
        );
      if (method === 'DELETE') {
        for (const g of mine) this.revokeGrant(g.id);
        return answer(204);
      }
    }
    if ((match = m(/^\/api\/v1\/users\/([^/]+)\/clients$/)) && method === 'GET') {
      const user = userOf(match[1]);
      if (!user) return error(404, 'E0000007', 'Not found: Resource not found (User)');
      const used = new Set(
        [...this.tokens.values()].filter((t) => t.userId === user.id && this.live(t)).map((t) => t.clientId),
      );
      return answer(
        200,
        [...used].map((c) => ({ client_id: c, client_name: this.clients.get(c)?.client_name ?? c })),
      );
    }
    if ((match = m(/^\/api\/v1\/users\/([^/]+)\/clients\/([^/]+)\/tokens$/))) {
      const user = userOf(match[1]);
      if (!user) return error(404, 'E0000007', 'Not found: Resource not found (User)');
      const mine = [...this.tokens.values()].filter(
        (t) => t.userId === user.id && t.clientId === match![2] && t.kind === 'refresh' && this.live(t),
      );
      if (method === 'GET')
        return answer(
          200,
          mine.map((t) => ({
            id: t.value.slice(0, 20),
            status: 'ACTIVE',
            clientId: t.clientId,
            userId: t.userId,
          })),
        );
      if (method === 'DELETE') {
        for (const t of [...this.tokens.values()])
          if (t.userId === user.id && t.clientId === match[2]) t.revoked = true;
        return answer(204);
      }
    }
    if ((match = m(/^\/api\/v1\/users\/([^/]+)\/roles(?:\/([^/]+))?$/))) {
      const user = userOf(match[1]);
      if (!user) return error(404, 'E0000007', 'Not found: Resource not found (User)');
      if (!match[2] && method === 'GET') return answer(200, user.roles);
      if (!match[2] && method === 'POST') {
        const type = String((JSON.parse(raw || '{}') as { type?: string }).type ?? '');
        if (!type) return error(400, 'E0000001', 'Api validation failed: type');
        const existing = user.roles.find((r) => r.type === type);
        if (existing) return error(409, 'E0000090', 'The role specified is already assigned to the user.');
        const role = {
          id: id('ra'),
          type,
          label: ROLE_LABELS[type] ?? type,
          status: 'ACTIVE' as const,
          created: new Date().toISOString(),
          assignmentType: 'USER' as const,
        };
        user.roles.push(role);
        this.record('user.account.privilege.grant', 'SUCCESS', user, {}, 'admin');
        return answer(201, role);
      }
      if (match[2] && method === 'DELETE') {
        const before = user.roles.length;
        user.roles = user.roles.filter((r) => r.id !== match![2]);
        if (user.roles.length === before)
          return error(404, 'E0000007', 'Not found: Resource not found (Role)');
        this.record('user.account.privilege.revoke', 'SUCCESS', user, {}, 'admin');
        return answer(204);
      }
    }
    if (url.pathname === '/api/v1/users' && method === 'GET') {
      const search = url.searchParams.get('search') ?? url.searchParams.get('filter') ?? '';
      const wanted = /profile\.(?:login|email) eq "([^"]+)"/.exec(search)?.[1];
      const found = [...this.users.values()].filter(
        (u) =>
          !wanted || [u.profile.login, u.profile.email].some((n) => n.toLowerCase() === wanted.toLowerCase()),
      );
      return answer(
        200,
        found.map((u) => this.view(u)),
      );
    }
    if (this.apps(method, url.pathname, answer, error)) return;
    if (url.pathname === '/api/v1/api-tokens' && method === 'GET')
      return answer(
        200,
        [...this.apiTokens.values()].map((t) => ({
          ...t,
          clientName: 'Okta API',
          tokenWindow: 'P30D',
          expiresAt: new Date(Date.parse(t.created) + 30 * 86400_000).toISOString(),
          lastUpdated: t.created,
        })),
      );
    if ((match = m(/^\/api\/v1\/api-tokens\/([^/]+)$/)) && method === 'DELETE') {
      const entry = [...this.apiTokens].find(([, t]) => t.id === match![1]);
      if (!entry) return error(404, 'E0000007', 'Not found: Resource not found (ApiToken)');
      this.apiTokens.delete(entry[0]);
      return answer(204);
    }
    if (url.pathname === '/api/v1/logs' && method === 'GET') {
      const since = Date.parse(url.searchParams.get('since') ?? '1970-01-01T00:00:00Z');
      const filter = url.searchParams.get('filter') ?? '';
      const actor = /actor\.id eq "([^"]+)"/.exec(filter)?.[1];
      const target = /target\.id eq "([^"]+)"/.exec(filter)?.[1];
      const either = / or /.test(filter);
      const limit = Number(url.searchParams.get('limit') ?? 100);
      // A polling request (no `until`): pages by an opaque `after` cursor (here the event's index),
      // always with a next link — also when empty: that link is where new events will appear.
      if (!url.searchParams.has('until') && !filter) {
        const after = url.searchParams.get('after');
        const start =
          after !== null
            ? Number(after)
            : this.log.findIndex((e) => Date.parse(String(e.published)) >= since);
        const from = start < 0 ? this.log.length : start;
        const page = this.log.slice(from, from + limit);
        // Okta links relative to the host asked (a reverse proxy in front stays in the link).
        const next = new URL('/api/v1/logs', req.headers.host ? `http://${req.headers.host}` : this.url);
        next.searchParams.set('after', String(from + page.length));
        next.searchParams.set('limit', String(limit));
        return answer(200, page, { link: `<${url.href}>; rel="self", <${next.href}>; rel="next"` });
      }
      const until = Date.parse(url.searchParams.get('until') ?? '9999-12-31T00:00:00Z');
      return answer(
        200,
        this.log
          .filter((e) => Date.parse(String(e.published)) <= until)
          .filter((e) => Date.parse(String(e.published)) >= since)
          .filter((e) => {
            const byActor = !actor || (e.actor as { id: string }).id === actor;
            const onTarget = !target || ((e.target ?? []) as { id: string }[]).some((t) => t.id === target);
            return either
              ? (actor && (e.actor as { id: string }).id === actor) || onTarget
              : byActor && onTarget;
          })
          .slice(0, limit),
      );
    }
    return error(
      404,
      'E0000022',
      `The endpoint does not support the provided HTTP method (${method} ${url.pathname})`,
    );
  }

  /**
   * The org authorization server's client-credentials grant for a service app: a JWT it signed
   * (iss = sub = its client id, aud = this token endpoint) verified with its registered key; every
   * scope asked for must be granted to it, or Okta refuses them all.
   */
  private async serviceToken(
    form: URLSearchParams,
    endpoint: string,
    answer: (status: number, body?: unknown) => void,
  ) {
    const assertion = form.get('client_assertion') ?? '';
    let clientId: string;
    try {
      clientId = String(decodeJwt(assertion).iss);
      const app = this.serviceApps.get(clientId);
      if (!app) throw new Error('unknown client');
      const key = await importSPKI(app.publicKey, decodeProtectedHeader(assertion).alg ?? 'RS256');
      await jwtVerify(assertion, key, {
        issuer: clientId,
        subject: clientId,
        audience: endpoint,
        clockTolerance: 5,
      });
    } catch {
      return answer(401, {
        error: 'invalid_client',
        error_description: 'The client_assertion token is invalid.',
      });
    }
    const asked = (form.get('scope') ?? '').split(' ').filter(Boolean);
    const granted = this.serviceApps.get(clientId)!.scopes;
    const refused = asked.filter((scope) => !granted.includes(scope));
    if (!asked.length || refused.length)
      return answer(400, {
        error: 'invalid_scope',
        error_description: `The following scopes are not allowed: ${refused.join(' ') || '(none asked)'}`,
      });
    const value = randomBytes(32).toString('base64url');
    this.serviceTokens.set(value, { clientId, scopes: asked, expiresAt: Date.now() + 3600_000 });
    return answer(200, {
      token_type: 'Bearer',
      expires_in: 3600,
      access_token: value,
      scope: asked.join(' '),
    });
  }

  /** Okta's Authentication API: a primary authentication with username and password. */
  private authn(
    body: { username?: string; password?: string },
    answer: (status: number, body?: unknown) => void,
    error: (status: number, code: string, summary: string) => void,
  ) {
    const user = this.userByLogin(body.username ?? '');
    const ok = user && user.password === body.password;
    if (
      !ok ||
      !user ||
      user.status === 'SUSPENDED' ||
      user.status === 'DEPROVISIONED' ||
      user.status === 'RECOVERY'
    ) {
      this.record('user.session.start', 'FAILURE', user);
      return error(401, 'E0000004', 'Authentication failed');
    }
    if (user.status === 'PASSWORD_EXPIRED')
      return answer(200, { status: 'PASSWORD_EXPIRED', stateToken: id('st') });
    if (user.factors.length) return answer(200, { status: 'MFA_REQUIRED', stateToken: id('st') });
    const session = { id: id('102'), userId: user.id, created: new Date().toISOString() };
    this.sessions.set(session.id, session);
    this.record('user.session.start', 'SUCCESS', user, {
      authenticationContext: { externalSessionId: session.id },
    });
    return answer(200, { status: 'SUCCESS', sessionToken: session.id, _embedded: { user: { id: user.id } } });
  }

  /** The org authorization server's token endpoint: password and refresh_token grants. */
  private token(
    form: URLSearchParams,
    answer: (status: number, body?: unknown) => void,
    authorization?: string,
  ) {
    // client_secret_basic or client_secret_post; an app with secrets must present an active one.
    const basic = /^Basic (.+)$/.exec(authorization ?? '')?.[1];
    const [basicId, basicSecret] = basic
      ? Buffer.from(basic, 'base64').toString().split(':').map(decodeURIComponent)
      : [];
    const clientId = basicId ?? form.get('client_id') ?? '';
    const app = this.clients.get(clientId);
    if (!app) return answer(401, { error: 'invalid_client' });
    const presented = basicSecret ?? form.get('client_secret') ?? '';
    if (app.secrets.length && !app.secrets.some((s) => s.status === 'ACTIVE' && s.value === presented))
      return answer(401, {
        error: 'invalid_client',
        error_description: "Invalid value for 'client_secret' parameter.",
      });
    const grant = form.get('grant_type');
    if (grant === 'client_credentials') {
      if (!app.secrets.length) return answer(400, { error: 'unauthorized_client' });
      const value = randomBytes(32).toString('base64url');
      this.tokens.set(value, {
        value,
        kind: 'access',
        userId: '',
        clientId,
        sessionId: '',
        grantId: '',
        expiresAt: Date.now() + 3600_000,
        revoked: false,
      });
      this.log.push({
        uuid: randomUUID(),
        published: new Date().toISOString(),
        eventType: 'app.oauth2.as.token.grant.access_token',
        outcome: { result: 'SUCCESS' },
        actor: { id: clientId, alternateId: app.client_name, type: 'PublicClientApp' },
        target: [],
        client: { ipAddress: '203.0.113.50', userAgent: { rawUserAgent: 'test' } },
      });
      return answer(200, { token_type: 'Bearer', expires_in: 3600, access_token: value, scope: 'api' });
    }
    let userId: string;
    let sessionId: string;
    let grantId: string;
    if (grant === 'password') {
      const user = this.userByLogin(form.get('username') ?? '');
      if (!user || user.password !== form.get('password') || user.status !== 'ACTIVE' || user.factors.length)
        return answer(400, {
          error: 'invalid_grant',
          error_description: 'The credentials provided were invalid.',
        });
      const session = { id: id('102'), userId: user.id, created: new Date().toISOString() };
      this.sessions.set(session.id, session);
      const consent = {
        id: id('oag'),
        userId: user.id,
        clientId,
        scopeId: 'offline_access',
        created: session.created,
      };
      this.grants.set(consent.id, consent);
      this.record('user.session.start', 'SUCCESS', user, {
        authenticationContext: { externalSessionId: session.id },
      });
      [userId, sessionId, grantId] = [user.id, session.id, consent.id];
    } else if (grant === 'refresh_token') {
      const old = this.tokens.get(form.get('refresh_token') ?? '');
      if (!old || old.kind !== 'refresh' || !this.live(old) || old.clientId !== clientId)
        return answer(400, {
          error: 'invalid_grant',
          error_description: 'The refresh token is invalid or expired.',
        });
      const user = this.users.get(old.userId);
      if (!user || user.status !== 'ACTIVE') return answer(400, { error: 'invalid_grant' });
      this.record('app.oauth2.token.grant.refresh_token', 'SUCCESS', user);
      [userId, sessionId, grantId] = [old.userId, old.sessionId, old.grantId];
    } else return answer(400, { error: 'unsupported_grant_type' });
    const mint = (kind: Token['kind'], ttlS: number) => {
      const value = randomBytes(32).toString('base64url');
      this.tokens.set(value, {
        value,
        kind,
        userId,
        clientId,
        sessionId,
        grantId,
        expiresAt: Date.now() + ttlS * 1000,
        revoked: false,
      });
      return value;
    };
    return answer(200, {
      token_type: 'Bearer',
      expires_in: 3600,
      access_token: mint('access', 3600),
      refresh_token: mint('refresh', 90 * 24 * 3600),
      scope: 'openid offline_access',
    });
  }

  /**
   * A token is live while unexpired, unrevoked and its consent grant stands. A lifecycle change
   * alone (suspend, expired password) does not revoke tokens here: the engine must revoke them.
   */
  private live(t: Token): boolean {
    return !t.revoked && t.expiresAt > Date.now() && (!t.userId || this.grants.has(t.grantId));
  }

  /** Okta's management API for an OAuth app's secrets and the refresh tokens issued through it. */
  private apps(
    method: string,
    pathname: string,
    answer: (status: number, body?: unknown) => void,
    error: (status: number, code: string, summary: string) => void,
  ): boolean {
    const match = /^\/api\/v1\/apps\/([^/]+)(\/.*)?$/.exec(pathname);
    if (!match) return false;
    const app = this.clients.get(decodeURIComponent(match[1]));
    const rest = match[2] ?? '';
    if (!app) {
      error(404, 'E0000007', `Not found: Resource not found: ${match[1]} (AppInstance)`);
      return true;
    }
    const secretView = (s: OktaApp['secrets'][number], full = false) => ({
      id: s.id,
      status: s.status,
      // Okta shows a secret's value once, when it is made; lists show it hashed.
      client_secret: full ? s.value : `${s.value.slice(0, 4)}......${s.value.slice(-4)}`,
      secret_hash: createHash('sha256').update(s.value).digest('base64url').slice(0, 22),
      created: s.created,
      lastUpdated: s.created,
    });
    let m: RegExpExecArray | null;
    if (rest === '' && method === 'GET') {
      answer(200, {
        id: app.client_id,
        name: 'oidc_client',
        label: app.client_name,
        status: 'ACTIVE',
        signOnMode: 'OPENID_CONNECT',
        credentials: {
          oauthClient: {
            client_id: app.client_id,
            autoKeyRotation: true,
            token_endpoint_auth_method: app.secrets.length ? 'client_secret_basic' : 'none',
          },
        },
        settings: { oauthClient: { grant_types: ['client_credentials'], response_types: ['token'] } },
      });
    } else if (rest === '/credentials/secrets' && method === 'GET') {
      answer(
        200,
        app.secrets.map((s) => secretView(s)),
      );
    } else if (rest === '/credentials/secrets' && method === 'POST') {
      if (app.secrets.length >= 2)
        error(400, 'E0000001', 'Api validation failed: You can have at most two client secrets.');
      else {
        const secret = {
          id: id('ocs'),
          value: randomBytes(30).toString('base64url'),
          status: 'ACTIVE' as const,
          created: new Date().toISOString(),
        };
        app.secrets.push(secret);
        answer(201, secretView(secret, true));
      }
    } else if ((m = /^\/credentials\/secrets\/([^/]+)(\/lifecycle\/(activate|deactivate))?$/.exec(rest))) {
      const secret = app.secrets.find((s) => s.id === m![1]);
      if (!secret) error(404, 'E0000007', 'Not found: Resource not found (OAuth2ClientSecret)');
      else if (m[3] === 'deactivate' && method === 'POST') {
        const others = app.secrets.filter((s) => s !== secret && s.status === 'ACTIVE');
        if (secret.status === 'ACTIVE' && others.length === 0)
          error(
            400,
            'E0000001',
            "Api validation failed: You can't deactivate the only active client secret.",
          );
        else {
          secret.status = 'INACTIVE';
          answer(200, secretView(secret));
        }
      } else if (m[3] === 'activate' && method === 'POST') {
        secret.status = 'ACTIVE';
        answer(200, secretView(secret));
      } else if (!m[2] && method === 'DELETE') {
        if (secret.status === 'ACTIVE')
          error(400, 'E0000001', "Api validation failed: You can't delete an active client secret.");
        else {
          app.secrets = app.secrets.filter((s) => s !== secret);
          answer(204);
        }
      } else if (!m[2] && method === 'GET') answer(200, secretView(secret));
      else error(404, 'E0000022', 'The endpoint does not support the provided HTTP method');
    } else if (rest === '/credentials/jwks' && method === 'GET') {
      answer(200, { keys: [] });
    } else if (rest === '/tokens') {
      const refresh = [...this.tokens.values()].filter(
        (t) => t.clientId === app.client_id && t.kind === 'refresh' && this.live(t),
      );
      if (method === 'GET')
        answer(
          200,
          refresh.map((t) => ({
            id: createHash('sha256').update(t.value).digest('hex').slice(0, 20),
            status: 'ACTIVE',
            clientId: t.clientId,
            userId: t.userId,
            issuer: `${this.url}/oauth2/default`,
          })),
        );
      else if (method === 'DELETE') {
        for (const t of refresh) t.revoked = true;
        answer(204);
      } else error(404, 'E0000022', 'The endpoint does not support the provided HTTP method');
    } else
      error(
        404,
        'E0000022',
        `The endpoint does not support the provided HTTP method (${method} ${pathname})`,
      );
    return true;
  }

  private endSessions(userId: string, oauthTokens: boolean) {
    for (const s of [...this.sessions.values()]) if (s.userId === userId) this.sessions.delete(s.id);
    if (oauthTokens) for (const t of this.tokens.values()) if (t.userId === userId) t.revoked = true;
  }

  private revokeGrant(grantId: string) {
    this.grants.delete(grantId);
    for (const t of this.tokens.values()) if (t.grantId === grantId) t.revoked = true;
  }

  /** The User resource as the Management API returns it (no password value, ever). */
  private view(u: OktaOrgUser) {
    return {
      id: u.id,
      status: u.status,
      created: u.created,
      activated: u.created,
      statusChanged: u.statusChanged,
      lastLogin: null,
      lastUpdated: u.statusChanged,
      passwordChanged: u.passwordChanged,
      type: { id: 'oty1' },
      profile: u.profile,
      credentials: { password: {}, provider: { type: 'OKTA', name: 'OKTA' } },
      _links: { self: { href: `${this.url}/api/v1/users/${u.id}` } },
    };
  }
}
