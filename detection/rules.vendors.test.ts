/**
 * Each rule on each vendor that emits what it reads, from records in the vendor's documented shape
 * (the catalog's, with the fields a case needs): positives raise the rule, look-alike negatives do
 * not, and window rules stay quiet one event short of their threshold (N-1).
 */
import type { CatalogEntry } from './catalog';
import { VENDOR_CATALOGS } from './catalogs';
import type { EventProvider, IdentityEvent } from './events';
import { normalizeRecord } from './normalize';
import { DEFAULT_DETECTION_CONFIG, DetectionAlert, Detector, RuleName } from './rules';

const NOW = Date.parse('2026-11-30T02:20:00.000Z');
type Patch = Record<string, unknown>;

function merge(a: unknown, b: unknown): unknown {
  if (b === undefined) return a;
  if (a && b && typeof a === 'object' && typeof b === 'object' && !Array.isArray(a) && !Array.isArray(b)) {
    const out: Record<string, unknown> = { ...(a as Patch) };
    for (const [k, v] of Object.entries(b as Patch)) out[k] = merge(out[k], v);
    return out;
  }
  return b;
}

/** One normalized event of `provider`'s catalog entry `type` (and `when`), with `patch` on the raw record. */
function event(
  provider: EventProvider,
  type: string,
  opts: { when?: string; patch?: Patch } = {},
): IdentityEvent {
  const vendor = VENDOR_CATALOGS.find((v) => v.provider === provider)!;
  const entry = vendor.catalog.find(
    (e) => e.type === type && (opts.when ? e.when?.includes(opts.when) : !e.when),
  );
  if (!entry) throw new Error(`no ${provider} catalog entry ${type} ${opts.when ?? ''}`);
  const raw = merge(vendor.record(entry), opts.patch) as Patch;
  const [e] = normalizeRecord(provider, raw, { receivedAt: '2026-11-30T02:14:00.000Z' });
  return e;
}

/** The same event as `n` distinct events, of distinct users when `users` is set. */
function times(e: IdentityEvent, n: number, users = false): IdentityEvent[] {
  return Array.from({ length: n }, (_, i) => {
    const name = `${e.target?.name ?? e.actor?.name ?? 'user'}-${i}`;
    return {
      ...e,
      id: `${e.id}-${i}`,
      ...(users
        ? { target: { ...e.target, id: `id-${i}`, name }, actor: { ...e.actor, id: `id-${i}`, name } }
        : {}),
    } as IdentityEvent;
  });
}

function raised(events: IdentityEvent[]): DetectionAlert[] {
  const d = new Detector({ ...DEFAULT_DETECTION_CONFIG, coverage: true });
  return events.flatMap((e) => d.process(e, NOW));
}

interface Case {
  rule: RuleName;
  provider: EventProvider;
  type: string;
  when?: string;
  patch?: Patch;
  /** How many copies (window rules). */
  n?: number;
  users?: boolean;
  alert: boolean;
  name: string;
}

const C = (
  rule: RuleName,
  provider: EventProvider,
  type: string,
  alert: boolean,
  name: string,
  extra: Partial<Case> = {},
): Case => ({ rule, provider, type, alert, name, ...extra });

const entra = (activity: string) => `AuditLogs:${activity}`;
const okPatch = (risk: string): Patch => ({ debugContext: { debugData: { risk } } });

const CASES: Case[] = [
  // persistence
  C('persistence', 'keycloak', 'ADMIN_CREATE_IDENTITY_PROVIDER', true, 'a new identity provider'),
  C('persistence', 'keycloak', 'ADMIN_CREATE_CLIENT', true, 'a new client'),
  C('persistence', 'okta', 'system.api_token.create', true, 'an API token'),
  C('persistence', 'okta', 'system.idp.lifecycle.create', true, 'a new IdP'),
  C('persistence', 'okta', 'app.oauth2.as.consent.grant', true, 'consent to okta.users.manage', {
    patch: { debugContext: { debugData: { grantedScopes: 'openid okta.users.manage' } } },
  }),
  C('persistence', 'okta', 'app.oauth2.as.consent.grant', false, 'consent to openid profile only', {
    patch: { debugContext: { debugData: { grantedScopes: 'openid profile' } } },
  }),
  C('persistence', 'okta', 'user.mfa.factor.activate', true, 'a factor an admin enrolled for someone else'),
  C('persistence', 'okta', 'user.mfa.factor.activate', false, 'a factor the user enrolled for themself', {
    patch: { actor: { id: '00u-alice', alternateId: 'alice@example.com', type: 'User' } },
  }),
  C(
    'persistence',
    'entra',
    entra('Add service principal credentials'),
    true,
    'credentials added to a service principal',
  ),
  C('persistence', 'entra', entra('Set federation settings on domain'), true, 'federation changed'),
  C('persistence', 'entra', entra('Consent to application'), true, 'consent to Mail.ReadWrite', {
    patch: {
      properties: {
        targetResources: [
          {
            type: 'ServicePrincipal',
            displayName: 'Mail helper',
            modifiedProperties: [
              {
                displayName: 'ConsentAction.Permissions',
                newValue: '"[] => [[Scope: Mail.ReadWrite offline_access, ]]"',
              },
            ],
          },
        ],
      },
    },
  }),
  C('persistence', 'entra', entra('Consent to application'), false, 'consent to User.Read', {
    patch: {
      properties: {
        targetResources: [
          {
            type: 'ServicePrincipal',
            modifiedProperties: [
              { displayName: 'ConsentAction.Permissions', newValue: '"[[Scope: User.Read, ]]"' },
            ],
          },
        ],
      },
    },
  }),
  C(
    'persistence',
    'entra',
    entra('Admin registered security info'),
    true,
    'an admin registered a method for a user',
  ),
  C(
    'persistence',
    'entra',
    entra('User registered security info'),
    false,
    'a user registered their own method',
    {
      patch: {
        properties: { initiatedBy: { user: { id: 'u-alice', userPrincipalName: 'alice@example.com' } } },
      },
    },
  ),
  C('persistence', 'auth0', 'sapi POST /api/v2/connections', true, 'a new connection (IdP)'),
  C('persistence', 'auth0', 'sapi POST /api/v2/client-grants', true, 'a client granted create:users', {
    patch: {
      data: {
        details: {
          request: { body: { client_id: 'x', audience: 'https://t/api/v2/', scope: ['create:users'] } },
        },
      },
    },
  }),
  C('persistence', 'auth0', 'sapi POST /api/v2/client-grants', false, 'a client granted read:stats', {
    patch: { data: { details: { request: { body: { client_id: 'x', scope: ['read:stats'] } } } } },
  }),
  C('persistence', 'google', 'AUTHORIZE_API_CLIENT_ACCESS', true, 'domain-wide delegation'),
  C('persistence', 'google', 'CREATE_SSO_PROFILE', true, 'a new SSO profile'),
  C('persistence', 'google', 'authorize', true, 'OAuth grant to Gmail', {
    patch: {
      events: [
        { name: 'authorize', parameters: [{ name: 'scope', multiValue: ['https://mail.google.com/'] }] },
      ],
    },
  }),
  C('persistence', 'google', 'authorize', false, 'OAuth grant to openid email', {
    patch: { events: [{ name: 'authorize', parameters: { scope: ['openid', 'email'] } }] },
  }),
  C('persistence', 'duo', 'administrator:bypass_create', true, 'bypass codes created'),
  C('persistence', 'duo', 'administrator:integration_skey_view', true, 'an integration secret key viewed'),
  C('persistence', 'duo', 'administrator:phone_create', true, 'a phone added to a user by an admin'),
  C('persistence', 'onelogin', '240', true, "another user's app password revealed"),
  C('persistence', 'onelogin', '240', false, 'a user revealing their own app password', {
    patch: { actor_user_id: 2, actor_user_name: 'Alice Example' },
  }),
  C(
    'persistence',
    'm365',
    'Add service principal credentials.',
    true,
    'credentials added (unified audit log)',
  ),
  // impersonation
  C('impersonation', 'onelogin', '3', true, 'an admin assumed a user'),
  C('impersonation', 'onelogin', '3', false, 'a user assumed themself', {
    patch: { actor_user_id: 2, actor_user_name: 'Alice Example' },
  }),
  C(
    'impersonation',
    'okta',
    'user.session.impersonation.initiate',
    true,
    'Okta support impersonation started',
  ),
  // mfa-policy-weakened
  C('mfa-policy-weakened', 'keycloak', 'ADMIN_UPDATE_REALM', true, 'brute force detection off', {
    when: 'bruteForceProtected',
  }),
  C('mfa-policy-weakened', 'keycloak', 'ADMIN_UPDATE_AUTH_EXECUTION', true, 'an OTP step disabled', {
    when: 'DISABLED',
  }),
  C('mfa-policy-weakened', 'keycloak', 'ADMIN_UPDATE_AUTH_FLOW', false, 'a flow renamed'),
  C(
    'mfa-policy-weakened',
    'okta',
    'policy.lifecycle.deactivate',
    true,
    'an MFA enrollment policy deactivated',
    { when: 'MFA' },
  ),
  C(
    'mfa-policy-weakened',
    'okta',
    'policy.lifecycle.deactivate',
    false,
    'an OAuth authorization policy deactivated',
    {
      patch: {
        target: [
          {
            type: 'PolicyEntity',
            displayName: 'API scopes',
            detailEntry: { policyType: 'OAUTH_AUTHORIZATION_POLICY' },
          },
        ],
      },
    },
  ),
  C(
    'mfa-policy-weakened',
    'okta',
    'security.authenticator.lifecycle.deactivate',
    true,
    'an authenticator deactivated',
  ),
  C(
    'mfa-policy-weakened',
    'entra',
    entra('Delete conditional access policy'),
    true,
    'a conditional access policy deleted',
  ),
  C(
    'mfa-policy-weakened',
    'entra',
    entra('Update conditional access policy'),
    true,
    'a policy set to report-only',
    {
      when: 'disabled or report-only',
    },
  ),
  C('mfa-policy-weakened', 'entra', entra('Update conditional access policy'), false, 'a policy renamed'),
  C(
    'mfa-policy-weakened',
    'entra',
    entra('Authentication Methods Policy Update'),
    true,
    'an authentication method disabled',
    {
      when: 'disabled',
    },
  ),
  C(
    'mfa-policy-weakened',
    'auth0',
    'sapi PUT /api/v2/guardian/factors/{name}',
    true,
    'an MFA factor turned off',
    {
      when: 'enabled false',
    },
  ),
  C(
    'mfa-policy-weakened',
    'auth0',
    'sapi PUT /api/v2/guardian/factors/{name}',
    false,
    'an MFA factor turned on',
    {
      when: 'enabled false',
      patch: { data: { details: { request: { body: { enabled: true } } } } },
    },
  ),
  C('mfa-policy-weakened', 'auth0', 'sapi PUT /api/v2/guardian/policies', true, 'MFA no longer required', {
    when: 'no longer',
  }),
  C(
    'mfa-policy-weakened',
    'auth0',
    'sapi PATCH /api/v2/attack-protection/{feature}',
    true,
    'brute-force protection off',
    {
      when: 'enabled false',
    },
  ),
  C('mfa-policy-weakened', 'google', 'ENFORCE_STRONG_AUTHENTICATION', true, '2SV enforcement off', {
    when: 'NEW_VALUE false',
  }),
  C('mfa-policy-weakened', 'google', 'ENFORCE_STRONG_AUTHENTICATION', false, '2SV enforcement on', {
    patch: {
      events: [{ name: 'ENFORCE_STRONG_AUTHENTICATION', parameters: [{ name: 'NEW_VALUE', value: 'true' }] }],
    },
  }),
  C('mfa-policy-weakened', 'duo', 'administrator:policy_update', true, 'new users allowed without 2FA', {
    when: 'bypasses',
  }),
  C(
    'mfa-policy-weakened',
    'duo',
    'administrator:admin_single_sign_on_update',
    true,
    'admin SAML requirement off',
    {
      when: 'SAML',
    },
  ),
  C(
    'mfa-policy-weakened',
    'm365',
    'Delete conditional access policy.',
    true,
    'a conditional access policy deleted (M365)',
  ),
  // mfa-disabled
  C('mfa-disabled', 'okta', 'user.mfa.factor.reset_all', true, 'all factors reset'),
  C('mfa-disabled', 'okta', 'user.mfa.factor.deactivate', true, "an admin deactivating a user's factor"),
  C('mfa-disabled', 'okta', 'user.mfa.factor.deactivate', false, 'a user deactivating their own factor', {
    patch: { actor: { id: '00u-alice', alternateId: 'alice@example.com', type: 'User' } },
  }),
  C('mfa-disabled', 'entra', entra('Admin deleted security info'), true, "an admin deleting a user's method"),
  C('persistence', 'duo', 'authentication:bypass_user', true, 'MFA passed with a bypass code'),
  C('persistence', 'duo', 'authentication:user_approved', false, 'an approved push'),
  C('vendor-risk', 'okta', 'user.authentication.auth_via_mfa', true, 'FastPass declined a phishing attempt', {
    when: 'FAILURE',
    patch: { outcome: { result: 'FAILURE', reason: 'FastPass declined phishing attempt' } },
  }),
  C('vendor-risk', 'google', 'account_disabled_spamming', true, 'Google suspended the account for spam'),
  C('mfa-policy-weakened', 'google', 'CHANGE_APPLICATION_SETTING', true, 'strong password enforcement off', {
    when: 'turned off',
  }),
  C('mfa-policy-weakened', 'google', 'CHANGE_APPLICATION_SETTING', false, 'a calendar setting changed', {
    patch: {
      events: [
        {
          name: 'CHANGE_APPLICATION_SETTING',
          parameters: [
            { name: 'SETTING_NAME', value: 'Calendar sharing' },
            { name: 'NEW_VALUE', value: 'false' },
          ],
        },
      ],
    },
  }),
  C(
    'mfa-policy-weakened',
    'auth0',
    'sapi PATCH /api/v2/risk-assessments/settings',
    true,
    'risk assessment off',
    {
      when: 'enabled false',
    },
  ),
  C('vendor-risk', 'google', 'login_success', true, 'a flattened login Google marks suspicious', {
    patch: {
      events: null,
      name: 'login_success',
      type: 'login',
      parameters: { is_suspicious: true, login_type: 'google_password' },
    },
  }),
  C('mfa-disabled', 'entra', entra('Disable Strong Authentication'), true, 'per-user MFA disabled'),
  C('mfa-disabled', 'entra', entra('Update user'), true, 'StrongAuthenticationRequirement emptied', {
    when: 'Strong',
  }),
  C('mfa-disabled', 'entra', entra('Update user'), false, 'a profile update'),
  C('mfa-disabled', 'google', '2sv_disable', true, '2SV disabled'),
  C('mfa-disabled', 'google', 'titanium_unenroll', true, 'Advanced Protection unenrolled'),
  C('mfa-disabled', 'm365', 'Update user.', true, 'StrongAuthenticationRequirement emptied (M365)', {
    when: 'Strong',
  }),
  // privilege escalation
  C(
    'privilege-escalation',
    'okta',
    'user.account.privilege.grant',
    true,
    'Super administrator granted (role in debugData)',
    {
      patch: { debugContext: { debugData: { privilegeGranted: 'Super administrator' } } },
    },
  ),
  C(
    'privilege-escalation',
    'okta',
    'user.account.privilege.grant',
    false,
    'Help desk role… named so it is not admin',
    {
      patch: { debugContext: { debugData: { privilegeGranted: 'Help desk' } } },
    },
  ),
  C(
    'privilege-escalation',
    'entra',
    entra('Add member to role in PIM completed (permanent)'),
    true,
    'PIM assignment completed',
    {
      patch: {
        properties: {
          targetResources: [
            {
              type: 'User',
              userPrincipalName: 'alice@example.com',
              modifiedProperties: [{ displayName: 'Role.DisplayName', newValue: '"Global Administrator"' }],
            },
          ],
        },
      },
    },
  ),
  C(
    'privilege-escalation',
    'entra',
    entra('Add member to role in PIM requested (permanent)'),
    false,
    'PIM assignment only requested',
    {
      when: 'request',
      patch: {
        properties: {
          targetResources: [
            {
              type: 'User',
              userPrincipalName: 'alice@example.com',
              modifiedProperties: [{ displayName: 'Role.DisplayName', newValue: '"Global Administrator"' }],
            },
          ],
        },
      },
    },
  ),
  C('privilege-escalation', 'google', 'ASSIGN_ROLE', true, 'Super Admin role assigned', {
    patch: {
      events: [
        {
          name: 'ASSIGN_ROLE',
          parameters: [
            { name: 'ROLE_NAME', value: '_SEED_ADMIN_ROLE' },
            { name: 'USER_EMAIL', value: 'alice@example.com' },
          ],
        },
      ],
    },
  }),
  C('privilege-escalation', 'duo', 'administrator:admin_create', true, 'a Duo administrator created'),
  C('privilege-escalation', 'onelogin', '72', true, 'Super user privilege assigned', {
    patch: { privilege_name: 'Super user' },
  }),
  C('privilege-escalation', 'onelogin', '72', false, 'a reporting privilege assigned', {
    patch: { privilege_name: 'Reports viewer' },
  }),
  C('privilege-escalation', 'm365', 'Add member to role.', true, 'Global Administrator added (M365)', {
    patch: {
      ModifiedProperties: [{ Name: 'Role.DisplayName', NewValue: 'Global Administrator', OldValue: '' }],
    },
  }),
  // vendor risk
  C('vendor-risk', 'okta', 'security.threat.detected', true, 'ThreatInsight detection'),
  C('vendor-risk', 'okta', 'user.session.start', true, 'a sign-in Okta rates HIGH', {
    patch: okPatch('{reasons=Anomalous Device, level=HIGH}'),
  }),
  C('vendor-risk', 'okta', 'user.session.start', false, 'a sign-in Okta rates LOW', {
    patch: okPatch('{level=LOW}'),
  }),
  C('vendor-risk', 'okta', 'policy.evaluate_sign_on', true, 'sign-on evaluation with a suspected threat', {
    when: 'threat',
  }),
  C('vendor-risk', 'entra', 'UserRiskEvents', true, 'a risk detection', {
    patch: { properties: { riskEventType: 'unfamiliarFeatures', riskLevel: 'high' } },
  }),
  C('vendor-risk', 'entra', 'RiskyUsers', false, 'a dismissed risky user', { when: 'dismissed' }),
  C('vendor-risk', 'entra', 'SignInLogs', true, 'a sign-in at high risk', {
    patch: {
      properties: {
        riskLevelDuringSignIn: 'high',
        riskState: 'atRisk',
        riskEventTypes_v2: ['unlikelyTravel'],
      },
    },
  }),
  C('vendor-risk', 'entra', 'SignInLogs', false, 'a sign-in at medium risk (below the event threshold)', {
    patch: { properties: { riskLevelDuringSignIn: 'medium', riskLevel: undefined } },
  }),
  C('vendor-risk', 'google', 'suspicious_login', true, 'Google flagged the login'),
  C('vendor-risk', 'google', 'gov_attack_warning', true, 'a government-backed attack warning'),
  C('vendor-risk', 'duo', 'authentication:anomalous_push', true, 'Duo blocked an anomalous push'),
  C('vendor-risk', 'onelogin', '5', true, 'a login OneLogin scores 85', {
    patch: { risk_score: 85, risk_reasons: 'new device' },
  }),
  C('vendor-risk', 'onelogin', '5', false, 'a login OneLogin scores 10', { patch: { risk_score: 10 } }),
  // vendor compromise
  C('vendor-compromise', 'entra', 'RiskyUsers', true, 'confirmed compromised', {
    when: 'confirmedCompromised',
  }),
  C(
    'vendor-compromise',
    'okta',
    'user.account.report_suspicious_activity_by_enduser',
    true,
    'the user reported activity',
  ),
  C(
    'vendor-compromise',
    'duo',
    'authentication:user_marked_fraud',
    true,
    'the user marked a push fraudulent',
  ),
  C(
    'vendor-compromise',
    'google',
    'account_disabled_hijacked',
    true,
    'Google disabled the account as hijacked',
  ),
  C('vendor-compromise', 'duo', 'authentication:user_cancelled', false, 'a push the user cancelled'),
  // token theft
  C('token-theft', 'okta', 'app.oauth2.as.token.detect_reuse', true, 'refresh token reuse detected'),
  C('token-theft', 'okta', 'security.session.detect_client_roaming', true, 'session roaming detected'),
  C('token-theft', 'auth0', 'ferrt', true, 'rotating refresh token reused'),
  C('token-theft', 'auth0', 'fertft', false, 'an ordinary failed refresh'),
  // anonymizer and phishable flows
  C('anonymizer-sign-in', 'okta', 'user.session.start', true, 'a sign-in Okta marks as through a proxy', {
    patch: { securityContext: { isProxy: true } },
  }),
  C('anonymizer-sign-in', 'okta', 'user.session.start', true, 'a sign-in through a VPN tunnel', {
    patch: {
      debugContext: { debugData: { tunnels: '[{"anonymous":true,"operator":"ExpressVPN","type":"VPN"}]' } },
    },
  }),
  C('anonymizer-sign-in', 'okta', 'user.session.start', false, 'a sign-in from a home network', {
    patch: { securityContext: { isProxy: false, asNumber: 7922, asOrg: 'comcast' } },
  }),
  C('anonymizer-sign-in', 'entra', 'SignInLogs', true, 'a sign-in from an anonymized IP', {
    patch: { properties: { riskEventTypes_v2: ['anonymizedIPAddress'], riskLevel: undefined } },
  }),
  C('phishable-flow', 'entra', 'SignInLogs', true, 'a device code sign-in', {
    patch: { properties: { authenticationProtocol: 'deviceCode', riskLevel: undefined } },
  }),
  C('phishable-flow', 'entra', 'SignInLogs', true, 'an IMAP (legacy) sign-in', {
    patch: { properties: { clientAppUsed: 'IMAP4', riskLevel: undefined } },
  }),
  C('phishable-flow', 'entra', 'SignInLogs', false, 'a browser sign-in', {
    patch: { properties: { clientAppUsed: 'Browser', authenticationProtocol: 'none', riskLevel: undefined } },
  }),
  // lockout bursts: 5 accounts in a tenant (and N-1), 3 times one account (and N-1)
  ...(
    [
      ['keycloak', 'USER_DISABLED_BY_TEMPORARY_LOCKOUT', undefined],
      ['keycloak', 'LOGIN_ERROR', 'user_temporarily_disabled'],
      ['okta', 'user.account.lock', undefined],
      ['entra', 'SignInLogs', '50053'],
      ['auth0', 'limit_wc', undefined],
      ['duo', 'authentication:locked_out', undefined],
      ['onelogin', '19', undefined],
      ['m365', 'UserLoginFailed', 'IdsLocked'],
    ] as [EventProvider, string, string | undefined][]
  ).flatMap(([provider, type, when]) => [
    C('lockout-burst', provider, type, true, '5 accounts locked out', { when, n: 5, users: true }),
    C('lockout-burst', provider, type, false, '4 accounts locked out (N-1)', { when, n: 4, users: true }),
    C('lockout-burst', provider, type, true, 'one account locked out 3 times', { when, n: 3 }),
    C('lockout-burst', provider, type, false, 'one account locked out twice (N-1)', { when, n: 2 }),
  ]),
  // window rules on the new vendors
  C('failed-login-burst', 'onelogin', '6', true, '10 failed logins'),
  C('failed-login-burst', 'm365', 'UserLoginFailed', true, '10 failed logins (M365)'),
  C('mfa-fatigue', 'duo', 'authentication:no_response', true, '5 unanswered pushes'),
  C('mfa-fatigue', 'duo', 'authentication:user_cancelled', false, '4 cancelled pushes (N-1)', { n: 4 }),
  C('mfa-fatigue', 'auth0', 'gd_auth_rejected', true, '5 rejected Guardian pushes'),
  C('mfa-fatigue', 'entra', 'SignInLogs', true, '5 MFA denials (500121)', { when: '500121' }),
  C('mfa-fatigue', 'okta', 'user.mfa.okta_verify.deny_push', true, '5 denied Okta Verify pushes'),
];

for (const c of CASES) {
  if ((c.rule === 'failed-login-burst' || c.rule === 'mfa-fatigue') && c.n === undefined) {
    c.n =
      c.rule === 'failed-login-burst'
        ? DEFAULT_DETECTION_CONFIG.failedLoginBurst.threshold
        : DEFAULT_DETECTION_CONFIG.mfaFatigue.threshold;
  }
}

describe.each([...new Set(CASES.map((c) => c.rule))])('%s', (rule) => {
  const rows = CASES.filter((c) => c.rule === rule).map((c) => [`${c.provider}: ${c.name}`, c] as const);
  it.each(rows)('%s', (_name, c) => {
    const e = event(c.provider, c.type, { when: c.when, patch: c.patch });
    const alerts = raised(times(e, c.n ?? 1, c.users)).filter((a) => a.rule === c.rule);
    if (c.alert) expect(alerts.length).toBeGreaterThan(0);
    else expect(alerts).toEqual([]);
  });
});

describe('rules read what the coverage document says they read', () => {
  // A single event of any catalog entry raises only rules whose documented inputs include its class.
  const { RULE_DOCS } = jest.requireActual<typeof import('./rule-docs')>('./rule-docs');
  const rows = VENDOR_CATALOGS.flatMap((v) =>
    v.catalog.map((e) => [`${v.provider} ${e.type} ${e.when ?? ''}`, v.provider, e] as const),
  );
  it.each(rows)('%s', (_name, provider, entry: CatalogEntry) => {
    const vendor = VENDOR_CATALOGS.find((v) => v.provider === provider)!;
    const [e] = normalizeRecord(provider, vendor.record(entry), { receivedAt: '2026-11-30T02:14:00.000Z' });
    for (const alert of raised([e])) {
      const doc = RULE_DOCS.find((r) => r.rule === alert.rule)!;
      expect([alert.rule, doc.reads(entry.classified)]).toEqual([alert.rule, true]);
    }
  });
});
