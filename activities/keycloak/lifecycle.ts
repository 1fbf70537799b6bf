/**
 * Keycloak: investigation, eradication and reinstatement of one principal. Read-only investigation
 * over the incident window; eradication and reinstatement read before they write, so a retried
 * activity changes nothing twice (client secrets above all: Keycloak issues a new one per call).
 */
import { createHash } from 'node:crypto';
import type KcAdminClient from '@keycloak/keycloak-admin-client';
import type { RealmOidc } from './oidc';
import type { KeycloakRealm } from './realm';
import type { ActionOutcome, Finding, Principal } from '../../domain/incident';
import {
  EradicationOutcome,
  EradicationStep,
  EradicateOptions,
  IdentityProviderError,
  RoleGrant,
  InvestigationReport,
  PrincipalSnapshot,
} from '../identity-provider';

/** Role names that give power over other identities or the realm. */
export const PRIVILEGED = /admin|manage-|realm-management|impersonation|owner|superuser|root/i;
const FACTOR_TYPES = new Set(['otp', 'totp', 'hotp', 'webauthn', 'webauthn-passwordless']);
const AUTH_TYPES = new Set([
  'LOGIN',
  'LOGIN_ERROR',
  'REFRESH_TOKEN',
  'REFRESH_TOKEN_ERROR',
  'CODE_TO_TOKEN',
  'CODE_TO_TOKEN_ERROR',
  'CLIENT_LOGIN',
  'TOKEN_EXCHANGE',
  'LOGOUT',
]);
const SECRET_CREATED = 'client.secret.creation.time';

interface AdminEvent {
  time?: number;
  operationType?: string;
  resourceType?: string;
  resourcePath?: string;
  representation?: string;
  authDetails?: { userId?: string; realmId?: string; ipAddress?: string };
}

type Call = <T>(fn: () => Promise<T>, opts?: { notFoundIsDone?: boolean }) => Promise<T>;

export class KeycloakLifecycle {
  constructor(
    private readonly admin: KcAdminClient,
    private readonly principal: Principal,
    private readonly userId: string,
    private readonly oidc: RealmOidc,
    private readonly call: Call,
    private readonly realmOps: KeycloakRealm,
  ) {}

  private get realm() {
    return this.principal.realm;
  }

  async investigate(
    window: { since: string; until: string },
    pre?: PrincipalSnapshot,
    opts: { tokenForgerySuspected?: boolean } = {},
  ): Promise<InvestigationReport> {
    const { admin, realm, userId: id, call } = this;
    const from = Date.parse(window.since);
    const to = Date.parse(window.until);
    const inWindow = (t?: number) => t !== undefined && t >= from && t <= to;
    const [effective, direct, groups, events, aboutUser, byUser, credentials, realmAdmin, consentsNow] =
      await Promise.all([
        call(() => admin.users.listCompositeRealmRoleMappings({ id, realm })),
        call(() => admin.users.listRoleMappings({ id, realm })),
        call(() => admin.users.listGroups({ id, realm })),
        call(() => admin.realms.findEvents({ realm, user: id, max: 1000 })),
        call(() => admin.realms.findAdminEvents({ realm, resourcePath: `users/${id}*`, max: 1000 })),
        call(() => admin.realms.findAdminEvents({ realm, authUser: id, max: 1000 })),
        call(() => admin.users.getCredentials({ id, realm })),
        // Newest first: the window is recent, so the last thousand realm changes cover it.
        call(() => admin.realms.findAdminEvents({ realm, max: 1000 })),
        call(() => admin.users.listConsents({ id, realm })),
      ]);
    const clientMappings = (direct.clientMappings ?? {}) as Record<
      string,
      { id?: string; client?: string; mappings?: { name?: string }[] }
    >;
    const clientRoles = Object.values(clientMappings).flatMap((m) =>
      (m.mappings ?? []).map((r) => ({ client: m.client ?? m.id ?? '?', name: r.name ?? '?' })),
    );

    const authEvents = events
      .filter((e) => AUTH_TYPES.has(e.type ?? '') && inWindow(e.time))
      .sort((a, b) => (a.time ?? 0) - (b.time ?? 0));
    const uses = new Map<string, number>();
    for (const e of authEvents) if (e.clientId) uses.set(e.clientId, (uses.get(e.clientId) ?? 0) + 1);
    const clients = await Promise.all(
      [...uses].map(async ([clientId, n]) => {
        const [c] = await call(() => admin.clients.find({ clientId, realm }));
        const confidential = Boolean(c) && !c.publicClient && !c.bearerOnly;
        return {
          clientId,
          confidential,
          serviceAccount: Boolean(c?.serviceAccountsEnabled),
          authentication: confidential
            ? clientAuthentication(c?.clientAuthenticatorType, c?.attributes)
            : undefined,
          certificateSha256: certificateFingerprint(c?.attributes?.[JWT_CERTIFICATE]),
          uses: n,
        };
      }),
    );

    const names = new Map<string, string>();
    const who = async (e: AdminEvent) => {
      const uid = e.authDetails?.userId;
      if (!uid) return 'unknown';
      if (!names.has(uid)) {
        const u = await call(() => admin.users.findOne({ id: uid, realm }), { notFoundIsDone: true }).catch(
          () => undefined,
        );
        names.set(uid, u?.username ?? `user ${uid} of realm ${e.authDetails?.realmId ?? '?'}`);
      }
      return names.get(uid)!;
    };
    const adminAbout = (aboutUser as AdminEvent[]).filter((e) => inWindow(e.time));
    const adminTimeline = await Promise.all(
      adminAbout.map(async (e) => ({
        time: new Date(e.time!).toISOString(),
        operation: `${e.operationType} ${e.resourceType ?? ''}`.trim(),
        resource: (e.resourcePath ?? '').replace(id, '{user}'),
        by: await who(e),
      })),
    );

    const findings: Finding[] = [];
    // Role grants to the principal inside the window, still in place: the attacker's elevation.
    const directRealm = new Set((direct.realmMappings ?? []).map((r) => r.name));
    const directClient = new Set(clientRoles.map((r) => `${r.client}/${r.name}`));
    for (const e of adminAbout) {
      if (e.operationType !== 'CREATE' || !/ROLE_MAPPING/.test(e.resourceType ?? '')) continue;
      const roles = parseRoles(e.representation);
      const client = /role-mappings\/clients\/([^/]+)/.exec(e.resourcePath ?? '')?.[1];
      for (const role of roles) {
        const container = client ? await this.clientIdOf(client) : 'realm';
        const present = client ? directClient.has(`${container}/${role}`) : directRealm.has(role);
        if (!present) continue;
        findings.push({
          kind: 'role-grant',
          role,
          container,
          grantedAt: new Date(e.time!).toISOString(),
          grantedBy: await who(e),
          privileged: PRIVILEGED.test(role) || container === 'realm-management',
          remedy: 'remove-grant',
        });
      }
    }
    // Second factors enrolled inside the window (judged on the pre-containment snapshot too).
    const seen = new Set<string>();
    for (const c of [
      ...(pre?.credentials ?? []),
      ...credentials.map((x) => ({ ...x, type: x.type ?? '?' })),
    ]) {
      if (!c.id || seen.has(c.id) || !FACTOR_TYPES.has((c.type ?? '').toLowerCase())) continue;
      seen.add(c.id);
      if (c.createdDate !== undefined && c.createdDate >= from) {
        findings.push({
          kind: 'factor',
          credentialId: c.id,
          type: c.type!,
          label: c.userLabel,
          createdAt: new Date(c.createdDate).toISOString(),
          remedy: 'remove-factor',
        });
      }
    }
    // Confidential clients used as this principal: their secrets may be in the attacker's hands.
    // A client that signs JWTs with a key whose certificate Keycloak holds gets a new key pair; one
    // publishing a JWKS URL or using mTLS is rotated by its owner (reported, no remedy).
    for (const c of clients) {
      const remedy =
        c.authentication === 'secret'
          ? ('rotate-secret' as const)
          : c.authentication === 'jwt-certificate'
            ? ('rotate-client-key' as const)
            : undefined;
      findings.push({
        kind: 'client-used',
        clientId: c.clientId,
        confidential: c.confidential,
        uses: c.uses,
        ...(c.authentication ? { authentication: c.authentication } : {}),
        ...(c.certificateSha256 ? { certificateSha256: c.certificateSha256 } : {}),
        ...(remedy ? { remedy } : {}),
      });
    }
    // What the principal did with admin rights: persistence and further escalation.
    const actionsByPrincipal = (byUser as AdminEvent[])
      .filter((e) => inWindow(e.time))
      .map((e) => ({
        time: new Date(e.time!).toISOString(),
        operation: `${e.operationType} ${e.resourceType ?? ''}`.trim(),
        resource: e.resourcePath ?? '',
      }));
    for (const a of actionsByPrincipal)
      findings.push({ kind: 'grant-by-principal', what: `${a.operation} ${a.resource}`, at: a.time });
    // Other accounts seen from the same addresses in the window: candidates, not conclusions.
    // Loopback addresses say nothing about who else is behind them.
    const routable = (x: string | undefined): x is string => Boolean(x) && !/^(127\.|::1$)/.test(x!);
    const ips = [...new Set(authEvents.map((e) => e.ipAddress).filter(routable))].slice(0, 5);
    const related = new Map<string, string>();
    for (const ip of ips) {
      const fromIp = await call(() => admin.realms.findEvents({ realm, ipAddress: ip, max: 200 }));
      for (const e of fromIp) {
        if (!e.userId || e.userId === id || !inWindow(e.time) || related.has(e.userId)) continue;
        if (related.size >= 20) break;
        const u = await call(() => admin.users.findOne({ id: e.userId!, realm }), {
          notFoundIsDone: true,
        }).catch(() => undefined);
        if (u?.username) related.set(e.userId, `${u.username}|${ip}`);
      }
    }
    for (const v of related.values()) {
      const [username, ip] = v.split('|');
      findings.push({ kind: 'related-principal', username, via: `same address ${ip}` });
    }
    // Accounts the principal created or changed: the same actor, maybe the attacker's next foothold.
    const touched = new Set<string>();
    for (const a of actionsByPrincipal) {
      const uid = /^users\/([0-9a-f-]{36})/.exec(a.resource)?.[1];
      if (!uid || uid === id || touched.has(uid) || related.has(uid) || touched.size >= 20) continue;
      touched.add(uid);
      const u = await call(() => admin.users.findOne({ id: uid, realm }), { notFoundIsDone: true }).catch(
        () => undefined,
      );
      if (u?.username)
        findings.push({
          kind: 'related-principal',
          username: u.username,
          via: `${a.operation} by the principal at ${a.time}`,
        });
    }
    // Realm-level persistence by anyone in the window: identity providers, federation, new clients.
    for (const e of (realmAdmin as AdminEvent[]).filter((x) => inWindow(x.time))) {
      const type = e.resourceType ?? '';
      const persistent =
        /^IDENTITY_PROVIDER/.test(type) ||
        type === 'COMPONENT' ||
        (type === 'CLIENT' && e.operationType === 'CREATE');
      if (!persistent || e.authDetails?.userId === id) continue;
      findings.push({
        kind: 'realm-change',
        what: `${e.operationType} ${type} ${e.resourcePath ?? ''}`.trim(),
        at: new Date(e.time!).toISOString(),
        by: await who(e),
      });
    }
    const consents = new Map<string, string[]>();
    for (const c of [...((pre?.consents ?? []) as typeof consentsNow), ...consentsNow]) {
      if (c.clientId)
        consents.set(c.clientId, [
          ...new Set([...(consents.get(c.clientId) ?? []), ...(c.grantedClientScopes ?? [])]),
        ]);
    }

    findings.push(...(await this.realmOps.findings(opts)));

    return {
      principal: this.principal,
      window,
      generatedAt: new Date().toISOString(),
      blastRadius: {
        realmRoles: effective.map((r) => ({
          name: r.name ?? '?',
          privileged: PRIVILEGED.test(r.name ?? ''),
        })),
        clientRoles: clientRoles.map((r) => ({
          ...r,
          privileged: PRIVILEGED.test(r.name) || r.client === 'realm-management',
        })),
        groups: groups.map((g) => g.path ?? g.name ?? '?'),
        clients: clients.map(({ clientId, confidential, serviceAccount, uses: n }) => ({
          clientId,
          confidential,
          serviceAccount,
          uses: n,
        })),
        consents: [...consents].map(([clientId, scopes]) => ({ clientId, scopes })),
      },
      authTimeline: authEvents.map((e) => ({
        time: new Date(e.time!).toISOString(),
        type: e.type ?? '?',
        ip: e.ipAddress,
        client: e.clientId,
        session: e.sessionId,
        error: e.error,
      })),
      adminTimeline,
      actionsByPrincipal,
      findings,
    };
  }

  async eradicate(findings: Finding[], opts: EradicateOptions): Promise<EradicationOutcome> {
    const { since } = opts;
    const steps: EradicationStep[] = [];
    // One refused step (permissions, a conflict) is recorded and the others still run; a retryable
    // failure fails the activity, whose retry skips what is already done.
    const attempt = async (f: Finding, step: () => Promise<EradicationStep>) => {
      try {
        steps.push(await step());
      } catch (err) {
        if (!(err instanceof IdentityProviderError) || err.retryable) throw err;
        steps.push({
          finding: f,
          changed: false,
          failed: true,
          before: '',
          after: `NOT done: ${err.message}`,
        });
      }
    };
    for (const f of findings) {
      if (f.kind === 'role-grant' && f.remedy === 'remove-grant') await attempt(f, () => this.removeGrant(f));
      else if (f.kind === 'factor' && f.remedy === 'remove-factor')
        await attempt(f, () => this.removeFactor(f));
      else if (f.kind === 'client-used' && f.remedy === 'rotate-secret')
        await attempt(f, () => this.rotateSecret(f, since));
      else if (f.kind === 'client-used' && f.remedy === 'rotate-client-key')
        await attempt(f, () => this.rotateClientKey(f));
      else if (f.kind === 'realm-setting' && f.remedy === 'harden-realm')
        await attempt(f, () => this.realmOps.harden(f));
    }
    const keys = findings.filter(
      (f): f is Extract<Finding, { kind: 'signing-key' }> =>
        f.kind === 'signing-key' && f.remedy === 'rotate-signing-key',
    );
    if (keys.length)
      await attempt(keys[0], () =>
        this.realmOps.rotateSigningKeys(keys, { since, oldKeys: opts.oldSigningKeys ?? 'disable' }),
      );
    const changed = steps.filter((s) => s.changed).length;
    const failed = steps.filter((s) => s.failed).length;
    return {
      action: 'eradicate',
      changed: changed > 0,
      ...(failed ? { incomplete: true } : {}),
      detail: `${steps.length} remed${steps.length === 1 ? 'y' : 'ies'}${failed ? ` (${failed} FAILED)` : ''}: ${steps
        .map((s) => `${s.after}${s.changed || s.failed ? '' : ' (already)'}`)
        .join('; ')}`,
      steps,
    };
  }

  async reinstate(containedAt: string): Promise<ActionOutcome> {
    const { admin, realm, userId: id, call } = this;
    const user = await call(() => admin.users.findOne({ id, realm }));
    if (!user)
      throw new IdentityProviderError('KeycloakUserNotFound', 'KeycloakUserNotFound: user is gone', false);
    const credentials = await call(() => admin.users.getCredentials({ id, realm }));
    const after = Date.parse(containedAt);
    const required = user.requiredActions ?? [];
    const passwordReset =
      required.includes('UPDATE_PASSWORD') ||
      credentials.some((c) => c.type === 'password' && (c.createdDate ?? 0) > after);
    const mfaReenrolled =
      required.includes('CONFIGURE_TOTP') ||
      credentials.some((c) => FACTOR_TYPES.has((c.type ?? '').toLowerCase()) && (c.createdDate ?? 0) > after);
    if (!passwordReset || !mfaReenrolled) {
      throw new IdentityProviderError(
        'ReinstatementRefused',
        `ReinstatementRefused: ${this.principal.username} would come back without ${[
          passwordReset ? '' : 'a password reset',
          mfaReenrolled ? '' : 'MFA re-enrolment',
        ]
          .filter(Boolean)
          .join(' and ')}`,
        false,
      );
    }
    if (user.enabled !== false) {
      return {
        action: 'reinstateAccount',
        changed: false,
        detail: `${this.principal.username} was already enabled`,
      };
    }
    await call(() => admin.users.update({ id, realm }, { enabled: true }));
    return {
      action: 'reinstateAccount',
      changed: true,
      detail: `re-enabled ${this.principal.username}; password reset and MFA enrolment ${
        required.includes('UPDATE_PASSWORD') ? 'required at next login' : 'done'
      }`,
    };
  }

  private async removeGrant(f: Extract<Finding, { kind: 'role-grant' }>): Promise<EradicationStep> {
    try {
      return await this.unmapRole(f);
    } catch (err) {
      if (
        err instanceof IdentityProviderError &&
        err.type === 'KeycloakAccessDenied' &&
        f.container === 'realm-management'
      ) {
        throw new IdentityProviderError(
          'KeycloakAccessDenied',
          `KeycloakAccessDenied: Keycloak lets only realm admins change admin-role mappings; remove '${f.role}' by hand or give the engine realm-admin`,
          false,
        );
      }
      throw err;
    }
  }

  async revokeRole(grant: RoleGrant): Promise<ActionOutcome> {
    const f = {
      kind: 'role-grant' as const,
      ...grant,
      privileged: PRIVILEGED.test(grant.role),
      remedy: 'remove-grant' as const,
    };
    const step = await this.removeGrant(f);
    return {
      action: 'revertGrant',
      changed: step.changed,
      detail: step.changed ? step.after : `${step.after} (already)`,
    };
  }

  async hasRole(grant: RoleGrant): Promise<boolean> {
    const { admin, realm, userId: id, call } = this;
    if (grant.container === 'realm') {
      return (await call(() => admin.users.listRealmRoleMappings({ id, realm }))).some(
        (r) => r.name === grant.role,
      );
    }
    const [client] = await call(() => admin.clients.find({ clientId: grant.container, realm }));
    if (!client?.id) return false;
    const mapped = await call(() =>
      admin.users.listClientRoleMappings({ id, realm, clientUniqueId: client.id! }),
    );
    return mapped.some((r) => r.name === grant.role);
  }

  async grantRole(grant: RoleGrant): Promise<ActionOutcome> {
    const { admin, realm, userId: id, call } = this;
    const label =
      grant.container === 'realm'
        ? `realm role '${grant.role}'`
        : `role '${grant.role}' of client '${grant.container}'`;
    if (grant.container === 'realm') {
      const mapped = await call(() => admin.users.listRealmRoleMappings({ id, realm }));
      if (mapped.some((r) => r.name === grant.role))
        return { action: 'restoreGrant', changed: false, detail: `${label} already mapped` };
      const role = await call(() => admin.roles.findOneByName({ name: grant.role, realm }));
      if (!role?.id) throw new IdentityProviderError('KeycloakNotFound', `KeycloakNotFound: ${label}`, false);
      await call(() =>
        admin.users.addRealmRoleMappings({ id, realm, roles: [{ id: role.id!, name: role.name! }] }),
      );
    } else {
      const [client] = await call(() => admin.clients.find({ clientId: grant.container, realm }));
      if (!client?.id)
        throw new IdentityProviderError(
          'KeycloakNotFound',
          `KeycloakNotFound: client '${grant.container}'`,
          false,
        );
      const mapped = await call(() =>
        admin.users.listClientRoleMappings({ id, realm, clientUniqueId: client.id! }),
      );
      if (mapped.some((r) => r.name === grant.role))
        return { action: 'restoreGrant', changed: false, detail: `${label} already mapped` };
      const role = await call(() => admin.clients.findRole({ id: client.id!, roleName: grant.role, realm }));
      if (!role?.id) throw new IdentityProviderError('KeycloakNotFound', `KeycloakNotFound: ${label}`, false);
      await call(() =>
        admin.users.addClientRoleMappings({
          id,
          realm,
          clientUniqueId: client.id!,
          roles: [{ id: role.id!, name: role.name! }],
        }),
      );
    }
    return { action: 'restoreGrant', changed: true, detail: `mapped ${label} again` };
  }

  private async unmapRole(f: Extract<Finding, { kind: 'role-grant' }>): Promise<EradicationStep> {
    const { admin, realm, userId: id, call } = this;
    const label =
      f.container === 'realm' ? `realm role '${f.role}'` : `role '${f.role}' of client '${f.container}'`;
    if (f.container === 'realm') {
      const mapped = await call(() => admin.users.listRealmRoleMappings({ id, realm }));
      const role = mapped.find((r) => r.name === f.role);
      if (!role)
        return { finding: f, changed: false, before: `${label} not mapped`, after: `${label} not mapped` };
      await call(() =>
        admin.users.delRealmRoleMappings({ id, realm, roles: [{ id: role.id!, name: role.name! }] }),
      );
    } else {
      const [client] = await call(() => admin.clients.find({ clientId: f.container, realm }));
      const mapped = client?.id
        ? await call(() => admin.users.listClientRoleMappings({ id, realm, clientUniqueId: client.id! }))
        : [];
      const role = mapped.find((r) => r.name === f.role);
      if (!role)
        return { finding: f, changed: false, before: `${label} not mapped`, after: `${label} not mapped` };
      await call(() =>
        admin.users.delClientRoleMappings({
          id,
          realm,
          clientUniqueId: client!.id!,
          roles: [{ id: role.id!, name: role.name! }],
        }),
      );
    }
    return {
      finding: f,
      changed: true,
      before: `${label} granted by ${f.grantedBy}`,
      after: `removed ${label}`,
    };
  }

  private async removeFactor(f: Extract<Finding, { kind: 'factor' }>): Promise<EradicationStep> {
    const { admin, realm, userId: id, call } = this;
    const label = `${f.type} factor${f.label ? ` '${f.label}'` : ''} enrolled ${f.createdAt}`;
    const present = (await call(() => admin.users.getCredentials({ id, realm }))).some(
      (c) => c.id === f.credentialId,
    );
    if (!present) return { finding: f, changed: false, before: `${label}: gone`, after: `removed ${label}` };
    await call(() => admin.users.deleteCredential({ id, credentialId: f.credentialId, realm }), {
      notFoundIsDone: true,
    });
    return { finding: f, changed: true, before: label, after: `removed ${label}` };
  }

  /**
   * A new client secret, once per incident: Keycloak records when the current secret was created,
   * so a retry that finds it newer than the incident knows the rotation already happened. The old
   * secret never leaves this function; it is used once, to prove the token endpoint refuses it.
   */
  private async rotateSecret(
    f: Extract<Finding, { kind: 'client-used' }>,
    since: string,
  ): Promise<EradicationStep> {
    const { admin, realm, call } = this;
    const [client] = await call(() => admin.clients.find({ clientId: f.clientId, realm }));
    if (!client?.id) return clientGone(f);
    const createdS = Number(client.attributes?.[SECRET_CREATED] ?? 0);
    if (createdS * 1000 >= Date.parse(since) - 1000) {
      return {
        finding: f,
        changed: false,
        before: `secret of '${f.clientId}' created ${new Date(createdS * 1000).toISOString()}`,
        after: `secret of '${f.clientId}' already rotated during this incident`,
      };
    }
    const old = (await call(() => admin.clients.getClientSecret({ id: client.id!, realm }))).value;
    const fresh = (await call(() => admin.clients.generateNewClientSecret({ id: client.id!, realm }))).value;
    const proof = old && fresh ? await this.proveSecretRotation(f.clientId, old, fresh) : 'no secret to test';
    return {
      finding: f,
      changed: true,
      before: `secret of '${f.clientId}' created ${createdS ? new Date(createdS * 1000).toISOString() : 'at an unknown time'}`,
      after: `rotated the secret of client '${f.clientId}'`,
      proof,
    };
  }

  /**
   * A new key pair for a client that authenticates with signed JWTs: Keycloak generates it and
   * keeps only the certificate; the private key is dropped here (never logged or returned), so the
   * old key stops authenticating and the client's owner uploads a certificate of their own. A retry
   * sees a certificate other than the one the investigation found and changes nothing.
   */
  private async rotateClientKey(f: Extract<Finding, { kind: 'client-used' }>): Promise<EradicationStep> {
    const { admin, realm, call } = this;
    const [client] = await call(() => admin.clients.find({ clientId: f.clientId, realm }));
    if (!client?.id) return clientGone(f);
    const current = certificateFingerprint(client.attributes?.[JWT_CERTIFICATE]);
    const before = `certificate of '${f.clientId}' sha256 ${f.certificateSha256?.slice(0, 16) ?? 'unknown'}…`;
    if (current && f.certificateSha256 && current !== f.certificateSha256) {
      return { finding: f, changed: false, before, after: `key of client '${f.clientId}' already replaced` };
    }
    const generated = await call(() =>
      admin.clients.generateKey({ id: client.id!, attr: 'jwt.credential', realm }),
    );
    const fresh = certificateFingerprint(generated.certificate);
    // Keycloak caches a client's public key; generating a key does not evict it, a client update does.
    const updated = await call(() => admin.clients.findOne({ id: client.id!, realm }));
    if (updated) await call(() => admin.clients.update({ id: client.id!, realm }, updated));
    if (!fresh || fresh === current) {
      throw new IdentityProviderError(
        'ClientKeyRotationUnproven',
        `ClientKeyRotationUnproven: the certificate of '${f.clientId}' did not change`,
        true,
      );
    }
    return {
      finding: f,
      changed: true,
      before,
      after: `replaced the key of client '${f.clientId}' (its owner uploads a new certificate)`,
      proof: `the client's certificate is now sha256 ${fresh.slice(0, 16)}…; the old key no longer matches it`,
    };
  }

  private async proveSecretRotation(clientId: string, old: string, fresh: string): Promise<string> {
    const attempt = (secret: string) => this.oidc.clientCredentialsAs(clientId, secret);
    const [withOld, withNew] = [await attempt(old), await attempt(fresh)];
    if (withOld !== 'invalid_client' && withOld !== 'unauthorized_client') {
      throw new IdentityProviderError(
        'SecretRotationUnproven',
        `SecretRotationUnproven: the token endpoint answered '${withOld}' to the old secret of '${clientId}'`,
        true,
      );
    }
    if (withOld === withNew)
      return `old and new secret both answered '${withOld}': rotation not provable this way`;
    return `old secret refused by the token endpoint (${withOld}); new secret ${withNew === 'accepted' ? 'accepted' : `authenticates (${withNew})`}`;
  }

  private async clientIdOf(uuid: string): Promise<string> {
    const c = await this.call(() => this.admin.clients.findOne({ id: uuid, realm: this.realm }), {
      notFoundIsDone: true,
    }).catch(() => undefined);
    return c?.clientId ?? uuid;
  }
}

const JWT_CERTIFICATE = 'jwt.credential.certificate';

function clientGone(f: Finding & { clientId: string }): EradicationStep {
  return { finding: f, changed: false, before: `client '${f.clientId}' gone`, after: 'nothing to rotate' };
}

function clientAuthentication(
  authenticator: string | undefined,
  attributes: Record<string, unknown> | undefined,
): NonNullable<Extract<Finding, { kind: 'client-used' }>['authentication']> {
  switch (authenticator ?? 'client-secret') {
    case 'client-secret':
    case 'client-secret-jwt':
      return 'secret';
    case 'client-jwt':
      return attributes?.['use.jwks.url'] === 'true' ? 'jwt-jwks-url' : 'jwt-certificate';
    case 'client-x509':
      return 'x509';
    default:
      return 'other';
  }
}

/** SHA-256 of a certificate given as Keycloak stores it (base64 DER, no PEM armour). */
function certificateFingerprint(value: unknown): string | undefined {
  if (typeof value !== 'string' || !value) return undefined;
  return createHash('sha256').update(Buffer.from(value, 'base64')).digest('hex');
}

/** Role names from an admin event's representation (a JSON array of roles), when details are on. */
function parseRoles(representation?: string): string[] {
  try {
    const parsed = JSON.parse(representation ?? '[]') as { name?: string }[];
    return Array.isArray(parsed) ? parsed.map((r) => r.name).filter((n): n is string => Boolean(n)) : [];
  } catch {
    return [];
  }
}
