/**
 * The identity providers an exercise can run against, behind one small interface: the in-process
 * lab (the default: no server needed, push MFA, faults at the connector's door) and a throwaway
 * realm on a real Keycloak (`--keycloak`: faults from a proxy between the engine and Keycloak).
 * The runner plays users, the attacker and responders through it; the engine sees only its
 * connector and the provider's events.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import type { EngineConfig } from '../config/config';
import type { ProviderName } from '../domain/incident';
import { LabIdentityProvider, type LabFault } from '../providers/lab/connector';
import { LabIdp, serviceAccountName, type PushAnswer } from '../lab/idp';
import { FaultProxy } from '../test/support/fault-proxy';
import { KeycloakTestClient, type TestUser } from '../test/support/keycloak';
import type { Scenario } from './schema';

export type ScenarioAccount = Scenario['accounts'][number];

/** Where a request appears to come from (the lab honours it; Keycloak sees the runner). */
export interface Origin {
  from?: string;
  userAgent?: string;
}

export interface SessionTokens {
  access_token: string;
  refresh_token: string;
  session_state?: string;
}

export interface ExerciseClient {
  /** The scenario's id for it (also its client id). */
  id: string;
  /** The secret it was created with (the one that leaks). */
  secret: string;
  /** Its service account's username. */
  serviceAccount: string;
}

export interface ExerciseAccount {
  /** The scenario's id for it. */
  id: string;
  /** The provider's user id. */
  userId: string;
  username: string;
  password: string;
}

/** A fault due now for this call (`events`: the detector's collection), if any: the runner's schedule. */
export type FaultSchedule = (call: string, kind: 'events' | 'actions') => LabFault | undefined;

export interface ExerciseIdp {
  readonly provider: ProviderName;
  readonly realm: string;
  /** The engine's configuration for this provider, and the lab connector if it is the lab. */
  engine(
    base: EngineConfig,
    faults: FaultSchedule,
  ): Promise<{ config: EngineConfig; lab?: LabIdentityProvider }>;
  createAccount(account: ScenarioAccount): Promise<ExerciseAccount>;
  /** A confidential client with a service account. */
  createClient(id: string): Promise<ExerciseClient>;
  /** A client-credentials grant with the client's original secret, from `origin`; true if granted. */
  clientLogin(client: ExerciseClient, origin?: Origin): Promise<boolean>;
  login(account: ExerciseAccount, origin?: Origin): Promise<SessionTokens>;
  /** A login with a wrong password (refused). */
  failLogin(account: ExerciseAccount): Promise<void>;
  /** `actor` maps `role` to `grantee` through the provider's admin API, with its own token. */
  grantRole(actor: ExerciseAccount, grantee: ExerciseAccount, role: string): Promise<void>;
  /**
   * The session's refresh token used from `origin`: a real refresh (lab), or reported in
   * Keycloak's event format by an upstream proxy (Keycloak sees only the runner's address).
   */
  useSession(
    account: ExerciseAccount,
    tokens: SessionTokens,
    origin: Required<Origin>,
    previously: Required<Origin>,
    push: (ndjson: string) => Promise<void>,
  ): Promise<void>;
  /** Logs in as `account` with its password, the push answered `answer` by its owner (lab only). */
  pushLogin(account: ExerciseAccount, answer: PushAnswer, origin?: Origin): Promise<boolean>;
  /**
   * The attacker, holding the realm's signing key, mints a token for each account (a session the
   * provider never issued) and presents it at userinfo from `origin`; how many were refused.
   */
  forgeTokens(accounts: ExerciseAccount[], origin?: Origin): Promise<number>;
  state(account: ExerciseAccount): Promise<{ enabled: boolean; roles: string[] }>;
  /** The key ids the realm's JWKS publishes now. */
  publishedKeys(): Promise<string[]>;
  close(): Promise<void>;
}

const ENGINE_CLIENT = { clientId: 'ir-engine', clientSecret: 'local-dev-ir-engine-secret' };
const APP_CLIENT = 'corp-app';

/** The in-process lab: a realm of its own per exercise, gone when the exercise ends. */
export class LabExerciseIdp implements ExerciseIdp {
  readonly provider = 'lab' as const;
  private readonly answers = new Map<string, PushAnswer[]>();

  private constructor(
    private readonly idp: LabIdp,
    readonly realm: string,
  ) {}

  static async start(realm: string): Promise<LabExerciseIdp> {
    const idp = await LabIdp.start({ realm });
    idp.addClient(APP_CLIENT);
    idp.addClient(ENGINE_CLIENT.clientId, ENGINE_CLIENT.clientSecret);
    return new LabExerciseIdp(idp, realm);
  }

  async engine(base: EngineConfig, faults: FaultSchedule) {
    const gate = (op: string) => faults(op, op === 'pullEvents' ? 'events' : 'actions');
    return { config: base, lab: new LabIdentityProvider(this.idp, ENGINE_CLIENT, gate) };
  }

  async createAccount(a: ScenarioAccount): Promise<ExerciseAccount> {
    const password = `pw-${randomUUID()}`;
    const roles = [...a.roles, ...(a.admin ? ['manage-users'] : [])];
    const user = this.idp.addUser(`${a.id}-${randomUUID().slice(0, 6)}`, password, roles);
    if (a.mfa === 'push') {
      const queue: PushAnswer[] = [];
      this.answers.set(user.id, queue);
      // Nobody expecting a prompt lets it time out.
      user.pushDevice = () => queue.shift() ?? 'ignore';
    }
    return { id: a.id, userId: user.id, username: user.username, password };
  }

  async createClient(id: string): Promise<ExerciseClient> {
    const secret = randomBytes(24).toString('base64url');
    this.idp.addClient(id, secret);
    return { id, secret, serviceAccount: serviceAccountName(id) };
  }

  async clientLogin(client: ExerciseClient, origin: Origin = {}): Promise<boolean> {
    const res = await this.token(
      { grant_type: 'client_credentials', client_id: client.id, client_secret: client.secret },
      origin,
    );
    return res.ok;
  }

  async login(account: ExerciseAccount, origin: Origin = {}): Promise<SessionTokens> {
    const res = await this.token(
      { grant_type: 'password', username: account.username, password: account.password },
      origin,
    );
    if (!res.ok) throw new Error(`lab login as ${account.id}: ${res.status} ${await res.text()}`);
    return (await res.json()) as SessionTokens;
  }

  async failLogin(account: ExerciseAccount): Promise<void> {
    await this.token(
      { grant_type: 'password', username: account.username, password: `wrong-${randomUUID()}` },
      {},
    );
  }

  async grantRole(actor: ExerciseAccount, grantee: ExerciseAccount, role: string): Promise<void> {
    const { access_token } = await this.login(actor);
    const origin = new URL(this.idp.issuer).origin;
    const res = await fetch(
      `${origin}/admin/realms/${this.realm}/users/${grantee.userId}/role-mappings/realm`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
        body: JSON.stringify([{ name: role }]),
      },
    );
    if (!res.ok) throw new Error(`grant-role as ${actor.id}: the lab answered ${res.status}`);
  }

  async useSession(
    _account: ExerciseAccount,
    tokens: SessionTokens,
    origin: Required<Origin>,
    previously: Required<Origin>,
  ): Promise<void> {
    // The owner's own refresh first (as before), then the stolen copy's from elsewhere.
    let refresh = tokens.refresh_token;
    for (const o of [previously, origin]) {
      const res = await this.token({ grant_type: 'refresh_token', refresh_token: refresh }, o);
      if (!res.ok) throw new Error(`token use from ${o.from}: the lab answered ${res.status}`);
      refresh = ((await res.json()) as SessionTokens).refresh_token;
    }
  }

  async pushLogin(account: ExerciseAccount, answer: PushAnswer, origin: Origin = {}): Promise<boolean> {
    const queue = this.answers.get(account.userId);
    if (!queue) throw new Error(`${account.id} has no push MFA (mfa: push)`);
    queue.push(answer);
    const res = await this.token(
      { grant_type: 'password', username: account.username, password: account.password },
      origin,
    );
    return res.ok;
  }

  async forgeTokens(accounts: ExerciseAccount[], origin: Origin = {}): Promise<number> {
    const { kid, privateKey } = this.idp.stealSigningKey();
    let refused = 0;
    for (const a of accounts) {
      const forged = await new SignJWT({
        typ: 'Bearer',
        sub: a.userId,
        sid: randomUUID(),
        azp: APP_CLIENT,
        preferred_username: a.username,
      })
        .setProtectedHeader({ alg: 'RS256', kid, typ: 'JWT' })
        .setIssuer(this.idp.issuer)
        .setIssuedAt()
        .setExpirationTime('5m')
        .sign(privateKey);
      const res = await fetch(`${this.idp.issuer}/protocol/openid-connect/userinfo`, {
        headers: { authorization: `Bearer ${forged}`, ...originHeaders(origin) },
      });
      if (!res.ok) refused += 1;
    }
    return refused;
  }

  async state(account: ExerciseAccount) {
    const user = this.idp.users.get(account.userId)!;
    return { enabled: user.enabled, roles: [...user.roles] };
  }

  async publishedKeys(): Promise<string[]> {
    return jwksKids(`${this.idp.issuer}/protocol/openid-connect/certs`);
  }

  async close(): Promise<void> {
    await this.idp.stop();
  }

  private token(form: Record<string, string>, origin: Origin) {
    return fetch(`${this.idp.issuer}/protocol/openid-connect/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', ...originHeaders(origin) },
      body: new URLSearchParams({ client_id: APP_CLIENT, ...form }),
    });
  }
}

/** A throwaway realm shaped like the corp realm on a real Keycloak, deleted at the end. */
export class KeycloakExerciseIdp implements ExerciseIdp {
  readonly provider = 'keycloak' as const;
  private proxy?: FaultProxy;
  private readonly users = new Map<string, TestUser>();

  private constructor(
    private readonly keycloakUrl: string,
    private readonly kc: KeycloakTestClient,
    readonly realm: string,
  ) {}

  static async start(keycloakUrl: string, realm: string): Promise<KeycloakExerciseIdp> {
    const kc = await new KeycloakTestClient(keycloakUrl).createRealmLikeCorp(realm).catch((err: Error) => {
      throw new Error(
        `no usable Keycloak at ${keycloakUrl} (${err.message}): start one with \`npm run keycloak\`, or set KEYCLOAK_URL`,
      );
    });
    return new KeycloakExerciseIdp(keycloakUrl, kc, realm);
  }

  /** Faults sit between the engine and Keycloak's admin API (users reach Keycloak directly). */
  async engine(base: EngineConfig, faults: FaultSchedule) {
    this.proxy = await FaultProxy.start(this.keycloakUrl, [], (method, path) => {
      if (!path.startsWith('/admin/')) return undefined;
      const call = path.split('?')[0];
      const fault = faults(`${method} ${call}`, /\/(admin-)?events$/.test(call) ? 'events' : 'actions');
      if (!fault) return undefined;
      return fault.status === 429
        ? { kind: 'status', status: 429, headers: { 'retry-after': String(fault.retryAfterS) } }
        : { kind: 'status', status: 503 };
    });
    const config: EngineConfig = {
      ...base,
      keycloak: { baseUrl: this.proxy.url, ...ENGINE_CLIENT },
    };
    return { config };
  }

  async createAccount(a: ScenarioAccount): Promise<ExerciseAccount> {
    const user = await this.kc.createUser(a.id);
    for (const role of a.roles) await this.kc.grantRealmRole(user.id, role);
    if (a.admin) await this.grantUserManagement(user.id);
    this.users.set(user.id, user);
    return { id: a.id, userId: user.id, username: user.username, password: user.password };
  }

  async createClient(id: string): Promise<ExerciseClient> {
    const secret = randomBytes(24).toString('base64url');
    await this.kc.admin('POST', '/clients', {
      clientId: id,
      secret,
      publicClient: false,
      serviceAccountsEnabled: true,
      standardFlowEnabled: false,
    });
    return { id, secret, serviceAccount: `service-account-${id}`.toLowerCase() };
  }

  async clientLogin(client: ExerciseClient): Promise<boolean> {
    const res = await fetch(`${this.kc.baseUrl}/realms/${this.realm}/protocol/openid-connect/token`, {
      method: 'POST',
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: client.id,
        client_secret: client.secret,
      }),
    });
    return res.ok;
  }

  login(account: ExerciseAccount) {
    return this.kc.login(this.users.get(account.userId)!);
  }

  async failLogin(account: ExerciseAccount): Promise<void> {
    const user = this.users.get(account.userId)!;
    await this.kc.login({ ...user, password: `wrong-${randomUUID()}` }).catch(() => undefined);
  }

  async grantRole(actor: ExerciseAccount, grantee: ExerciseAccount, role: string): Promise<void> {
    const mapped = await this.kc.realmRole(role);
    const post = async () => {
      const { access_token } = await this.login(actor);
      return fetch(
        `${this.kc.baseUrl}/admin/realms/${this.realm}/users/${grantee.userId}/role-mappings/realm`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
          body: JSON.stringify([mapped]),
        },
      );
    };
    // A person whose click is refused as unauthenticated signs in again and retries once.
    let res = await post();
    if (res.status === 401) res = await post();
    if (!res.ok) throw new Error(`grant-role as ${actor.id}: Keycloak answered ${res.status}`);
  }

  async useSession(
    account: ExerciseAccount,
    tokens: SessionTokens,
    origin: Required<Origin>,
    previously: Required<Origin>,
    push: (ndjson: string) => Promise<void>,
  ): Promise<void> {
    const event = (o: Required<Origin>) => ({
      id: randomUUID(),
      time: Date.now(),
      type: 'REFRESH_TOKEN',
      realmName: this.realm,
      clientId: APP_CLIENT,
      userId: account.userId,
      sessionId: tokens.session_state,
      ipAddress: o.from,
      details: { username: account.username, user_agent: o.userAgent },
    });
    await push([event(previously), event(origin)].map((e) => JSON.stringify(e)).join('\n'));
  }

  async pushLogin(): Promise<boolean> {
    throw new Error('Keycloak has no push MFA: run this scenario on the lab');
  }

  async forgeTokens(): Promise<number> {
    throw new Error('Keycloak never hands out its private keys: run this scenario on the lab');
  }

  async state(account: ExerciseAccount) {
    const rep = await this.kc.user(account.userId);
    const roles = await this.kc.admin<{ name: string }[]>(
      'GET',
      `/users/${account.userId}/role-mappings/realm`,
    );
    return { enabled: rep.enabled, roles: roles.map((r) => r.name) };
  }

  async publishedKeys(): Promise<string[]> {
    return jwksKids(`${this.kc.baseUrl}/realms/${this.realm}/protocol/openid-connect/certs`);
  }

  async close(): Promise<void> {
    await this.proxy?.stop();
    await this.kc.deleteRealm().catch(() => undefined);
  }

  private async grantUserManagement(userId: string): Promise<void> {
    const [management] = await this.kc.admin<{ id: string }[]>('GET', '/clients?clientId=realm-management');
    const roles = await Promise.all(
      ['manage-users', 'view-users', 'query-users'].map((r) =>
        this.kc.admin<{ id: string; name: string }>('GET', `/clients/${management.id}/roles/${r}`),
      ),
    );
    await this.kc.admin('POST', `/users/${userId}/role-mappings/clients/${management.id}`, roles);
  }
}

/** Where the lab is told a request comes from (it trusts X-Forwarded-For). */
function originHeaders(origin: Origin): Record<string, string> {
  return {
    ...(origin.from ? { 'x-forwarded-for': origin.from } : {}),
    ...(origin.userAgent ? { 'user-agent': origin.userAgent } : {}),
  };
}

async function jwksKids(url: string): Promise<string[]> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`JWKS ${url}: ${res.status}`);
  const { keys } = (await res.json()) as { keys?: { kid?: string }[] };
  return (keys ?? []).map((k) => k.kid ?? '').filter(Boolean);
}
