/**
 * Google Workspace Reports API activities (login, admin, user_accounts). One activity can carry
 * several events; each becomes its own normalized event.
 */
import { C, Classified, GENERIC, identityEvent, IdentityEvent, Outcome, RiskLevel } from '../events';
import type { Catalog, VendorCatalog } from '../catalog';
import { byType, entry } from '../catalog';
import { EventRejected, get, isRecord, own, str } from '../fields';
import { eventTime, Parser, requireObject } from './common';

/**
 * Reports API event names (developers.google.com/admin-sdk/reports/v1/appendix/activity) of the
 * login, user_accounts, admin, token and rules applications; the same name means the same thing in
 * each application that emits it.
 */
export const GOOGLE_CATALOG: Catalog = [
  entry('login_success', C.logon()),
  entry('login_failure', C.logon()),
  entry('login_challenge', C.mfa('challenged')),
  entry('login_verification', C.mfa('challenged')),
  entry('logout', C.auth('logoff')),
  entry('suspicious_login', C.risk('detected')),
  entry('suspicious_login_less_secure_app', C.risk('detected')),
  entry('suspicious_programmatic_login', C.risk('detected')),
  entry('gov_attack_warning', C.risk('detected')),
  entry('risky_sensitive_action_allowed', C.risk('detected')),
  entry('risky_sensitive_action_blocked', C.risk('detected')),
  entry('account_disabled_hijacked', C.risk('confirmed-compromised')),
  entry('account_disabled_password_leak', C.risk('detected')),
  // Google suspends an account it believes is in someone else's hands (spam sent from it).
  entry('account_disabled_generic', C.risk('detected')),
  entry('account_disabled_spamming', C.risk('detected')),
  entry('account_disabled_spamming_through_relay', C.risk('detected')),
  entry('2sv_enroll', C.credential('factor-enrolled', '2sv')),
  entry('2sv_disable', C.account('mfa-disabled')),
  entry('titanium_enroll', C.credential('factor-enrolled', 'advanced-protection')),
  entry('titanium_unenroll', C.account('mfa-disabled')),
  entry('password_edit', C.account('password-change')),
  entry('recovery_email_edit', C.credential('factor-enrolled', 'recovery-email')),
  entry('recovery_phone_edit', C.credential('factor-enrolled', 'recovery-phone')),
  entry('recovery_secret_qa_edit', C.credential('factor-enrolled', 'recovery-question')),
  entry('CREATE_USER', C.account('create')),
  entry('DELETE_USER', C.account('delete')),
  entry('SUSPEND_USER', C.account('disable')),
  entry('UNSUSPEND_USER', C.account('enable')),
  entry('CHANGE_PASSWORD', C.account('password-reset')),
  entry('TURN_OFF_2_STEP_VERIFICATION', C.account('mfa-disabled')),
  entry('UNENROLL_USER_FROM_TITANIUM', C.account('mfa-disabled')),
  entry('GRANT_ADMIN_PRIVILEGE', C.grant('super-admin')),
  entry('REVOKE_ADMIN_PRIVILEGE', C.revoke('super-admin')),
  entry('GRANT_DELEGATED_ADMIN_PRIVILEGES', C.grant()),
  entry('ASSIGN_ROLE', C.grant()),
  entry('UNASSIGN_ROLE', C.revoke()),
  entry('ADD_GROUP_MEMBER', C.grant()),
  entry('REMOVE_GROUP_MEMBER', C.revoke()),
  entry('CREATE_ROLE', C.policy('changed', 'custom admin role')),
  entry('ADD_PRIVILEGE', C.policy('changed', 'custom admin role')),
  entry('ENFORCE_STRONG_AUTHENTICATION', C.policy('changed', '2-step verification enforcement')),
  entry('ENFORCE_STRONG_AUTHENTICATION', C.policy('mfa-weakened', '2-step verification enforcement'), {
    when: 'NEW_VALUE false',
    example: { parameters: [{ name: 'NEW_VALUE', value: 'false' }] },
  }),
  entry('ALLOW_STRONG_AUTHENTICATION', C.policy('changed', '2-step verification')),
  entry('ALLOW_STRONG_AUTHENTICATION', C.policy('mfa-weakened', '2-step verification'), {
    when: 'NEW_VALUE false',
    example: { parameters: [{ name: 'NEW_VALUE', value: 'false' }] },
  }),
  entry('CHANGE_ALLOWED_TWO_STEP_VERIFICATION_METHODS', C.policy('changed', '2-step verification methods')),
  entry('CHANGE_APPLICATION_SETTING', C.policy('changed')),
  entry('CHANGE_APPLICATION_SETTING', C.policy('protection-disabled'), {
    when: 'a password, 2-step verification, Advanced Protection or login challenge setting turned off',
    example: {
      parameters: [
        { name: 'SETTING_NAME', value: 'Password Management - Enforce strong password' },
        { name: 'NEW_VALUE', value: 'false' },
      ],
    },
  }),
  entry('ADD_TRUSTED_DOMAINS', C.policy('changed', 'trusted domains')),
  entry('CHANGE_SSO_SETTINGS', C.credential('idp-trust-changed')),
  entry('CREATE_SSO_PROFILE', C.credential('idp-trust-changed')),
  entry('UPDATE_SSO_PROFILE', C.credential('idp-trust-changed')),
  entry('TOGGLE_SSO_ENABLED', C.credential('idp-trust-changed')),
  entry('AUTHORIZE_API_CLIENT_ACCESS', C.credential('consent-granted', 'domain-wide-delegation')),
  entry('ADD_TO_TRUSTED_OAUTH2_APPS', C.credential('consent-granted', 'trusted-app')),
  entry('ADD_APPLICATION', C.credential('app-created', 'marketplace')),
  entry('ADD_APPLICATION_TO_WHITELIST', C.credential('app-created', 'marketplace')),
  entry('authorize', C.credential('consent-granted', 'oauth')),
  entry('rule_trigger', C.risk('detected')),
  entry('rule_match', C.risk('detected')),
];

const NAMES = byType(GOOGLE_CATALOG);
const FAILED = new Set(['login_failure']);
const RISKY: Record<string, RiskLevel> = {
  gov_attack_warning: 'critical',
  account_disabled_hijacked: 'critical',
  suspicious_login: 'high',
  suspicious_programmatic_login: 'high',
  suspicious_login_less_secure_app: 'medium',
  account_disabled_password_leak: 'high',
  risky_sensitive_action_allowed: 'high',
  risky_sensitive_action_blocked: 'medium',
  account_disabled_spamming: 'high',
  account_disabled_spamming_through_relay: 'high',
  account_disabled_generic: 'medium',
};

type Params = Map<string, string>;

const scalar = (v: unknown): string | undefined =>
  Array.isArray(v)
    ? v.join(',')
    : typeof v === 'string'
      ? v
      : typeof v === 'number' || typeof v === 'boolean'
        ? String(v)
        : undefined;

/**
 * An event's parameters, read once into a map (names folded to lower case): from the API's list
 * shape (`{name, value|intValue|boolValue|multiValue}`) or the flattened map log pipelines emit.
 */
function paramsOf(event: unknown): Params {
  const out: Params = new Map();
  const params = isRecord(event) ? event.parameters : undefined;
  if (Array.isArray(params)) {
    for (const p of params) {
      if (!isRecord(p) || typeof p.name !== 'string') continue;
      const v = scalar(p.multiValue) ?? scalar(p.value) ?? scalar(p.intValue) ?? scalar(p.boolValue);
      if (v !== undefined && v.trim() !== '') out.set(p.name.toLowerCase(), v.trim());
    }
  } else if (isRecord(params)) {
    for (const k in params) {
      const v = scalar(params[k]);
      if (v !== undefined && v.trim() !== '') out.set(k.toLowerCase(), v.trim());
    }
  }
  return out;
}

/** A parameter by its name in lower case (the map's keys are folded once, when it is read). */
function param(params: Params, name: Lowercase<string>): string | undefined {
  return params.get(name);
}

function classify(name: string, params: Params): Classified {
  if (
    /^(ENFORCE|ALLOW)_STRONG_AUTHENTICATION$/.test(name) &&
    /^false$/i.test(param(params, 'new_value') ?? '')
  )
    return C.policy('mfa-weakened', '2-step verification');
  if (
    name === 'CHANGE_APPLICATION_SETTING' &&
    SECURITY_SETTING.test(param(params, 'setting_name') ?? '') &&
    /^(false|off|disabled?|0)$/i.test(param(params, 'new_value') ?? '')
  )
    return C.policy('protection-disabled', param(params, 'setting_name'));
  return NAMES.get(name) ?? GENERIC;
}

const SECURITY_SETTING =
  /password|2-step|two.?step|strong auth|advanced protection|login challenge|less secure|session control/i;

function riskOf(name: string, params: Params): { level: RiskLevel; detail?: string } | undefined {
  const known = own(RISKY, name);
  if (known) return { level: known, detail: name };
  if (/^true$/i.test(param(params, 'is_suspicious') ?? ''))
    return { level: 'high', detail: 'Google marked the login suspicious' };
  if (name === 'rule_trigger' || name === 'rule_match') {
    const severity = (param(params, 'severity') ?? '').toLowerCase();
    const level: RiskLevel = severity === 'high' ? 'high' : severity === 'low' ? 'low' : 'medium';
    return { level, detail: param(params, 'rule_name') };
  }
  return undefined;
}

export const parseGoogle: Parser = (raw, ctx) => {
  requireObject(raw, 'google');
  const rawEvents = get(raw, 'events');
  // Array.from: a sparse array's holes become events too (map would leave holes in the result).
  // Pipelines that flatten an activity put one event's name, type and parameters at the top.
  const events: unknown[] = Array.isArray(rawEvents)
    ? Array.from(rawEvents)
    : isRecord(rawEvents)
      ? [rawEvents]
      : str(raw, 'name')
        ? [raw]
        : [];
  if (!str(raw, 'id.applicationName') && events.length === 0) {
    throw new EventRejected('not a Google Workspace activity: expected id.applicationName and events');
  }
  const app = str(raw, 'id.applicationName') ?? 'unknown';
  const actorEmail = str(raw, 'actor.email');
  const tenant = str(raw, 'id.customerId') ?? str(raw, 'ownerDomain');
  const actor =
    actorEmail || str(raw, 'actor.profileId')
      ? { id: str(raw, 'actor.profileId'), name: actorEmail, type: 'user' as const }
      : undefined;
  const sourceIp = str(raw, 'ipAddress');
  const { time, timeSource } = eventTime(ctx, get(raw, 'id.time'));
  const idPrefix = `${str(raw, 'id.time') ?? ''}/${str(raw, 'id.uniqueQualifier') ?? ctx.rawRef}/${app}`;
  if (events.length === 0) {
    return [
      identityEvent(
        {
          id: idPrefix,
          provider: 'google',
          tenant,
          time,
          timeSource,
          vendorType: app,
          outcome: 'unknown',
          actor,
          sourceIp,
          rawRef: ctx.rawRef,
        },
        GENERIC,
      ),
    ];
  }
  return events.map((event, index): IdentityEvent => {
    const name = str(event, 'name') ?? 'unknown';
    const params = paramsOf(event);
    const targetEmail = param(params, 'user_email') ?? param(params, 'affected_email_address');
    let classified = classify(name, params);
    if (classified.category === 'privilege-change' && !classified.privilege) {
      classified = { ...classified, privilege: param(params, 'role_name') ?? param(params, 'group_email') };
    }
    const challenge = param(params, 'login_challenge_status');
    let outcome: Outcome = FAILED.has(name)
      ? 'failure'
      : NAMES.has(name) && classified.category !== 'risk'
        ? 'success'
        : 'unknown';
    if (name === 'login_challenge' || name === 'login_verification') {
      outcome = /passed/i.test(challenge ?? '')
        ? 'success'
        : /failed/i.test(challenge ?? '')
          ? 'failure'
          : 'unknown';
    }
    const scopeText = param(params, 'scope') ?? param(params, 'api_scopes') ?? param(params, 'oauth2_scopes');
    const clientName =
      param(params, 'app_name') ??
      param(params, 'client_id') ??
      param(params, 'api_client_name') ??
      param(params, 'application_name');
    return identityEvent(
      {
        id: `${idPrefix}/${index}`,
        provider: 'google',
        tenant,
        time,
        timeSource,
        vendorType: `${app}:${name}`,
        outcome,
        reason: param(params, 'login_failure_type') ?? challenge,
        actor,
        target: targetEmail ? { name: targetEmail, type: 'user' } : actor,
        sourceIp,
        risk: riskOf(name, params),
        scopes: scopeText ? scopeText.split(/[\s,]+/).filter(Boolean) : undefined,
        client: clientName,
        rawRef: ctx.rawRef,
      },
      classified,
    );
  });
};

export const GOOGLE: VendorCatalog = {
  provider: 'google',
  source: 'Google Workspace Reports API activity events (developers.google.com/admin-sdk/reports)',
  catalog: GOOGLE_CATALOG,
  record: (entry) => ({
    kind: 'admin#reports#activity',
    id: {
      time: '2026-11-30T02:14:00.000Z',
      uniqueQualifier: `catalog-${entry.type}`,
      applicationName: 'admin',
      customerId: 'C0cafe',
    },
    actor: { email: 'admin@example.com', profileId: '1' },
    ipAddress: '198.51.100.7',
    events: [
      {
        name: entry.type,
        parameters: [{ name: 'USER_EMAIL', value: 'alice@example.com' }],
        ...entry.example,
      },
    ],
  }),
};
