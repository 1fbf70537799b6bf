/**
 * Keycloak: what an incident changes about a whole realm, not one account. Settings that helped the
 * attack (found by the investigation, fixed only after their own approval) and, when token forgery
 * is suspected, the realm's signing keys. Both read before they write: a retry changes nothing twice.
 */
import type KcAdminClient from '@keycloak/keycloak-admin-client';
import type { Finding, RealmFix } from '../../domain/incident';
import { EradicationStep, IdentityProviderError } from '../ports';
import { nextWholeSecond, type RealmOidc } from '../oidc';

type Call = <T>(fn: () => Promise<T>, opts?: { notFoundIsDone?: boolean }) => Promise<T>;
type SettingFinding = Extract<Finding, { kind: 'realm-setting' }>;
type KeyFinding = Extract<Finding, { kind: 'signing-key' }>;

const KEY_PROVIDER = 'org.keycloak.keys.KeyProvider';
/** Asymmetric token-signing keys: the ones a forger needs. */
const SIGNING_KEY_TYPES = new Set(['RSA', 'EC', 'OKP']);

export class KeycloakRealm {
  constructor(
    private readonly admin: KcAdminClient,
    private readonly realm: string,
    private readonly oidc: RealmOidc,
    private readonly call: Call,
    /** Tokens the engine holds for this realm are dead after a rotation: forget them. */
    private readonly onKeysRotated: () => void,
  ) {}

  /**
   * Realm settings that helped an attack like this one or would hide the next, each with the fix
   * hardening would apply; with `tokenForgerySuspected`, the active signing keys too.
   */
  async findings(opts: { tokenForgerySuspected?: boolean } = {}): Promise<Finding[]> {
    const { admin, realm, call } = this;
    const [rep, clients, otpAction] = await Promise.all([
      call(() => admin.realms.findOne({ realm })),
      call(() => admin.clients.find({ realm, max: 500 })),
      call(
        () => admin.authenticationManagement.getRequiredActionForAlias({ alias: 'CONFIGURE_TOTP', realm }),
        {
          notFoundIsDone: true,
        },
      ),
    ]);
    const out: Finding[] = [];
    const add = (setting: string, current: string, recommended: string, fix: RealmFix) =>
      out.push({ kind: 'realm-setting', setting, current, recommended, remedy: 'harden-realm', fix });
    const realmFix = (field: string, value: string | number | boolean): RealmFix => ({
      target: 'realm',
      field,
      value,
    });
    if (!rep) return out;
    if (!rep.bruteForceProtected)
      add(
        'bruteForceProtected',
        'off',
        'on (temporary lockout after failures)',
        realmFix('bruteForceProtected', true),
      );
    if (!rep.passwordPolicy)
      add(
        'passwordPolicy',
        'none',
        'length(12) and notUsername',
        realmFix('passwordPolicy', 'length(12) and notUsername'),
      );
    if (!rep.eventsEnabled)
      add(
        'eventsEnabled',
        'off',
        'on: login events are the detection source',
        realmFix('eventsEnabled', true),
      );
    if (!rep.adminEventsEnabled)
      add('adminEventsEnabled', 'off', 'on: grants are evidence', realmFix('adminEventsEnabled', true));
    else if (!rep.adminEventsDetailsEnabled)
      add(
        'adminEventsDetailsEnabled',
        'off',
        'on: who was granted what',
        realmFix('adminEventsDetailsEnabled', true),
      );
    if ((rep.accessTokenLifespan ?? 300) > 3600)
      add(
        'accessTokenLifespan',
        `${rep.accessTokenLifespan} s`,
        '300 s',
        realmFix('accessTokenLifespan', 300),
      );
    if ((rep.ssoSessionMaxLifespan ?? 0) > 7 * 86400)
      add(
        'ssoSessionMaxLifespan',
        `${rep.ssoSessionMaxLifespan} s`,
        '10 h',
        realmFix('ssoSessionMaxLifespan', 36000),
      );
    if ((rep.otpPolicyDigits ?? 6) < 6)
      add('otpPolicyDigits', String(rep.otpPolicyDigits), '6', realmFix('otpPolicyDigits', 6));
    if (otpAction && otpAction.enabled !== false && !otpAction.defaultAction)
      add('mfaForNewUsers', 'off', 'OTP enrolment required of every new user', {
        target: 'required-action',
        alias: 'CONFIGURE_TOTP',
        defaultAction: true,
      });
    for (const c of clients) {
      if (c.publicClient && c.directAccessGrantsEnabled && c.enabled !== false && c.clientId) {
        add(
          `client '${c.clientId}' directAccessGrantsEnabled`,
          'on for a public client',
          'off (password grant bypasses MFA prompts)',
          { target: 'client', clientId: c.clientId, field: 'directAccessGrantsEnabled', value: false },
        );
      }
    }
    if (opts.tokenForgerySuspected) out.push(...(await this.activeSigningKeys()));
    return out;
  }

  /** Applies one setting's fix, unless the realm already has it. */
  async harden(f: SettingFinding): Promise<EradicationStep> {
    const { admin, realm, call } = this;
    const fix = f.fix;
    if (!fix) return { finding: f, changed: false, before: f.current, after: 'no fix known: left as is' };
    const done = (changed: boolean): EradicationStep => ({
      finding: f,
      changed,
      before: `${f.setting}: ${f.current}`,
      after: `${f.setting}: ${f.recommended}`,
    });
    if (fix.target === 'realm') {
      const rep = (await call(() => admin.realms.findOne({ realm }))) as Record<string, unknown> | undefined;
      if (rep?.[fix.field] === fix.value) return done(false);
      await call(() => admin.realms.update({ realm }, { [fix.field]: fix.value }));
      return done(true);
    }
    if (fix.target === 'client') {
      const [client] = await call(() => admin.clients.find({ clientId: fix.clientId, realm }));
      if (!client?.id || client.directAccessGrantsEnabled === false) return done(false);
      await call(() =>
        admin.clients.update({ id: client.id!, realm }, { ...client, [fix.field]: fix.value }),
      );
      return done(true);
    }
    const action = await call(() =>
      admin.authenticationManagement.getRequiredActionForAlias({ alias: fix.alias, realm }),
    );
    if (!action || action.defaultAction) return done(false);
    await call(() =>
      admin.authenticationManagement.updateRequiredAction(
        { alias: fix.alias, realm },
        { ...action, enabled: true, defaultAction: true },
      ),
    );
    return done(true);
  }

  /**
   * Rotates the realm's signing keys once per incident: a new RSA key (named after the incident's
   * start, so a retry finds it) takes over first, then the old keys are disabled (or made passive)
   * and the realm's not-before moves to now, which ends every session and every token issued
   * before, refresh tokens included. Proven afterwards: the JWKS no longer publishes a disabled key,
   * and a token the engine minted under the old key is refused by introspection.
   */
  async rotateSigningKeys(
    found: KeyFinding[],
    opts: { since: string; oldKeys: 'disable' | 'passive' },
  ): Promise<EradicationStep> {
    const { admin, realm, call } = this;
    const name = `incident-rotation-${Date.parse(opts.since)}`;
    const rep = await call(() => admin.realms.findOne({ realm }));
    if (!rep?.id)
      throw new IdentityProviderError('KeycloakNotFound', `KeycloakNotFound: realm '${realm}'`, false);
    const providers = await call(() => admin.components.find({ realm, type: KEY_PROVIDER }));
    const ours = providers.find((c) => c.name === name);
    // On a retry the incident's own new key may be among those found: it is not an old key.
    const keys = found.filter((k) => k.providerId !== ours?.id);
    const finding = keys[0] ?? { kind: 'signing-key', kid: '?', algorithm: '?', providerId: '?' };

    // A token signed by the old key, held in memory only, to prove it is refused afterwards.
    const minted = ours ? undefined : await this.oidc.mintProbeToken().catch(() => undefined);
    // A probe proves anything only if introspection saw it alive first (Keycloak's audience check
    // can answer `active: false` for every token the engine's client asks about).
    const probe = minted && (await this.oidc.isActive(minted).catch(() => false)) ? minted : undefined;

    let changed = false;
    if (!ours) {
      const top = Math.max(0, ...providers.map((c) => Number(c.config?.priority?.[0] ?? 0)));
      await call(() =>
        admin.components.create({
          realm,
          name,
          providerId: 'rsa-generated',
          providerType: KEY_PROVIDER,
          parentId: rep.id,
          config: {
            priority: [String(top + 100)],
            enabled: ['true'],
            active: ['true'],
            algorithm: ['RS256'],
            keySize: ['2048'],
          },
        }),
      );
      changed = true;
    }
    // The new key is active; now retire the old ones.
    for (const key of keys) {
      const component = providers.find((c) => c.id === key.providerId);
      if (!component?.id || component.name === name) continue;
      const config = { ...component.config };
      const field = opts.oldKeys === 'disable' ? 'enabled' : 'active';
      if (config[field]?.[0] === 'false') continue;
      config[field] = ['false'];
      await call(() => admin.components.update({ id: component.id!, realm }, { ...component, config }));
      // The engine's own token may have been signed by the key just disabled.
      this.onKeysRotated();
      changed = true;
    }
    const notBefore = await nextWholeSecond();
    if ((rep.notBefore ?? 0) * 1000 < Date.parse(opts.since)) {
      await call(() => admin.realms.logoutAll({ realm }));
      await call(() => admin.realms.update({ realm }, { notBefore }));
      this.onKeysRotated();
      changed = true;
    }

    const published = await this.oidc.publishedKeyIds();
    const stillPublished = keys.filter((k) => published.includes(k.kid)).map((k) => k.kid);
    if (opts.oldKeys === 'disable' && stillPublished.length) {
      throw new IdentityProviderError(
        'KeyRotationUnproven',
        `KeyRotationUnproven: the realm still publishes ${stillPublished.join(', ')}`,
        true,
      );
    }
    const proofs = [
      opts.oldKeys === 'disable'
        ? `old key(s) ${keys.map((k) => k.kid).join(', ')} no longer published in the JWKS`
        : `old key(s) kept passive (still published for verification)`,
    ];
    if (probe) {
      if (await this.oidc.isActive(probe)) {
        throw new IdentityProviderError(
          'KeyRotationUnproven',
          'KeyRotationUnproven: a token issued before the rotation is still active',
          true,
        );
      }
      proofs.push('a token issued under the old key is refused by introspection');
    }
    return {
      finding,
      changed,
      before: `active signing key(s): ${keys.map((k) => `${k.kid} (${k.algorithm})`).join(', ')}`,
      after: `new RS256 key '${name}' active; old key(s) ${opts.oldKeys === 'disable' ? 'disabled' : 'passive'}; every session and token issued before ${new Date(
        Math.max(notBefore * 1000, (rep.notBefore ?? 0) * 1000),
      ).toISOString()} revoked`,
      proof: proofs.join('; '),
    };
  }

  /** The realm's active token-signing keys (what a forger would have needed). */
  async activeSigningKeys(): Promise<KeyFinding[]> {
    const { admin, realm, call } = this;
    const meta = await call(() => admin.realms.getKeys({ realm }));
    return (meta.keys ?? [])
      .filter((k) => {
        const use = (k as { use?: string }).use;
        return (
          k.status === 'ACTIVE' && (use === undefined || use === 'SIG') && SIGNING_KEY_TYPES.has(k.type ?? '')
        );
      })
      .map((k) => ({
        kind: 'signing-key' as const,
        kid: k.kid ?? '?',
        algorithm: k.algorithm ?? '?',
        providerId: k.providerId ?? '?',
        remedy: 'rotate-signing-key' as const,
      }));
  }
}
