/**
 * Auth0 tenant logs: `{ log_id, data }` log-stream records, or the log objects of GET /api/v2/logs.
 * Log type codes per https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes; Management
 * API operations (`sapi`/`fapi`) take their meaning from the request's method, path and body.
 */
import { C, Classified, GENERIC, identityEvent } from '../events';
import type { Catalog, CatalogEntry, VendorCatalog } from '../catalog';
import { byType } from '../catalog';
import { arr, EventRejected, get, isRecord, Raw, str } from '../fields';
import { eventTime, Parser, requireObject } from './common';

const fail = (classified: Classified) => ({ ...classified, failed: true });

/** Log codes → class; `failed` ones are failures whatever else the record says. */
const CODES: [string, Classified & { failed?: boolean }][] = [
  ['s', C.logon()],
  ['ssa', C.logon()],
  ['scoa', C.logon()],
  ['sens', C.logon()],
  ['f', fail(C.logon())],
  ['fp', fail(C.logon())],
  ['fu', fail(C.logon())],
  ['fc', fail(C.logon())],
  ['fco', fail(C.auth('other'))],
  ['fcoa', fail(C.logon())],
  ['fens', fail(C.logon())],
  ['fsa', fail(C.auth('other'))],
  ['pwd_leak', fail(C.logon())],
  ['limit_wc', fail(C.logon({ lockedOut: true }))],
  ['limit_sul', fail(C.logon({ lockedOut: true }))],
  ['limit_mu', fail(C.logon({ lockedOut: true }))],
  ['slo', C.auth('logoff')],
  ['flo', fail(C.auth('logoff'))],
  ['seacft', C.auth('token-exchange')],
  ['feacft', fail(C.auth('token-exchange'))],
  ['seccft', C.auth('token-exchange')],
  ['feccft', fail(C.auth('token-exchange'))],
  ['sepft', C.auth('token-exchange')],
  ['fepft', fail(C.auth('token-exchange'))],
  ['sede', C.auth('token-exchange')],
  ['fede', fail(C.auth('token-exchange'))],
  ['seoobft', C.auth('token-exchange')],
  ['feoobft', fail(C.auth('token-exchange'))],
  ['seotpft', C.auth('token-exchange')],
  ['feotpft', fail(C.auth('token-exchange'))],
  ['sercft', C.auth('token-exchange')],
  ['fercft', fail(C.auth('token-exchange'))],
  ['sertft', C.auth('token-refresh')],
  ['fertft', fail(C.auth('token-refresh'))],
  // Refresh-token rotation saw a used token presented again: Auth0 revokes the family.
  ['ferrt', fail(C.auth('token-reuse'))],
  ['mfar', C.mfa('challenged')],
  ['cs', C.mfa('challenged', 'passwordless-code')],
  ['cls', C.mfa('challenged', 'passwordless-link')],
  ['fdeac', fail(C.auth('token-exchange'))],
  ['fdeaz', fail(C.auth('token-exchange'))],
  ['fdecc', fail(C.auth('token-exchange'))],
  ['fd', fail(C.auth('token-exchange'))],
  ['gd_send_pn', C.mfa('challenged', 'push')],
  ['gd_send_sms', C.mfa('challenged', 'sms')],
  ['gd_send_voice', C.mfa('challenged', 'voice')],
  ['gd_start_auth', C.mfa('challenged')],
  ['gd_auth_succeed', C.mfa('approved')],
  ['gd_recovery_succeed', C.mfa('approved', 'recovery-code')],
  ['gd_auth_failed', fail(C.mfa('denied'))],
  ['gd_auth_rejected', fail(C.mfa('denied', 'push'))],
  ['gd_recovery_failed', fail(C.mfa('denied', 'recovery-code'))],
  ['gd_webauthn_challenge_failed', fail(C.mfa('denied', 'webauthn'))],
  ['gd_otp_rate_limit_exceed', fail(C.mfa('denied', 'otp'))],
  ['gd_recovery_rate_limit_exceed', fail(C.mfa('denied', 'recovery-code'))],
  ['gd_enrollment_complete', C.credential('factor-enrolled')],
  ['gd_unenroll', C.credential('factor-removed')],
  ['gd_user_delete', C.credential('factor-removed')],
  ['gd_tenant_update', C.policy('changed', 'guardian')],
  ['ss', C.account('create')],
  ['fs', fail(C.account('create'))],
  ['signup_pwd_leak', fail(C.account('create'))],
  ['scp', C.account('password-change')],
  ['fcp', fail(C.account('password-change'))],
  ['scpr', C.account('password-reset')],
  ['fcpr', fail(C.account('password-reset'))],
  ['reset_pwd_leak', fail(C.account('password-reset'))],
  ['du', C.account('delete')],
  ['fdu', fail(C.account('delete'))],
  ['sce', C.account('update')],
  ['scu', C.account('update')],
  ['scpn', C.account('update')],
  ['ublkdu', C.account('unlock')],
];

export const AUTH0_CODE_CATALOG: Catalog = CODES.map(([type, { failed: _failed, ...classified }]) => ({
  type,
  classified,
}));

const FAILED = new Set(CODES.filter(([, c]) => c.failed).map(([code]) => code));

interface SapiRoute {
  method: string;
  path: RegExp;
  /** How the path is written in the catalog. */
  shown: string;
  classify: (body: unknown) => Classified;
  when?: string;
  body?: unknown;
}

const off = (body: unknown) => get(body, 'enabled') === false;

/** Management API operations that matter, by method and path (https://auth0.com/docs/api/management/v2). */
const SAPI: SapiRoute[] = [
  {
    method: 'post',
    path: /^\/api\/v2\/clients\/?$/,
    shown: '/api/v2/clients',
    classify: () => C.credential('app-created'),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/clients\/[^/]+\/(credentials|rotate-secret)\/?$/,
    shown: '/api/v2/clients/{id}/credentials|rotate-secret',
    classify: () => C.credential('client-secret-changed'),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/client-grants\/?$/,
    shown: '/api/v2/client-grants',
    classify: () => C.credential('consent-granted'),
  },
  {
    method: 'patch',
    path: /^\/api\/v2\/client-grants\/[^/]+$/,
    shown: '/api/v2/client-grants/{id}',
    classify: () => C.credential('consent-granted'),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/connections\/?$/,
    shown: '/api/v2/connections',
    classify: () => C.credential('idp-trust-changed'),
  },
  {
    method: 'patch',
    path: /^\/api\/v2\/connections\/[^/]+$/,
    shown: '/api/v2/connections/{id}',
    classify: () => C.credential('idp-trust-changed'),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/roles\/?$/,
    shown: '/api/v2/roles',
    classify: () => C.policy('changed', 'custom role'),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/roles\/[^/]+\/permissions$/,
    shown: '/api/v2/roles/{id}/permissions',
    classify: () => C.policy('changed', 'custom role'),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/users\/[^/]+\/roles$/,
    shown: '/api/v2/users/{id}/roles',
    classify: () => C.grant(),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/roles\/[^/]+\/users$/,
    shown: '/api/v2/roles/{id}/users',
    classify: () => C.grant(),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/users\/[^/]+\/permissions$/,
    shown: '/api/v2/users/{id}/permissions',
    classify: () => C.grant(),
  },
  {
    method: 'delete',
    path: /^\/api\/v2\/users\/[^/]+\/roles$/,
    shown: '/api/v2/users/{id}/roles',
    classify: () => C.revoke(),
  },
  {
    method: 'delete',
    path: /^\/api\/v2\/users\/[^/]+\/(multifactor\/[^/]+|authenticators|authentication-methods(\/[^/]+)?)$/,
    shown: '/api/v2/users/{id}/multifactor/{provider}|authenticators|authentication-methods',
    classify: () => C.credential('factor-removed'),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/users\/[^/]+\/authentication-methods$/,
    shown: '/api/v2/users/{id}/authentication-methods',
    classify: () => C.credential('factor-enrolled'),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/guardian\/enrollments\/ticket$/,
    shown: '/api/v2/guardian/enrollments/ticket',
    classify: () => C.credential('factor-enrolled'),
  },
  {
    method: 'put',
    path: /^\/api\/v2\/guardian\/factors\/[^/]+$/,
    shown: '/api/v2/guardian/factors/{name}',
    when: 'body.enabled false',
    body: { enabled: false },
    classify: (body) =>
      off(body) ? C.policy('mfa-weakened', 'guardian factor') : C.policy('changed', 'guardian factor'),
  },
  {
    method: 'put',
    path: /^\/api\/v2\/guardian\/policies$/,
    shown: '/api/v2/guardian/policies',
    when: 'body [] (MFA no longer required)',
    body: [],
    classify: (body) =>
      Array.isArray(body) && body.length === 0
        ? C.policy('mfa-weakened', 'MFA policy')
        : C.policy('changed', 'MFA policy'),
  },
  {
    method: 'patch',
    path: /^\/api\/v2\/attack-protection\/[^/]+$/,
    shown: '/api/v2/attack-protection/{feature}',
    when: 'body.enabled false',
    body: { enabled: false },
    classify: (body) =>
      off(body)
        ? C.policy('protection-disabled', 'attack protection')
        : C.policy('changed', 'attack protection'),
  },
  {
    method: 'patch',
    path: /^\/api\/v2\/risk-assessments\/settings$/,
    shown: '/api/v2/risk-assessments/settings',
    when: 'body.enabled false',
    body: { enabled: false },
    classify: (body) =>
      off(body) ? C.policy('protection-disabled', 'risk assessment') : C.policy('changed', 'risk assessment'),
  },
  {
    method: 'patch',
    path: /^\/api\/v2\/actions\/triggers\/[^/]+\/bindings$/,
    shown: '/api/v2/actions/triggers/{trigger}/bindings',
    classify: () => C.policy('changed', 'actions'),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/actions\/actions(\/[^/]+\/deploy)?$/,
    shown: '/api/v2/actions/actions',
    classify: () => C.policy('changed', 'actions'),
  },
  {
    method: 'patch',
    path: /^\/api\/v2\/tenants\/settings$/,
    shown: '/api/v2/tenants/settings',
    classify: () => C.policy('changed', 'tenant settings'),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/organizations\/[^/]+\/invitations$/,
    shown: '/api/v2/organizations/{id}/invitations',
    classify: () => C.account('create'),
  },
  {
    method: 'post',
    path: /^\/api\/v2\/users\/?$/,
    shown: '/api/v2/users',
    classify: () => C.account('create'),
  },
  {
    method: 'delete',
    path: /^\/api\/v2\/users\/[^/]+$/,
    shown: '/api/v2/users/{id}',
    classify: () => C.account('delete'),
  },
  {
    method: 'patch',
    path: /^\/api\/v2\/users\/[^/]+$/,
    shown: '/api/v2/users/{id}',
    when: 'body.blocked / body.password',
    body: { blocked: true },
    classify: (body) =>
      get(body, 'blocked') === true
        ? C.account('disable')
        : get(body, 'blocked') === false
          ? C.account('enable')
          : get(body, 'password') !== undefined
            ? C.account('password-reset')
            : C.account('update'),
  },
];

export const AUTH0_CATALOG: Catalog = [
  ...AUTH0_CODE_CATALOG,
  ...SAPI.map((r): CatalogEntry => ({
    type: `sapi ${r.method.toUpperCase()} ${r.shown}`,
    classified: r.classify(r.body),
    when: r.when,
    example: {
      type: 'sapi',
      details: {
        request: {
          method: r.method,
          path: r.shown.split('|')[0].replace(/\{[^}]+\}/g, 'x1'),
          body: r.body,
          auth: { user: { email: 'admin@example.com', user_id: 'auth0|admin' } },
        },
        response: { statusCode: 200 },
      },
    },
  })),
];

const CODE = byType(AUTH0_CODE_CATALOG);

function sapi(data: Raw): Classified {
  const method = (str(data, 'details.request.method') ?? '').toLowerCase();
  const path = (str(data, 'details.request.path') ?? '').split('?')[0];
  const route = SAPI.find((r) => r.method === method && r.path.test(path));
  return route ? route.classify(get(data, 'details.request.body')) : GENERIC;
}

const POWER =
  /^(create|update|delete):(users|clients|client_grants|connections|roles|actions|guardian_factors|attack_protection)|^\*$/;

export const parseAuth0: Parser = (raw, ctx) => {
  requireObject(raw, 'auth0');
  const data = isRecord(get(raw, 'data')) ? (get(raw, 'data') as Raw) : raw;
  const type = str(data, 'type');
  if (!type) throw new EventRejected('an Auth0 log needs data.type');
  const management = type === 'sapi' || type === 'fapi';
  let classified = management ? sapi(data) : (CODE.get(type) ?? GENERIC);
  const userId = str(data, 'user_id');
  const userName = str(data, 'user_name');
  const admin = management
    ? {
        id: str(data, 'details.request.auth.user.user_id'),
        name: str(data, 'details.request.auth.user.email', 'details.request.auth.user.name'),
        type: 'admin' as const,
      }
    : undefined;
  const pathUser = /\/api\/v2\/users\/([^/]+)/.exec(str(data, 'details.request.path') ?? '')?.[1];
  const body = get(data, 'details.request.body');
  if (classified.category === 'privilege-change' && !classified.privilege) {
    const roles = arr(body, 'roles').filter((r) => typeof r === 'string');
    classified = { ...classified, privilege: roles.join(',') || str(data, 'description') };
  }
  const scopes = management ? arr(body, 'scope').filter((s): s is string => typeof s === 'string') : [];
  const status = management ? Number(get(data, 'details.response.statusCode') ?? 0) : 0;
  const user = userId || userName ? { id: userId, name: userName, type: 'user' as const } : undefined;
  return [
    identityEvent(
      {
        id: str(raw, 'log_id') ?? str(data, 'log_id', '_id') ?? ctx.rawRef,
        provider: 'auth0',
        tenant: str(data, 'hostname', 'tenant_name'),
        vendorType: management
          ? `${type} ${(str(data, 'details.request.method') ?? '').toUpperCase()} ${str(data, 'details.request.path') ?? ''}`.trim()
          : type,
        outcome:
          type === 'fapi' || FAILED.has(type) || (management && status >= 400)
            ? 'failure'
            : CODE.has(type) || type === 'sapi'
              ? 'success'
              : type.startsWith('f')
                ? 'failure'
                : 'unknown',
        reason: str(data, 'description', 'details.error.message'),
        actor: admin ?? user,
        target: management
          ? pathUser
            ? { id: decodeURIComponent(pathUser), type: 'user' }
            : undefined
          : user,
        sourceIp: str(data, 'ip') ?? str(data, 'details.request.ip'),
        userAgent: str(data, 'user_agent'),
        geo: str(data, 'location_info.country_code')
          ? { country: str(data, 'location_info.country_code'), city: str(data, 'location_info.city_name') }
          : undefined,
        scopes: scopes.length ? scopes : undefined,
        sessionId: str(data, 'session_id', 'details.session_id'),
        client: str(data, 'client_id', 'client_name'),
        rawRef: ctx.rawRef,
        ...eventTime(ctx, get(data, 'date')),
      },
      classified.category === 'credential-change' && scopes.some((s) => POWER.test(s))
        ? { ...classified, credentialType: 'management-api' }
        : classified,
    ),
  ];
};

export const AUTH0: VendorCatalog = {
  provider: 'auth0',
  source: 'Auth0 log event type codes and Management API v2 operations (auth0.com/docs)',
  catalog: AUTH0_CATALOG,
  record: (entry) => ({
    log_id: `catalog-${entry.type}`,
    data: {
      date: '2026-11-30T02:14:00.000Z',
      type: entry.type,
      user_id: 'auth0|alice',
      user_name: 'alice@example.com',
      ip: '198.51.100.7',
      ...entry.example,
    },
  }),
};
