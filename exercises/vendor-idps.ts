/**
 * Exercises on Okta and Entra ID: the stateful local fakes of an Okta org and an Entra tenant (built
 * from the vendors' documented contracts, test/support), one per exercise, that the engine reaches
 * through its real connectors and collectors (the official SDKs). The runner plays users and the
 * attacker through the vendors' own sign-in endpoints. What a vendor has no such thing for here
 * (push MFA, admin grants with a user's own token, forged tokens, a session used from elsewhere)
 * is refused with the reason: a scenario's `idps` list leaves those out.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { EngineConfig } from '../config/config';
import type { ExerciseAccount, ExerciseClient, ExerciseIdp, FaultSchedule, ScenarioAccount } from './idps';
import { FakeOktaOrg } from '../test/support/fake-okta-org';
import { FakeEntraTenant } from '../test/support/fake-entra-tenant';
import { FaultProxy } from '../test/support/fault-proxy';

/** The app users sign in to (a native app: password and refresh grants). */
const USER_APP = 'exercise-native-app';

function notHere(provider: string, what: string): never {
  throw new Error(`${provider} has no ${what} in this rehearsal: run this scenario on the lab or Keycloak`);
}

/** A throwaway fake Okta org; faults sit between the engine and the org's Management API. */
export class OktaExerciseIdp implements ExerciseIdp {
  readonly provider = 'okta' as const;
  private proxy?: FaultProxy;

  private constructor(
    private readonly org: FakeOktaOrg,
    private readonly token: string,
    readonly realm: string,
  ) {}

  static async start(realm: string): Promise<OktaExerciseIdp> {
    const token = `00${randomBytes(20).toString('hex')}`;
    const org = await FakeOktaOrg.start(token);
    org.addClient(USER_APP);
    return new OktaExerciseIdp(org, token, realm);
  }

  async engine(base: EngineConfig, faults: FaultSchedule) {
    this.proxy = await FaultProxy.start(this.org.url, [], (method, path) => {
      if (!path.startsWith('/api/v1/')) return undefined;
      const call = path.split('?')[0];
      const fault = faults(`${method} ${call}`, call === '/api/v1/logs' ? 'events' : 'actions');
      if (!fault) return undefined;
      // Okta says when its rate-limit window resets (epoch seconds), not how long to wait.
      if (fault.status !== 429) return { kind: 'status', status: 503 };
      const reset = String(Math.ceil(Date.now() / 1000) + fault.retryAfterS);
      return { kind: 'status', status: 429, headers: { 'x-rate-limit-reset': reset } };
    });
    const config: EngineConfig = {
      ...base,
      okta: { orgUrl: this.proxy.url, apiToken: this.token, introspectionClientId: USER_APP },
    };
    return { config };
  }

  async createAccount(a: ScenarioAccount): Promise<ExerciseAccount> {
    const password = `Pw-${randomUUID()}`;
    const login = `${a.id}-${randomUUID().slice(0, 6)}@exercise.example`;
    const user = this.org.addUser(login, password, { roles: a.admin ? ['USER_ADMIN'] : [] });
    return { id: a.id, userId: user.id, username: login, password };
  }

  async createClient(id: string): Promise<ExerciseClient> {
    const app = this.org.addServiceApp(id);
    // An Okta app acts as no user: incidents about it name the app's id.
    return { id: app.clientId, secret: app.secret, serviceAccount: app.clientId };
  }

  async clientLogin(client: ExerciseClient): Promise<boolean> {
    return (await this.tokenCall({ grant_type: 'client_credentials', scope: 'api' }, client)).ok;
  }

  async login(account: ExerciseAccount) {
    const res = await this.tokenCall({
      grant_type: 'password',
      client_id: USER_APP,
      username: account.username,
      password: account.password,
      scope: 'openid offline_access',
    });
    if (!res.ok) throw new Error(`Okta login as ${account.id}: ${res.status}`);
    return (await res.json()) as { access_token: string; refresh_token: string };
  }

  async failLogin(account: ExerciseAccount): Promise<void> {
    await fetch(`${this.org.url}/api/v1/authn`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: account.username, password: `wrong-${randomUUID()}` }),
    });
  }

  grantRole(): Promise<void> {
    return notHere('okta', "admin role grant made with a user's own token");
  }
  useSession(): Promise<void> {
    return notHere('okta', 'session replay from another address');
  }
  pushLogin(): Promise<boolean> {
    return notHere('okta', 'push MFA');
  }
  forgeTokens(): Promise<number> {
    return notHere('okta', 'stolen signing key');
  }

  async state(account: ExerciseAccount) {
    const user = this.org.users.get(account.userId)!;
    return { enabled: user.status === 'ACTIVE', roles: user.roles.map((r) => r.type) };
  }

  /** The org's signing keys are Okta's (no signing-keys port): nothing to compare. */
  async publishedKeys(): Promise<string[]> {
    return [];
  }

  async close(): Promise<void> {
    await this.proxy?.stop();
    await this.org.stop();
  }

  private tokenCall(form: Record<string, string>, client?: ExerciseClient) {
    return fetch(`${this.org.url}/oauth2/v1/token`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        ...(client
          ? { authorization: `Basic ${Buffer.from(`${client.id}:${client.secret}`).toString('base64')}` }
          : {}),
      },
      body: new URLSearchParams(form),
    });
  }
}

/** A throwaway fake Entra tenant (HTTPS on 127.0.0.1, with the test certificate). */
export class EntraExerciseIdp implements ExerciseIdp {
  readonly provider = 'entra' as const;

  private constructor(
    private readonly tenant: FakeEntraTenant,
    private readonly engineApp: { id: string; secret: string },
    readonly realm: string,
  ) {}

  static async start(realm: string): Promise<EntraExerciseIdp> {
    const engineApp = { id: randomUUID(), secret: randomBytes(24).toString('base64url') };
    const tenant = await FakeEntraTenant.start(realm, engineApp);
    tenant.publicClients.add(USER_APP);
    return new EntraExerciseIdp(tenant, engineApp, realm);
  }

  /** Faults are not injected on Entra (Graph is HTTPS end to end here): scenarios with faults leave it out. */
  async engine(base: EngineConfig) {
    const config: EngineConfig = {
      ...base,
      entra: {
        tenantId: this.realm,
        clientId: this.engineApp.id,
        clientSecret: this.engineApp.secret,
        authority: this.tenant.loginUrl,
        graphUrl: this.tenant.url,
      },
    };
    return { config };
  }

  async createAccount(a: ScenarioAccount): Promise<ExerciseAccount> {
    const password = `Pw-${randomUUID()}`;
    const upn = `${a.id}-${randomUUID().slice(0, 6)}@exercise.example`;
    const user = this.tenant.addUser(upn, password);
    if (a.admin) this.tenant.assignRole(user.id, 'User Administrator');
    return { id: a.id, userId: user.id, username: upn, password };
  }

  async createClient(id: string): Promise<ExerciseClient> {
    const app = this.tenant.addConfidentialApp(id);
    return { id: app.appId, secret: app.secret, serviceAccount: app.appId };
  }

  async clientLogin(client: ExerciseClient): Promise<boolean> {
    return (
      await this.tokenCall({
        grant_type: 'client_credentials',
        client_id: client.id,
        client_secret: client.secret,
        scope: 'https://graph.microsoft.com/.default',
      })
    ).ok;
  }

  async login(account: ExerciseAccount) {
    const res = await this.password(account, account.password);
    if (!res.ok) throw new Error(`Entra sign-in as ${account.id}: ${res.status}`);
    return (await res.json()) as { access_token: string; refresh_token: string };
  }

  async failLogin(account: ExerciseAccount): Promise<void> {
    await this.password(account, `wrong-${randomUUID()}`);
  }

  grantRole(): Promise<void> {
    return notHere('entra', "role assignment made with a user's own token");
  }
  useSession(): Promise<void> {
    return notHere('entra', 'session replay from another address');
  }
  pushLogin(): Promise<boolean> {
    return notHere('entra', 'push MFA');
  }
  forgeTokens(): Promise<number> {
    return notHere('entra', 'stolen signing key');
  }

  async state(account: ExerciseAccount) {
    const user = this.tenant.users.get(account.userId)!;
    return { enabled: user.accountEnabled, roles: this.tenant.rolesOf(user.id) };
  }

  /** Entra's signing keys are Microsoft's: nothing to compare. */
  async publishedKeys(): Promise<string[]> {
    return [];
  }

  async close(): Promise<void> {
    await this.tenant.stop();
  }

  private password(account: ExerciseAccount, password: string) {
    return this.tokenCall({
      grant_type: 'password',
      client_id: USER_APP,
      username: account.username,
      password,
      scope: 'openid offline_access User.Read',
    });
  }

  private tokenCall(form: Record<string, string>) {
    return fetch(`${this.tenant.loginUrl}/${this.realm}/oauth2/v2.0/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form),
    });
  }
}
