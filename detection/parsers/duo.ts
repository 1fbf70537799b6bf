/**
 * Cisco Duo Admin API logs (duo.com/docs/adminapi#logs): authentication (v2 and v1), administrator
 * and telephony records, told apart by their fields. Duo is the second factor, so an authentication
 * record is an MFA result; Duo's own fraud and anomaly verdicts are passed through as risk.
 */
import { C, Classified, GENERIC, identityEvent, RiskLevel } from '../events';
import type { Catalog, CatalogEntry, VendorCatalog } from '../catalog';
import { byType, entry } from '../catalog';
import { EventRejected, get, num, Raw, str } from '../fields';
import { eventTime, ParseContext, Parser, requireObject } from './common';

const auth = (reason: string, classified: Classified, result = 'success'): CatalogEntry => ({
  type: `authentication:${reason}`,
  classified,
  example: { result, reason },
});

/** Authentication reasons (the `reason` field) with their meaning for detection. */
export const DUO_AUTH_CATALOG: Catalog = [
  auth('user_approved', C.mfa('approved')),
  auth('valid_passcode', C.mfa('approved', 'passcode')),
  auth('verification_code_correct', C.mfa('approved')),
  auth('remembered_device', C.mfa('approved')),
  auth('trusted_network', C.mfa('approved')),
  auth('trusted_location', C.mfa('approved')),
  auth('allowed_by_policy', C.mfa('approved')),
  auth('allow_unenrolled_user', C.mfa('approved')),
  auth('bypass_user', C.mfa('approved', 'bypass')),
  auth('user_cancelled', C.mfa('denied'), 'denied'),
  auth('user_denied', C.mfa('denied'), 'denied'),
  auth('no_response', C.mfa('timeout'), 'denied'),
  auth('call_timed_out', C.mfa('timeout'), 'denied'),
  auth('invalid_passcode', C.mfa('denied', 'passcode'), 'denied'),
  auth('verification_code_incorrect', C.mfa('denied'), 'denied'),
  auth('verification_code_missing', C.mfa('denied'), 'denied'),
  auth('frequent_attempts', C.mfa('denied'), 'denied'),
  auth('locked_out', C.logon({ lockedOut: true }), 'denied'),
  auth('user_marked_fraud', C.risk('user-reported'), 'fraud'),
  auth('anomalous_push', C.risk('detected'), 'denied'),
  auth('anonymous_ip', C.risk('detected'), 'denied'),
  auth('deny_unenrolled_user', C.auth('other'), 'denied'),
  auth('denied_by_policy', C.auth('other'), 'denied'),
  auth('location_restricted', C.auth('other'), 'denied'),
  auth('denied_network', C.auth('other'), 'denied'),
  auth('user_disabled', C.auth('other'), 'denied'),
  auth('factor_restricted', C.auth('other'), 'denied'),
  auth('platform_restricted', C.auth('other'), 'denied'),
  auth('endpoint_is_not_trusted', C.auth('other'), 'denied'),
  auth('endpoint_is_not_in_management_system', C.auth('other'), 'denied'),
  auth('endpoint_failed_google_verification', C.auth('other'), 'denied'),
  auth('could_not_determine_if_endpoint_was_trusted', C.auth('other'), 'denied'),
  auth('invalid_device', C.auth('other'), 'denied'),
  auth('rooted_device', C.auth('other'), 'denied'),
  auth('out_of_date', C.auth('other'), 'denied'),
  auth('software_restricted', C.auth('other'), 'denied'),
  auth('version_restricted', C.auth('other'), 'denied'),
  auth('no_screen_lock', C.auth('other'), 'denied'),
  auth('no_disk_encryption', C.auth('other'), 'denied'),
  auth('user_not_in_permitted_group', C.auth('other'), 'denied'),
  { type: 'enrollment', classified: C.credential('factor-enrolled'), example: { event_type: 'enrollment' } },
];

const admin = (action: string, classified: Classified, extra: Partial<CatalogEntry> = {}): CatalogEntry =>
  entry(`administrator:${action}`, classified, extra);

const WEAKENING =
  /bypass|allow access without 2fa|without_2fa|no_2fa|allow_unenrolled|"[^"]*(enforce|require|enabled|saml|sso)[^"]*"\s*:\s*(false|"(disabled|off|optional|false)")/i;

/** Administrator log actions (the `action` field). */
export const DUO_ADMIN_CATALOG: Catalog = [
  admin('admin_login', C.logon()),
  admin('admin_login_error', C.logon()),
  admin('admin_2fa_error', C.mfa('denied')),
  admin('admin_lockout', C.account('lock')),
  admin('admin_create', C.grant('duo administrator')),
  admin('admin_update', C.account('update')),
  admin('admin_update', C.grant(), {
    when: 'the description sets a role',
    example: { description: '{"role": "Owner"}' },
  }),
  admin('admin_delete', C.account('delete')),
  admin('admin_reset_password', C.account('password-reset')),
  admin('admin_factor_restrictions_update', C.policy('changed', 'admin MFA methods')),
  admin('admin_factor_restrictions_update', C.policy('mfa-weakened', 'admin MFA methods'), {
    when: 'a weaker method allowed (SMS, phone, passcodes)',
    example: { description: '{"allowed_factors": "sms, phone, hotp"}' },
  }),
  admin('admin_single_sign_on_update', C.policy('changed', 'admin SSO')),
  admin('admin_single_sign_on_update', C.policy('mfa-weakened', 'admin SSO'), {
    when: 'SAML/SSO requirement turned off',
    example: { description: '{"enforcement_status": "disabled"}' },
  }),
  admin('bypass_create', C.credential('bypass-created')),
  admin('bypass_view', C.credential('secret-viewed')),
  admin('bypass_detail_view', C.credential('secret-viewed')),
  admin('integration_create', C.credential('app-created')),
  admin('integration_skey_view', C.credential('secret-viewed')),
  admin('integration_skey_bulk_view', C.credential('secret-viewed')),
  admin('policy_create', C.policy('changed')),
  admin('policy_update', C.policy('changed')),
  admin('policy_delete', C.policy('changed')),
  admin('policy_update', C.policy('mfa-weakened'), {
    when: 'the new policy bypasses or no longer requires 2FA',
    example: { description: '{"new_user_policy": "Allow access without 2FA"}' },
  }),
  admin('customer_update', C.policy('changed', 'account settings')),
  admin('user_create', C.account('create')),
  admin('user_delete', C.account('delete')),
  admin('user_pending_delete', C.account('delete')),
  admin('user_restore', C.account('enable')),
  admin('user_update', C.account('update')),
  admin('user_update', C.credential('bypass-created'), {
    when: 'status set to bypass',
    example: { description: '{"status": "Bypass"}' },
  }),
  admin('user_update', C.account('disable'), {
    when: 'status set to disabled',
    example: { description: '{"status": "Disabled"}' },
  }),
  admin('phone_create', C.credential('factor-enrolled', 'phone')),
  admin('phone_activation_send_link', C.credential('factor-enrolled', 'phone')),
  admin('hardkey_assign', C.credential('factor-enrolled', 'hardware-token')),
  admin('webauthn_credential_create', C.credential('factor-enrolled', 'webauthn')),
  admin('phone_delete', C.credential('factor-removed', 'phone')),
  admin('hardkey_unassign', C.credential('factor-removed', 'hardware-token')),
];

export const DUO_CATALOG: Catalog = [
  ...DUO_AUTH_CATALOG,
  ...DUO_ADMIN_CATALOG,
  {
    type: 'telephony',
    classified: GENERIC,
    when: 'telephony records carry no user: kept for cost and toll-fraud review',
  },
];

const AUTH = byType(DUO_AUTH_CATALOG);
const ADMIN = byType(DUO_ADMIN_CATALOG);

function adminClass(action: string, description: string): Classified {
  if (action === 'user_update') {
    if (/"status"\s*:\s*"bypass"/i.test(description)) return C.credential('bypass-created');
    if (/"status"\s*:\s*"disabled"/i.test(description)) return C.account('disable');
  }
  if (action === 'admin_update' && /"role"\s*:/i.test(description))
    return C.grant(/"role"\s*:\s*"([^"]+)"/i.exec(description)?.[1]);
  if (action === 'admin_factor_restrictions_update' && /sms|phone|hotp|passcode/i.test(description))
    return C.policy('mfa-weakened', 'admin MFA methods');
  if (
    (action === 'admin_single_sign_on_update' ||
      action === 'policy_update' ||
      action === 'policy_create' ||
      action === 'customer_update') &&
    WEAKENING.test(description)
  )
    return C.policy('mfa-weakened', action === 'admin_single_sign_on_update' ? 'admin SSO' : undefined);
  return ADMIN.get(`administrator:${action}`) ?? GENERIC;
}

function time(raw: Raw, ctx: ParseContext) {
  const seconds = num(raw, 'timestamp');
  const ms = num(raw, 'ts');
  return eventTime(
    ctx,
    get(raw, 'isotimestamp'),
    seconds !== undefined ? new Date(seconds * 1000).toISOString() : undefined,
    typeof get(raw, 'ts') === 'string'
      ? get(raw, 'ts')
      : ms !== undefined
        ? new Date(ms).toISOString()
        : undefined,
  );
}

function authentication(raw: Raw, ctx: ParseContext) {
  const result = (str(raw, 'result') ?? '').toLowerCase();
  const reason = (str(raw, 'reason') ?? '').toLowerCase().replace(/\s+/g, '_');
  const enrollment = /enrollment/i.test(str(raw, 'event_type', 'eventtype') ?? '');
  let classified = enrollment ? C.credential('factor-enrolled') : AUTH.get(`authentication:${reason}`);
  if (!classified) {
    classified =
      result === 'fraud'
        ? C.risk('user-reported')
        : result === 'success'
          ? C.mfa('approved')
          : result
            ? C.mfa('denied')
            : GENERIC;
  }
  const factor = str(raw, 'factor');
  if (classified.category === 'authentication' && factor && !classified.factor)
    classified = { ...classified, factor: factor.replace(/^duo_/, '') };
  const risk: RiskLevel | undefined =
    result === 'fraud'
      ? 'high'
      : reason === 'anomalous_push'
        ? 'high'
        : reason === 'anonymous_ip'
          ? 'medium'
          : undefined;
  const userName = str(raw, 'user.name', 'username');
  const user =
    userName || str(raw, 'user.key')
      ? { id: str(raw, 'user.key'), name: userName, type: 'user' as const }
      : undefined;
  return identityEvent(
    {
      id: str(raw, 'txid') ?? ctx.rawRef,
      provider: 'duo',
      tenant: str(raw, 'host', 'account_id'),
      vendorType: enrollment ? 'enrollment' : `authentication:${reason || result || 'unknown'}`,
      outcome: result === 'success' ? 'success' : result ? 'failure' : 'unknown',
      reason: reason || undefined,
      actor: user,
      target: user,
      sourceIp: str(raw, 'access_device.ip', 'ip'),
      userAgent: str(raw, 'access_device.browser'),
      geo: str(raw, 'access_device.location.country')
        ? {
            country: str(raw, 'access_device.location.country'),
            city: str(raw, 'access_device.location.city'),
          }
        : undefined,
      network: reason === 'anonymous_ip' ? { anonymizer: 'proxy' } : undefined,
      risk: risk
        ? { level: risk, detail: result === 'fraud' ? 'user marked the request fraudulent' : reason }
        : undefined,
      client: str(raw, 'application.name', 'integration'),
      rawRef: ctx.rawRef,
      ...time(raw, ctx),
    },
    classified,
  );
}

function administrator(raw: Raw, ctx: ParseContext) {
  const action = str(raw, 'action') ?? 'unknown';
  const descriptionValue = get(raw, 'description');
  // Only the first 4 kB is read for what changed: the patterns stay linear on any input.
  const description = (
    typeof descriptionValue === 'string' ? descriptionValue : JSON.stringify(descriptionValue ?? '')
  ).slice(0, 4096);
  const classified = adminClass(action, description);
  const object = str(raw, 'object');
  return identityEvent(
    {
      id: str(raw, 'txid') ?? ctx.rawRef,
      provider: 'duo',
      tenant: str(raw, 'host', 'account_id'),
      vendorType: `administrator:${action}`,
      outcome: /error|fail/i.test(action) ? 'failure' : 'success',
      // Never the description of a credential action: it could carry what was created or shown.
      reason:
        classified.category === 'credential-change' ? undefined : description.slice(0, 200) || undefined,
      actor: str(raw, 'username') ? { name: str(raw, 'username'), type: 'admin' } : undefined,
      target: object
        ? { name: object, type: /^(admin|user|bypass|phone|hardkey)/.test(action) ? 'user' : 'unknown' }
        : undefined,
      sourceIp: str(raw, 'ip', 'access_device.ip'),
      rawRef: ctx.rawRef,
      ...time(raw, ctx),
    },
    classified,
  );
}

export const parseDuo: Parser = (raw, ctx) => {
  requireObject(raw, 'duo');
  if (str(raw, 'action')) return [administrator(raw, ctx)];
  if (
    str(raw, 'result', 'event_type', 'eventtype') &&
    (get(raw, 'user') !== undefined || str(raw, 'username', 'txid'))
  ) {
    return [authentication(raw, ctx)];
  }
  if (str(raw, 'context') && (get(raw, 'credits') !== undefined || str(raw, 'phone'))) {
    return [
      identityEvent(
        {
          id: str(raw, 'telephony_id') ?? ctx.rawRef,
          provider: 'duo',
          vendorType: 'telephony',
          outcome: 'unknown',
          reason: `${str(raw, 'type') ?? 'telephony'} for ${str(raw, 'context')}, ${num(raw, 'credits') ?? 0} credits`,
          rawRef: ctx.rawRef,
          ...time(raw, ctx),
        },
        GENERIC,
      ),
    ];
  }
  throw new EventRejected(
    'not a Duo log: expected an authentication (result, user), administrator (action) or telephony (context) record',
  );
};

export const DUO: VendorCatalog = {
  provider: 'duo',
  source: 'Duo Admin API authentication, administrator and telephony logs (duo.com/docs/adminapi#logs)',
  catalog: DUO_CATALOG,
  record: (entry) => {
    if (entry.type.startsWith('administrator:')) {
      return {
        action: entry.type.slice('administrator:'.length),
        isotimestamp: '2026-11-30T02:14:00+00:00',
        timestamp: 1795926840,
        username: 'Admin Person',
        object: 'alice',
        description: '{}',
        ...entry.example,
      };
    }
    if (entry.type === 'telephony') {
      return {
        context: 'authentication',
        credits: 1,
        phone: '+15555550100',
        type: 'sms',
        ts: '2026-11-30T02:14:00+00:00',
        telephony_id: 'tel-1',
      };
    }
    return {
      txid: `catalog-${entry.type}`,
      event_type: 'authentication',
      isotimestamp: '2026-11-30T02:14:00+00:00',
      timestamp: 1795926840,
      factor: 'duo_push',
      user: { name: 'alice', key: 'DU-alice' },
      access_device: { ip: '198.51.100.7' },
      application: { name: 'VPN' },
      ...entry.example,
    };
  },
};
