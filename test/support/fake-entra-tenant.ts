/**
 * A stateful local Entra ID tenant and Microsoft Graph v1.0, built from their documented contracts
 * (Graph v1.0 as Microsoft documents it, e.g. users, revokeSignInSessions, authentication methods,
 * oauth2PermissionGrants, roleManagement; the identity platform's token endpoint):
 * users (accountEnabled, passwordProfile, signInSessionsValidFromDateTime), authentication methods
 * by type, delegated permission grants, sign-in logs, revokeSignInSessions, and app registrations
 * and service principals with password credentials (addPassword/removePassword; the secret's value
 * only in addPassword's answer) that get client-credentials tokens, and Identity Protection's
 * confirmCompromised and dismiss. Users sign in with
 * the password grant and refresh; as in Entra, revoking sessions or changing the password kills
 * refresh tokens at once, while access tokens already issued stay valid until they expire (no
 * continuous access evaluation here) — the residual access the engine must report, not hide.
 *
 * It listens on HTTPS (@azure/identity and the Graph SDK send tokens over HTTPS only) with a test
 * certificate for 127.0.0.1 (test/fixtures/tls), which `npm test` trusts through NODE_EXTRA_CA_CERTS.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { decodeProtectedHeader, importX509, jwtVerify } from 'jose';
import * as path from 'node:path';

export interface EntraUser {
  id: string;
  userPrincipalName: string;
  mail: string;
  accountEnabled: boolean;
  password: string;
  lastPasswordChangeDateTime: string;
  forceChangePasswordNextSignIn: boolean;
  signInSessionsValidFromDateTime: string;
  methods: { id: string; type: string; createdDateTime: string }[];
}

/** The engine's app registration: a client secret, or a certificate (PEM) it signs assertions with. */
export interface EngineApp {
  id: string;
  secret?: string;
  certificate?: string;
}

/** A password credential; Graph returns `secretText` only from addPassword. */
interface PasswordCredential {
  keyId: string;
  displayName: string;
  startDateTime: string;
  endDateTime: string;
  hint: string;
  secretText: string;
}

/** An app registration (`applications`) or its service principal in this tenant. */
export interface EntraApp {
  id: string;
  appId: string;
  displayName: string;
  passwordCredentials: PasswordCredential[];
}

interface Token {
  kind: 'access' | 'refresh';
  /** Empty for an application's own (client-credentials) token. */
  userId: string;
  clientId: string;
  issuedAt: number;
  expiresAt: number;
}

const TLS_DIR = path.join(__dirname, '..', 'fixtures', 'tls');
export const FAKE_IDP_CA = fs.readFileSync(path.join(TLS_DIR, 'fake-idp.crt'), 'utf8');

/** Graph's @odata.type and collection name per authentication method type. */
export const METHOD_TYPES: Record<string, string> = {
  softwareOath: '#microsoft.graph.softwareOathAuthenticationMethod',
  microsoftAuthenticator: '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
  phone: '#microsoft.graph.phoneAuthenticationMethod',
  fido2: '#microsoft.graph.fido2AuthenticationMethod',
};

export class FakeEntraTenant {
  readonly users = new Map<string, EntraUser>();
  readonly grants = new Map<string, { id: string; clientId: string; principalId: string; scope: string }>();
  readonly signIns: Record<string, unknown>[] = [];
  /** Directory role assignments (unifiedRoleAssignment), tenant-wide scope. */
  readonly roleAssignments = new Map<
    string,
    { id: string; principalId: string; roleDefinitionId: string; directoryScopeId: string }
  >();
  /** Eligible (PIM) assignments: activatable at will by their principal (unifiedRoleEligibilitySchedule). */
  readonly roleEligibilities = new Map<
    string,
    { id: string; principalId: string; roleDefinitionId: string; directoryScopeId: string }
  >();
  /** Built-in role definitions by template id (the ids Entra documents for them). */
  readonly roleDefinitions = new Map<string, string>([
    ['62e90394-69f5-4237-9190-012177145e10', 'Global Administrator'],
    ['e8611ab8-c189-46e8-94e1-60213ab1f814', 'Privileged Role Administrator'],
    ['fe930be7-5e62-47db-91af-98c3a49a38b1', 'User Administrator'],
  ]);
  readonly requests: { method: string; path: string; status: number }[] = [];
  /** The next N Graph requests answer 429 with Retry-After. */
  throttle = { times: 0, retryAfterSeconds: 1 };
  readonly publicClients = new Set<string>();
  /** App registrations and service principals, by object id. */
  readonly applications = new Map<string, EntraApp>();
  readonly servicePrincipals = new Map<string, EntraApp>();
  /** The application permissions the engine's app holds (its token's `roles` claim). */
  appRoles = [
    'User.ReadWrite.All',
    'User-PasswordProfile.ReadWrite.All',
    'User.RevokeSessions.All',
    'UserAuthenticationMethod.ReadWrite.All',
    'DelegatedPermissionGrant.ReadWrite.All',
    'AuditLog.Read.All',
    'RoleManagement.ReadWrite.Directory',
    'Application.ReadWrite.All',
    'IdentityRiskyUser.ReadWrite.All',
  ];
  /** Identity Protection's risk state per user id (riskyUser.riskState), once someone set one. */
  readonly riskState = new Map<string, 'confirmedCompromised' | 'dismissed'>();
  private readonly tokens = new Map<string, Token>();
  private readonly engineTokens = new Set<string>();

  private constructor(
    private readonly servers: http.Server[],
    /** Graph and the identity platform (the authority host), on one HTTPS origin. */
    readonly url: string,
    readonly tenantId: string,
    private readonly engine: EngineApp,
  ) {}

  get loginUrl(): string {
    return this.url;
  }

  static async start(tenantId: string, engine: EngineApp): Promise<FakeEntraTenant> {
    let fake!: FakeEntraTenant; // eslint-disable-line prefer-const -- assigned once the servers listen
    const listener = (req: http.IncomingMessage, res: http.ServerResponse) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => fake.handle(req, res, body));
    };
    const server = https.createServer(
      { key: fs.readFileSync(path.join(TLS_DIR, 'fake-idp.key')), cert: FAKE_IDP_CA },
      listener,
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    fake = new FakeEntraTenant(
      [server],
      `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
      tenantId,
      engine,
    );
    return fake;
  }

  async stop(): Promise<void> {
    for (const s of this.servers) {
      s.closeAllConnections();
      await new Promise((resolve) => s.close(resolve));
    }
  }

  addUser(upn: string, password: string, methods: string[] = []): EntraUser {
    const now = new Date(Date.now() - 60_000).toISOString();
    const user: EntraUser = {
      id: randomUUID(),
      userPrincipalName: upn,
      mail: upn,
      accountEnabled: true,
      password,
      lastPasswordChangeDateTime: now,
      forceChangePasswordNextSignIn: false,
      signInSessionsValidFromDateTime: now,
      methods: methods.map((type) => ({ id: randomUUID(), type, createdDateTime: now })),
    };
    this.users.set(user.id, user);
    return user;
  }

  private userOf(key: string): EntraUser | undefined {
    const k = decodeURIComponent(key).toLowerCase();
    return [...this.users.values()].find((u) => u.id === k || u.userPrincipalName.toLowerCase() === k);
  }

  /**
   * A confidential app registration with one secret (made a minute ago) and its service principal;
   * the secret gets client-credentials tokens at the token endpoint.
   */
  addConfidentialApp(displayName: string): { appId: string; secret: string } {
    const appId = randomUUID();
    const secret = `${randomBytes(3).toString('hex')}~${randomBytes(27).toString('base64url')}`;
    const start = new Date(Date.now() - 60_000);
    const objectId = randomUUID();
    this.applications.set(objectId, {
      id: objectId,
      appId,
      displayName,
      passwordCredentials: [
        {
          keyId: randomUUID(),
          displayName: 'ci',
          startDateTime: start.toISOString(),
          endDateTime: new Date(start.getTime() + 180 * 86400_000).toISOString(),
          hint: secret.slice(0, 3),
          secretText: secret,
        },
      ],
    });
    const sp = randomUUID();
    this.servicePrincipals.set(sp, { id: sp, appId, displayName, passwordCredentials: [] });
    return { appId, secret };
  }

  /** Assigns a built-in directory role (by display name) to a user, tenant-wide. */
  assignRole(userId: string, displayName: string): void {
    const roleDefinitionId = [...this.roleDefinitions].find(([, n]) => n === displayName)![0];
    const id = randomBytes(12).toString('base64url');
    this.roleAssignments.set(id, { id, principalId: userId, roleDefinitionId, directoryScopeId: '/' });
  }

  /** Makes a user eligible (PIM) for a built-in role by display name, tenant-wide. */
  makeEligible(userId: string, displayName: string): void {
    const roleDefinitionId = [...this.roleDefinitions].find(([, n]) => n === displayName)![0];
    const id = randomBytes(12).toString('base64url');
    this.roleEligibilities.set(id, { id, principalId: userId, roleDefinitionId, directoryScopeId: '/' });
  }

  rolesOf(userId: string): string[] {
    return [...this.roleAssignments.values()]
      .filter((a) => a.principalId === userId)
      .map((a) => this.roleDefinitions.get(a.roleDefinitionId)!);
  }

  /** What the password grant would answer for this password now (the test's HTTPS-free sign-in). */
  passwordWorks(upn: string, password: string): boolean {
    const user = this.userOf(upn);
    return Boolean(
      user && user.accountEnabled && user.password === password && !user.forceChangePasswordNextSignIn,
    );
  }

  /** Tokens a sign-in of the user to `clientId` issued (the ones an attacker would hold). */
  issueForTest(userId: string, clientId: string): { access_token: string; refresh_token: string } {
    const now = Date.now();
    const mint = (kind: Token['kind'], ttl: number) => {
      const value = `${kind === 'access' ? 'eyJ' : '0.A'}${randomBytes(32).toString('base64url')}`;
      this.tokens.set(value, { kind, userId, clientId, issuedAt: now, expiresAt: now + ttl * 1000 });
      return value;
    };
    const id = randomBytes(12).toString('base64url');
    this.grants.set(id, { id, clientId, principalId: userId, scope: 'openid offline_access User.Read' });
    return { access_token: mint('access', 3600), refresh_token: mint('refresh', 90 * 24 * 3600) };
  }

  /** Refresh tokens die with revoked sessions, a password change or a disabled account. */
  refreshWorks(token: string): boolean {
    const t = this.tokens.get(token);
    const user = t && this.users.get(t.userId);
    return Boolean(
      t &&
      user &&
      t.kind === 'refresh' &&
      user.accountEnabled &&
      t.issuedAt >= Date.parse(user.signInSessionsValidFromDateTime) &&
      t.issuedAt >= Date.parse(user.lastPasswordChangeDateTime),
    );
  }

  /** An access token is honoured until it expires (no continuous access evaluation). */
  accessWorks(token: string): boolean {
    const t = this.tokens.get(token);
    return Boolean(t && t.kind === 'access' && t.expiresAt > Date.now());
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse, body: string): void {
    const url = new URL(req.url ?? '/', this.url);
    const method = req.method ?? 'GET';
    const answer = (status: number, json?: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({ method, path: url.pathname, status });
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(json === undefined ? '' : JSON.stringify(json));
    };
    const graphError = (status: number, code: string, message: string) =>
      answer(status, { error: { code, message, innerError: { 'request-id': randomUUID() } } });
    const t = this.tenantId;

    if (url.pathname === `/${t}/v2.0/.well-known/openid-configuration`) {
      return answer(200, {
        issuer: `${this.loginUrl}/${t}/v2.0`,
        token_endpoint: `${this.loginUrl}/${t}/oauth2/v2.0/token`,
        authorization_endpoint: `${this.loginUrl}/${t}/oauth2/v2.0/authorize`,
        jwks_uri: `${this.loginUrl}/${t}/discovery/v2.0/keys`,
        response_types_supported: ['code'],
        subject_types_supported: ['pairwise'],
        id_token_signing_alg_values_supported: ['RS256'],
        token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      });
    }
    if (url.pathname === `/${t}/oauth2/v2.0/token` && method === 'POST')
      return void this.token(new URLSearchParams(body), answer);

    // Graph v1.0: the engine's bearer token only.
    const bearer = (req.headers.authorization ?? '').replace(/^Bearer /, '');
    if (!this.engineTokens.has(bearer))
      return graphError(401, 'InvalidAuthenticationToken', 'Access token validation failure.');
    if (this.throttle.times > 0) {
      this.throttle.times -= 1;
      return answer(
        429,
        { error: { code: 'TooManyRequests', message: 'Too many requests' } },
        { 'retry-after': String(this.throttle.retryAfterSeconds) },
      );
    }
    const json = () => (body ? (JSON.parse(body) as Record<string, unknown>) : {});
    let m: RegExpExecArray | null;
    if ((m = /^\/v1\.0\/users\/([^/]+)$/.exec(url.pathname))) {
      const user = this.userOf(m[1]);
      if (!user) return graphError(404, 'Request_ResourceNotFound', `Resource '${m[1]}' does not exist.`);
      if (method === 'GET') return answer(200, this.view(user));
      if (method === 'PATCH') {
        const patch = json() as {
          accountEnabled?: boolean;
          passwordProfile?: { password?: string; forceChangePasswordNextSignIn?: boolean };
        };
        if (typeof patch.accountEnabled === 'boolean') user.accountEnabled = patch.accountEnabled;
        if (patch.passwordProfile?.password) {
          user.password = patch.passwordProfile.password;
          user.lastPasswordChangeDateTime = new Date().toISOString();
          user.forceChangePasswordNextSignIn = patch.passwordProfile.forceChangePasswordNextSignIn ?? true;
        }
        return answer(204);
      }
    }
    if ((m = /^\/v1\.0\/users\/([^/]+)\/revokeSignInSessions$/.exec(url.pathname)) && method === 'POST') {
      const user = this.userOf(m[1]);
      if (!user) return graphError(404, 'Request_ResourceNotFound', `Resource '${m[1]}' does not exist.`);
      user.signInSessionsValidFromDateTime = new Date().toISOString();
      return answer(200, {
        '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#Edm.Boolean',
        value: true,
      });
    }
    if ((m = /^\/v1\.0\/users\/([^/]+)\/authentication\/methods$/.exec(url.pathname)) && method === 'GET') {
      const user = this.userOf(m[1]);
      if (!user) return graphError(404, 'Request_ResourceNotFound', `Resource '${m[1]}' does not exist.`);
      return answer(200, {
        value: [
          {
            '@odata.type': '#microsoft.graph.passwordAuthenticationMethod',
            id: '28c10230-6103-485e-b985-444c60001490',
          },
          ...user.methods.map((x) => ({
            '@odata.type': METHOD_TYPES[x.type],
            id: x.id,
            createdDateTime: x.createdDateTime,
          })),
        ],
      });
    }
    if (
      (m = /^\/v1\.0\/users\/([^/]+)\/authentication\/([a-zA-Z0-9]+)Methods\/([^/]+)$/.exec(url.pathname)) &&
      method === 'DELETE'
    ) {
      const user = this.userOf(m[1]);
      if (!user) return graphError(404, 'Request_ResourceNotFound', `Resource '${m[1]}' does not exist.`);
      const before = user.methods.length;
      user.methods = user.methods.filter((x) => !(x.id === m![3] && x.type === m![2]));
      if (user.methods.length === before)
        return graphError(404, 'itemNotFound', 'The method does not exist.');
      return answer(204);
    }
    if (url.pathname === '/v1.0/oauth2PermissionGrants' && method === 'GET') {
      const principal = /principalId eq '([^']+)'/.exec(url.searchParams.get('$filter') ?? '')?.[1];
      return answer(200, {
        value: [...this.grants.values()].filter((g) => !principal || g.principalId === principal),
      });
    }
    if ((m = /^\/v1\.0\/oauth2PermissionGrants\/([^/]+)$/.exec(url.pathname)) && method === 'DELETE') {
      if (!this.grants.delete(m[1]))
        return graphError(404, 'Request_ResourceNotFound', 'Resource does not exist.');
      return answer(204);
    }
    if (url.pathname === '/v1.0/auditLogs/signIns' && method === 'GET') {
      const filter = url.searchParams.get('$filter') ?? '';
      const userId = /userId eq '([^']+)'/.exec(filter)?.[1];
      const ge = /createdDateTime ge (\S+)/.exec(filter)?.[1];
      return answer(200, {
        value: this.signIns.filter(
          (s) => (!userId || s.userId === userId) && (!ge || String(s.createdDateTime) >= ge),
        ),
      });
    }
    if (url.pathname === '/v1.0/roleManagement/directory/roleEligibilitySchedules' && method === 'GET') {
      const principalId = /principalId eq '([^']+)'/.exec(url.searchParams.get('$filter') ?? '')?.[1];
      return answer(200, {
        value: [...this.roleEligibilities.values()]
          .filter((a) => !principalId || a.principalId === principalId)
          .map((a) => ({
            ...a,
            memberType: 'Direct',
            status: 'Provisioned',
            ...(url.searchParams.get('$expand') === 'roleDefinition'
              ? {
                  roleDefinition: {
                    id: a.roleDefinitionId,
                    displayName: this.roleDefinitions.get(a.roleDefinitionId),
                  },
                }
              : {}),
          })),
      });
    }
    if (url.pathname === '/v1.0/roleManagement/directory/roleAssignments' && method === 'GET') {
      const principal = /principalId eq '([^']+)'/.exec(url.searchParams.get('$filter') ?? '')?.[1];
      const expand = (url.searchParams.get('$expand') ?? '').includes('roleDefinition');
      return answer(200, {
        value: [...this.roleAssignments.values()]
          .filter((a) => !principal || a.principalId === principal)
          .map((a) => ({
            ...a,
            ...(expand
              ? {
                  roleDefinition: {
                    id: a.roleDefinitionId,
                    displayName: this.roleDefinitions.get(a.roleDefinitionId),
                  },
                }
              : {}),
          })),
      });
    }
    if (url.pathname === '/v1.0/roleManagement/directory/roleAssignments' && method === 'POST') {
      const b = json() as { principalId?: string; roleDefinitionId?: string; directoryScopeId?: string };
      if (!b.principalId || !b.roleDefinitionId || !this.roleDefinitions.has(b.roleDefinitionId))
        return graphError(400, 'Request_BadRequest', 'principalId and a known roleDefinitionId are required');
      const a = {
        id: randomBytes(12).toString('base64url'),
        principalId: b.principalId,
        roleDefinitionId: b.roleDefinitionId,
        directoryScopeId: b.directoryScopeId ?? '/',
      };
      this.roleAssignments.set(a.id, a);
      return answer(201, a);
    }
    if (
      (m = /^\/v1\.0\/roleManagement\/directory\/roleAssignments\/([^/]+)$/.exec(url.pathname)) &&
      method === 'DELETE'
    ) {
      if (!this.roleAssignments.delete(m[1]))
        return graphError(404, 'Request_ResourceNotFound', 'Resource does not exist.');
      return answer(204);
    }
    if (url.pathname === '/v1.0/roleManagement/directory/roleDefinitions' && method === 'GET') {
      const name = /displayName eq '([^']+)'/.exec(url.searchParams.get('$filter') ?? '')?.[1];
      return answer(200, {
        value: [...this.roleDefinitions]
          .filter(([, displayName]) => !name || displayName === name)
          .map(([id, displayName]) => ({ id, templateId: id, displayName, isBuiltIn: true })),
      });
    }
    if (
      (m =
        /^\/v1\.0\/(applications|servicePrincipals)(?:\(appId='([^']+)'\)|\/([^/]+))(?:\/(addPassword|removePassword))?$/.exec(
          url.pathname,
        ))
    ) {
      const store = m[1] === 'applications' ? this.applications : this.servicePrincipals;
      const app = m[2]
        ? [...store.values()].find((a) => a.appId === decodeURIComponent(m![2]))
        : store.get(m[3]);
      if (!app)
        return graphError(404, 'Request_ResourceNotFound', `Resource '${m[2] ?? m[3]}' does not exist.`);
      const view = (c: PasswordCredential) => ({ ...c, secretText: null });
      if (!m[4] && method === 'GET')
        return answer(200, {
          id: app.id,
          appId: app.appId,
          displayName: app.displayName,
          passwordCredentials: app.passwordCredentials.map(view),
          keyCredentials: [],
        });
      if (m[4] === 'removePassword' && method === 'POST') {
        const keyId = String(json().keyId ?? '');
        const before = app.passwordCredentials.length;
        app.passwordCredentials = app.passwordCredentials.filter((c) => c.keyId !== keyId);
        if (app.passwordCredentials.length === before)
          return graphError(400, 'Request_BadRequest', `No credential found with keyId '${keyId}'.`);
        return answer(204);
      }
      if (m[4] === 'addPassword' && method === 'POST') {
        const secret = randomBytes(30).toString('base64url');
        const now = new Date();
        const cred = {
          keyId: randomUUID(),
          displayName: String((json().passwordCredential as { displayName?: string })?.displayName ?? ''),
          startDateTime: now.toISOString(),
          endDateTime: new Date(now.getTime() + 180 * 86400_000).toISOString(),
          hint: secret.slice(0, 3),
          secretText: secret,
        };
        app.passwordCredentials.push(cred);
        return answer(200, cred);
      }
    }
    if (
      (m = /^\/v1\.0\/identityProtection\/riskyUsers\/(confirmCompromised|dismiss)$/.exec(url.pathname)) &&
      method === 'POST'
    ) {
      // Identity Protection needs its own permission (and, in Entra, a P2 licence).
      if (!this.appRoles.includes('IdentityRiskyUser.ReadWrite.All'))
        return graphError(
          403,
          'Authorization_RequestDenied',
          'Insufficient privileges to complete the operation.',
        );
      const ids = (json().userIds ?? []) as string[];
      for (const id of ids) this.riskState.set(id, m[1] === 'dismiss' ? 'dismissed' : 'confirmedCompromised');
      return answer(204);
    }
    if ((m = /^\/v1\.0\/organization$/.exec(url.pathname)) && method === 'GET')
      return answer(200, { value: [{ id: this.tenantId, displayName: 'Contoso (fake)' }] });
    return graphError(404, 'NotFound', `${method} ${url.pathname}`);
  }

  /** The identity platform's token endpoint: client credentials (the engine), password and refresh (users). */
  private async token(form: URLSearchParams, answer: (status: number, json?: unknown) => void) {
    const grant = form.get('grant_type');
    const registered = [...this.applications.values(), ...this.servicePrincipals.values()].filter(
      (a) => a.appId === form.get('client_id'),
    );
    if (grant === 'client_credentials' && registered.length) {
      const now = Date.now();
      const valid = registered.some((a) =>
        a.passwordCredentials.some(
          (c) => c.secretText === form.get('client_secret') && Date.parse(c.endDateTime) > now,
        ),
      );
      if (!valid)
        return answer(401, {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret provided.',
        });
      const value = `eyJ${randomBytes(32).toString('base64url')}`;
      this.tokens.set(value, {
        kind: 'access',
        userId: '',
        clientId: String(form.get('client_id')),
        issuedAt: now,
        expiresAt: now + 3599_000,
      });
      return answer(200, { token_type: 'Bearer', expires_in: 3599, access_token: value });
    }
    if (grant === 'client_credentials') {
      const viaCertificate =
        form.get('client_assertion_type') === 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';
      const authenticated = viaCertificate
        ? await this.assertionValid(form.get('client_assertion') ?? '', form.get('client_id'))
        : Boolean(this.engine.secret) && form.get('client_secret') === this.engine.secret;
      if (form.get('client_id') !== this.engine.id || !authenticated)
        return answer(401, {
          error: 'invalid_client',
          error_description: 'AADSTS7000215: Invalid client secret provided.',
        });
      // A JWT as Entra issues them (unsigned here: nobody verifies it but this fake).
      const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
      const token = `${part({ typ: 'JWT', alg: 'none' })}.${part({
        aud: 'https://graph.microsoft.com',
        tid: this.tenantId,
        appid: this.engine.id,
        roles: this.appRoles,
        exp: Math.floor(Date.now() / 1000) + 3599,
        jti: randomUUID(),
      })}.${randomBytes(16).toString('base64url')}`;
      this.engineTokens.add(token);
      return answer(200, {
        token_type: 'Bearer',
        expires_in: 3599,
        ext_expires_in: 3599,
        access_token: token,
      });
    }
    const clientId = form.get('client_id') ?? '';
    if (!this.publicClients.has(clientId)) return answer(400, { error: 'unauthorized_client' });
    let user: EntraUser | undefined;
    if (grant === 'password') {
      user = this.userOf(form.get('username') ?? '');
      const ok =
        user &&
        user.accountEnabled &&
        user.password === form.get('password') &&
        !user.forceChangePasswordNextSignIn;
      this.signIns.push({
        id: randomUUID(),
        createdDateTime: new Date().toISOString(),
        userId: user?.id,
        userPrincipalName: form.get('username'),
        appId: clientId,
        ipAddress: '203.0.113.77',
        status: { errorCode: ok ? 0 : 50126, failureReason: ok ? null : 'Invalid username or password.' },
      });
      if (!ok)
        return answer(400, {
          error: 'invalid_grant',
          error_description: 'AADSTS50126: Error validating credentials due to invalid username or password.',
        });
      const consent = [...this.grants.values()].find(
        (g) => g.principalId === user!.id && g.clientId === clientId,
      );
      if (!consent) {
        const id = randomBytes(12).toString('base64url');
        this.grants.set(id, {
          id,
          clientId,
          principalId: user!.id,
          scope: 'openid offline_access User.Read',
        });
      }
    } else if (grant === 'refresh_token') {
      const old = form.get('refresh_token') ?? '';
      if (!this.refreshWorks(old))
        return answer(400, {
          error: 'invalid_grant',
          error_description: 'AADSTS50173: The provided grant has expired due to it being revoked.',
        });
      user = this.users.get(this.tokens.get(old)!.userId);
    } else return answer(400, { error: 'unsupported_grant_type' });
    const now = Date.now();
    const mint = (kind: Token['kind'], ttl: number) => {
      const value = `${kind === 'access' ? 'eyJ' : '0.A'}${randomBytes(32).toString('base64url')}`;
      this.tokens.set(value, {
        kind,
        userId: user!.id,
        clientId,
        issuedAt: now,
        expiresAt: now + ttl * 1000,
      });
      return value;
    };
    return answer(200, {
      token_type: 'Bearer',
      scope: 'openid offline_access User.Read',
      expires_in: 3600,
      access_token: mint('access', 3600),
      refresh_token: mint('refresh', 90 * 24 * 3600),
    });
  }

  /**
   * A certificate credential: a JWT the app signed with its private key, naming itself (iss, sub)
   * and this token endpoint (aud), checked against the certificate registered for it.
   */
  private async assertionValid(assertion: string, clientId: string | null): Promise<boolean> {
    if (!this.engine.certificate || !clientId) return false;
    try {
      const { alg } = decodeProtectedHeader(assertion);
      const key = await importX509(this.engine.certificate, alg ?? 'RS256');
      const { payload } = await jwtVerify(assertion, key, {
        issuer: clientId,
        subject: clientId,
        audience: `${this.loginUrl}/${this.tenantId}/oauth2/v2.0/token`,
        // As Entra, a little clock skew is forgiven (MSAL sets nbf a second after iat).
        clockTolerance: 300,
      });
      return Boolean(payload.jti);
    } catch {
      return false;
    }
  }

  private view(u: EntraUser) {
    return {
      '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#users/$entity',
      id: u.id,
      userPrincipalName: u.userPrincipalName,
      mail: u.mail,
      accountEnabled: u.accountEnabled,
      lastPasswordChangeDateTime: u.lastPasswordChangeDateTime,
      signInSessionsValidFromDateTime: u.signInSessionsValidFromDateTime,
    };
  }
}
