/**
 * Okta `client-credentials`: an OAuth 2.0 app's client secrets (Okta keeps up to two per app, each
 * ACTIVE or INACTIVE; only an INACTIVE one can be deleted) and the refresh tokens issued through it.
 *
 * Rotation adds a new secret first (its value is dropped here: the app's owner reads it in Okta's
 * admin console), then deactivates and deletes every secret from before the incident, so a retry
 * finds the new one and changes nothing. Okta cannot revoke an access token without the token
 * itself: those already issued to the app live until they expire — said as residual access.
 */
import type { ActionOutcome, Finding, Principal } from '../../domain/incident';
import {
  IdentityProviderError,
  type ClientCredentials,
  type ClientDescription,
  type EradicationStep,
} from '../ports';
import { call, oktaTime, type OktaConnection } from './connection';
import { collect } from './containment';

type ClientFinding = Extract<Finding, { kind: 'client-used' }>;

/**
 * Okta's default access-token lifetime (the default authorization server's default policy rule);
 * an org may set up to a day in its own rules, which the engine does not read.
 */
export const OKTA_ACCESS_TOKEN_MS = 60 * 60 * 1000;

interface OktaApp {
  id: string;
  label?: string;
  credentials?: { oauthClient?: { client_id?: string; token_endpoint_auth_method?: string } };
}

interface OktaSecret {
  id?: string;
  status?: string;
  created?: string | Date;
}

export class OktaClients implements ClientCredentials {
  constructor(private readonly ok: OktaConnection) {}

  async describeClient(principal: Principal, clientId: string): Promise<ClientDescription> {
    const app = await this.app(principal, clientId);
    const secrets = await this.secrets(principal, app.id);
    const keys = (
      await call(principal, () => this.ok.client.applicationSSOPublicKeysApi.listJwk({ appId: app.id }))
    ).keys as { id?: string; kid?: string; status?: string; created?: string }[] | undefined;
    return {
      clientId,
      name: app.label,
      credentials: [
        ...secrets.map((s) => ({
          id: String(s.id),
          kind: 'secret' as const,
          createdAt: iso(s.created),
          active: s.status === 'ACTIVE',
        })),
        ...(keys ?? []).map((k) => ({
          id: String(k.kid ?? k.id),
          kind: 'key' as const,
          createdAt: iso(k.created),
          active: k.status === 'ACTIVE',
        })),
      ],
    };
  }

  async rotateSecret(
    principal: Principal,
    f: ClientFinding,
    { since }: { since: string },
  ): Promise<EradicationStep> {
    const app = await this.app(principal, f.clientId);
    const method = app.credentials?.oauthClient?.token_endpoint_auth_method;
    if (method && !method.startsWith('client_secret'))
      return {
        finding: f,
        changed: false,
        before: `'${f.clientId}' authenticates with ${method}`,
        after: 'no secret to rotate: replace its key instead',
      };
    const cut = Date.parse(since) - 1000;
    const api = this.ok.client.applicationSSOPublicKeysApi;
    let secrets = await this.secrets(principal, app.id);
    const isNew = (s: OktaSecret) => oktaTime(s.created ?? null) >= cut;
    const before = `${secrets.length} secret(s) of '${f.clientId}' (${secrets.filter((s) => s.status === 'ACTIVE').length} active)`;
    let created = false;
    if (!secrets.some((s) => isNew(s) && s.status === 'ACTIVE')) {
      // Room for the new one: Okta keeps two at most; an inactive old one goes first.
      if (secrets.length >= 2) {
        const spare = secrets.find((s) => s.status !== 'ACTIVE') ?? oldest(secrets);
        await this.remove(principal, app.id, spare);
        secrets = secrets.filter((s) => s !== spare);
      }
      // The new secret's value is in the answer: it is dropped here, never logged nor returned.
      await call(principal, () => api.createOAuth2ClientSecret({ appId: app.id }));
      created = true;
    }
    const old = secrets.filter((s) => !isNew(s));
    for (const s of old) await this.remove(principal, app.id, s);
    const left = (await this.secrets(principal, app.id)).filter((s) => s.status === 'ACTIVE');
    if (left.some((s) => !isNew(s)))
      throw new IdentityProviderError(
        'SecretRotationUnproven',
        `SecretRotationUnproven: a secret of '${f.clientId}' from before the incident is still active`,
        true,
      );
    return {
      finding: f,
      changed: created || old.length > 0,
      before,
      after:
        created || old.length
          ? `new secret for '${f.clientId}' (its owner reads it in Okta's admin console); ${old.length} old secret(s) deactivated and deleted`
          : `secret of '${f.clientId}' already rotated during this incident`,
      proof: `read back: ${left.length} active secret(s), none from before the incident`,
    };
  }

  /**
   * Revokes every refresh token issued through the app (users' too: the app's secret is the
   * attacker's, so any of them can be refreshed with it). Access tokens cannot be revoked without
   * the tokens: they stay valid until they expire.
   */
  async revokeClientTokens(
    principal: Principal,
    clientId: string,
    opts: { since: string },
  ): Promise<ActionOutcome> {
    const app = await this.app(principal, clientId);
    const api = this.ok.client.applicationApi;
    const tokens = await collect(
      await call(principal, () => api.listOAuth2TokensForApplication({ appId: app.id })),
    );
    if (tokens.length) await call(principal, () => api.revokeOAuth2TokensForApplication({ appId: app.id }));
    const residualUntil = new Date(
      Math.max(Date.now(), Date.parse(opts.since)) + OKTA_ACCESS_TOKEN_MS,
    ).toISOString();
    return {
      action: 'revokeClientTokens',
      changed: tokens.length > 0,
      detail:
        `revoked ${tokens.length} refresh token(s) issued through '${clientId}'; access tokens it already ` +
        `holds cannot be revoked without them and stay valid until they expire (Okta's default lifetime is 1 hour; an authorization-server rule may set longer)`,
      residualUntil,
    };
  }

  /** The app `clientId` names (Okta gives an app's id as its client_id unless a custom one was set). */
  private async app(principal: Principal, clientId: string): Promise<OktaApp> {
    const app = (await call(
      principal,
      () => this.ok.client.applicationApi.getApplication({ appId: clientId }),
      { notFoundIsDone: true },
    )) as OktaApp | undefined;
    if (!app?.id)
      throw new IdentityProviderError(
        'OktaAppNotFound',
        `OktaAppNotFound: no app '${clientId}' in the Okta org: give the app's id (its client_id unless a custom one was set)`,
        false,
      );
    if (!app.credentials?.oauthClient)
      throw new IdentityProviderError(
        'OktaNotAnOAuthApp',
        `OktaNotAnOAuthApp: app '${clientId}' has no OAuth 2.0 client credentials`,
        false,
      );
    return app;
  }

  private async secrets(principal: Principal, appId: string): Promise<OktaSecret[]> {
    const api = this.ok.client.applicationSSOPublicKeysApi;
    return collect(await call(principal, () => api.listOAuth2ClientSecrets({ appId })));
  }

  /** Okta deletes only an inactive secret: deactivate first. */
  private async remove(principal: Principal, appId: string, s: OktaSecret): Promise<void> {
    const api = this.ok.client.applicationSSOPublicKeysApi;
    const secretId = String(s.id);
    if (s.status === 'ACTIVE')
      await call(principal, () => api.deactivateOAuth2ClientSecret({ appId, secretId }), {
        notFoundIsDone: true,
      });
    await call(principal, () => api.deleteOAuth2ClientSecret({ appId, secretId }), { notFoundIsDone: true });
  }
}

function oldest(secrets: OktaSecret[]): OktaSecret {
  return [...secrets].sort((a, b) => oktaTime(a.created ?? null) - oktaTime(b.created ?? null))[0];
}

function iso(value: string | Date | undefined): string | undefined {
  const t = oktaTime(value ?? null);
  return t ? new Date(t).toISOString() : undefined;
}
