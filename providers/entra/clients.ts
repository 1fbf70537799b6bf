/**
 * Entra ID `client-credentials`: an application's client secrets (password credentials, on its
 * app registration and on its service principal in this tenant) through Graph's removePassword.
 *
 * Entra shows a secret's value only to whoever adds it, so the engine adds none (a value it had to
 * drop would help nobody): it removes every secret from before the incident, and the app's owner
 * adds a new one. Entra cannot revoke tokens already issued to an application (the client-credentials
 * grant issues no refresh token; its access tokens live 60–90 minutes): that is residual access,
 * said with its end.
 */
import type { ActionOutcome, Finding, Principal } from '../../domain/incident';
import {
  IdentityProviderError,
  type ClientCredentials,
  type ClientDescription,
  type EradicationStep,
} from '../ports';
import { call, type EntraConnection } from './connection';
import { MAX_ACCESS_TOKEN_MS } from './containment';

type ClientFinding = Extract<Finding, { kind: 'client-used' }>;

/** An application (client) id is a GUID; anything else is refused before it reaches a Graph URL. */
const APP_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Credential {
  keyId: string;
  displayName?: string | null;
  startDateTime?: string | null;
  endDateTime?: string | null;
}

/** The application object or the service principal: where a secret lives. */
interface Holder {
  kind: 'applications' | 'servicePrincipals';
  id: string;
  displayName?: string;
  passwordCredentials?: Credential[];
  keyCredentials?: Credential[];
}

export class EntraClients implements ClientCredentials {
  constructor(private readonly ok: EntraConnection) {}

  async describeClient(principal: Principal, clientId: string): Promise<ClientDescription> {
    const holders = await this.holders(principal, clientId);
    const now = Date.now();
    const active = (c: Credential) => !c.endDateTime || Date.parse(c.endDateTime) > now;
    return {
      clientId,
      name: holders[0].displayName,
      credentials: holders.flatMap((h) => [
        ...(h.passwordCredentials ?? []).map((c) => ({
          id: `${h.kind === 'applications' ? 'app' : 'sp'}:${c.keyId}`,
          kind: 'secret' as const,
          createdAt: c.startDateTime ?? undefined,
          active: active(c),
        })),
        ...(h.keyCredentials ?? []).map((c) => ({
          id: `${h.kind === 'applications' ? 'app' : 'sp'}:${c.keyId}`,
          kind: 'key' as const,
          createdAt: c.startDateTime ?? undefined,
          active: active(c),
        })),
      ]),
    };
  }

  /** Removes every secret from before the incident; a retry finds none left and changes nothing. */
  async rotateSecret(
    principal: Principal,
    f: ClientFinding,
    { since }: { since: string },
  ): Promise<EradicationStep> {
    const cut = Date.parse(since) - 1000;
    const holders = await this.holders(principal, f.clientId);
    const old = holders.flatMap((h) =>
      (h.passwordCredentials ?? [])
        .filter((c) => !c.startDateTime || Date.parse(c.startDateTime) < cut)
        .map((c) => ({ holder: h, keyId: c.keyId })),
    );
    for (const { holder, keyId } of old)
      await call(principal, () =>
        this.ok.graph.api(`/${holder.kind}/${holder.id}/removePassword`).post({ keyId }),
      );
    const left = (await this.holders(principal, f.clientId)).flatMap((h) =>
      (h.passwordCredentials ?? []).filter((c) => !c.startDateTime || Date.parse(c.startDateTime) < cut),
    );
    if (left.length)
      throw new IdentityProviderError(
        'SecretRotationUnproven',
        `SecretRotationUnproven: ${left.length} secret(s) of '${f.clientId}' from before the incident are still there`,
        true,
      );
    return {
      finding: f,
      changed: old.length > 0,
      before: `${old.length} secret(s) of '${f.clientId}' from before the incident`,
      after: old.length
        ? `removed ${old.length} secret(s) of '${f.clientId}': its owner adds a new one (Entra shows a secret only to whoever adds it)`
        : `no secret of '${f.clientId}' from before the incident is left`,
      proof: 'read back: no password credential from before the incident',
    };
  }

  /** Nothing to revoke in Entra: the app's access tokens live until they expire, said as residual. */
  async revokeClientTokens(
    principal: Principal,
    clientId: string,
    opts: { since: string },
  ): Promise<ActionOutcome> {
    await this.holders(principal, clientId);
    return {
      action: 'revokeClientTokens',
      changed: false,
      detail:
        `Entra ID cannot revoke tokens already issued to '${clientId}': its client-credentials grant issues no refresh ` +
        `token, and its access tokens stay valid until they expire (at most 90 minutes by default)`,
      residualUntil: new Date(
        Math.max(Date.now(), Date.parse(opts.since)) + MAX_ACCESS_TOKEN_MS,
      ).toISOString(),
    };
  }

  /** The application and its service principal in this tenant (either may be absent, not both). */
  private async holders(principal: Principal, clientId: string): Promise<Holder[]> {
    if (!APP_ID.test(clientId))
      throw new IdentityProviderError(
        'EntraClientId',
        `EntraClientId: '${clientId.slice(0, 60)}' is not an application (client) id: give the GUID`,
        false,
      );
    const fields = 'id,displayName,passwordCredentials,keyCredentials';
    const read = (kind: Holder['kind']) =>
      call(
        principal,
        () =>
          this.ok.graph.api(`/${kind}(appId='${clientId}')`).select(fields).get() as Promise<
            Omit<Holder, 'kind'>
          >,
        { notFoundIsDone: true },
      ).then((h) => (h?.id ? { ...h, kind } : undefined));
    const holders = (await Promise.all([read('applications'), read('servicePrincipals')])).filter(
      (h): h is Holder => Boolean(h),
    );
    if (!holders.length)
      throw new IdentityProviderError(
        'EntraAppNotFound',
        `EntraAppNotFound: no application '${clientId}' in tenant '${principal.realm}'`,
        false,
      );
    return holders;
  }
}
