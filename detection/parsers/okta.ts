/**
 * Okta System Log LogEvent objects (GET /api/v1/logs, or an event hook / stream). Classified from
 * Okta's event type catalog (https://developer.okta.com/docs/reference/api/event-types/); Okta's
 * own risk, behaviour and threat verdicts ride along on `risk`, its proxy/VPN flags on `network`.
 */
import { C, Classified, GENERIC, identityEvent, riskLevel, RiskLevel } from '../events';
import type { Catalog, VendorCatalog } from '../catalog';
import { byType } from '../catalog';
import { arr, EventRejected, get, isRecord, num, obj, Raw, str } from '../fields';
import { eventTime, outcomeOf, Parser, requireObject } from './common';

const MFA_POLICY = /mfa|sign.?on|access.?policy|authenticat|password|idp_discovery/i;

export const OKTA_CATALOG: Catalog = [
  { type: 'user.session.start', classified: C.logon() },
  {
    type: 'user.session.start',
    when: 'outcome.reason LOCKED_OUT',
    classified: C.logon({ lockedOut: true }),
    example: { outcome: { result: 'FAILURE', reason: 'LOCKED_OUT' } },
  },
  { type: 'user.authentication.sso', classified: C.logon() },
  { type: 'user.authentication.verify', classified: C.logon() },
  { type: 'user.authentication.authenticate', classified: C.logon() },
  { type: 'user.authentication.auth_via_IDP', classified: C.logon() },
  { type: 'user.authentication.auth_via_social', classified: C.logon() },
  { type: 'user.authentication.auth_via_radius', classified: C.logon() },
  { type: 'user.authentication.auth_via_LDAP_agent', classified: C.logon() },
  { type: 'user.authentication.auth_via_AD_agent', classified: C.logon() },
  { type: 'user.authentication.auth_via_inbound_SAML', classified: C.logon() },
  { type: 'user.authentication.auth_via_richclient', classified: C.logon() },
  { type: 'user.authentication.auth_via_mfa', classified: C.mfa('approved') },
  {
    type: 'user.authentication.auth_via_mfa',
    when: 'outcome FAILURE',
    classified: C.mfa('denied'),
    example: { outcome: { result: 'FAILURE' } },
  },
  { type: 'user.mfa.okta_verify.deny_push', classified: C.mfa('denied', 'push') },
  { type: 'user.mfa.okta_verify.deny_push_upgrade_needed', classified: C.mfa('denied', 'push') },
  { type: 'system.push.send_factor_verify_push', classified: C.mfa('challenged', 'push') },
  { type: 'user.session.end', classified: C.auth('logoff') },
  { type: 'app.oauth2.as.token.grant.refresh_token', classified: C.auth('token-refresh') },
  { type: 'app.oauth2.token.grant.refresh_token', classified: C.auth('token-refresh') },
  { type: 'app.oauth2.as.token.grant.access_token', classified: C.auth('token-exchange') },
  { type: 'app.oauth2.token.grant.access_token', classified: C.auth('token-exchange') },
  { type: 'app.oauth2.as.token.grant.id_token', classified: C.auth('token-exchange') },
  { type: 'app.oauth2.as.token.detect_reuse', classified: C.auth('token-reuse') },
  { type: 'app.oauth2.token.detect_reuse', classified: C.auth('token-reuse') },
  { type: 'security.session.detect_client_roaming', classified: C.auth('token-reuse') },
  { type: 'user.account.lock', classified: C.account('lock') },
  { type: 'user.account.lock.limit', classified: C.account('lock') },
  { type: 'user.account.unlock', classified: C.account('unlock') },
  { type: 'user.account.unlock_by_admin', classified: C.account('unlock') },
  { type: 'user.account.update_password', classified: C.account('password-change') },
  { type: 'user.account.reset_password', classified: C.account('password-reset') },
  { type: 'user.lifecycle.create', classified: C.account('create') },
  { type: 'user.lifecycle.activate', classified: C.account('enable') },
  { type: 'user.lifecycle.reactivate', classified: C.account('enable') },
  { type: 'user.lifecycle.unsuspend', classified: C.account('enable') },
  { type: 'user.lifecycle.suspend', classified: C.account('disable') },
  { type: 'user.lifecycle.deactivate', classified: C.account('disable') },
  { type: 'user.lifecycle.delete.initiated', classified: C.account('delete') },
  { type: 'user.lifecycle.delete.completed', classified: C.account('delete') },
  { type: 'user.account.update_profile', classified: C.account('update') },
  { type: 'user.session.impersonation.initiate', classified: C.account('impersonate') },
  // Okta Support may sign in as any admin for the grant's duration.
  { type: 'user.session.impersonation.grant', classified: C.grant('okta-support-impersonation') },
  { type: 'user.session.impersonation.extend', classified: C.grant('okta-support-impersonation') },
  { type: 'user.session.impersonation.revoke', classified: C.revoke('okta-support-impersonation') },
  { type: 'user.mfa.factor.activate', classified: C.credential('factor-enrolled') },
  { type: 'user.mfa.factor.deactivate', classified: C.credential('factor-removed') },
  { type: 'system.mfa.factor.deactivate', classified: C.credential('factor-removed') },
  { type: 'user.mfa.factor.suspend', classified: C.credential('factor-removed') },
  { type: 'user.mfa.factor.reset_all', classified: C.credential('factor-removed', 'all') },
  { type: 'system.api_token.create', classified: C.credential('api-token-created') },
  { type: 'system.api_token.enable', classified: C.credential('api-token-created') },
  { type: 'app.lifecycle.create', classified: C.credential('app-created') },
  { type: 'app.oauth2.client.lifecycle.create', classified: C.credential('app-created') },
  { type: 'app.oauth2.as.consent.grant', classified: C.credential('consent-granted') },
  { type: 'app.oauth2.consent.grant', classified: C.credential('consent-granted') },
  { type: 'app.oauth2.credentials.lifecycle.create', classified: C.credential('client-secret-changed') },
  { type: 'app.oauth2.credentials.lifecycle.activate', classified: C.credential('client-secret-changed') },
  { type: 'app.oauth2.client_secret.rotate', classified: C.credential('client-secret-changed') },
  { type: 'application.user_membership.show_password', classified: C.credential('secret-viewed') },
  { type: 'system.idp.lifecycle.create', classified: C.credential('idp-trust-changed') },
  { type: 'system.idp.lifecycle.update', classified: C.credential('idp-trust-changed') },
  { type: 'system.idp.lifecycle.activate', classified: C.credential('idp-trust-changed') },
  { type: 'group.user_membership.add', classified: C.grant() },
  { type: 'group.user_membership.remove', classified: C.revoke() },
  { type: 'application.user_membership.add', classified: C.grant() },
  { type: 'application.user_membership.remove', classified: C.revoke() },
  { type: 'user.account.privilege.grant', classified: C.grant() },
  { type: 'user.account.privilege.revoke', classified: C.revoke() },
  { type: 'group.privilege.grant', classified: C.grant() },
  { type: 'group.privilege.revoke', classified: C.revoke() },
  { type: 'iam.resourceset.bindings.add', classified: C.grant() },
  { type: 'iam.resourceset.bindings.delete', classified: C.revoke() },
  { type: 'iam.role.create', classified: C.policy('changed', 'custom admin role') },
  { type: 'iam.role.permissions.add', classified: C.policy('changed', 'custom admin role') },
  { type: 'policy.lifecycle.create', classified: C.policy('changed') },
  { type: 'policy.lifecycle.update', classified: C.policy('changed') },
  { type: 'policy.rule.create', classified: C.policy('changed') },
  { type: 'policy.rule.update', classified: C.policy('changed') },
  { type: 'policy.lifecycle.deactivate', classified: C.policy('changed') },
  { type: 'policy.lifecycle.delete', classified: C.policy('changed') },
  { type: 'policy.rule.deactivate', classified: C.policy('changed') },
  { type: 'policy.rule.delete', classified: C.policy('changed') },
  {
    type: 'policy.lifecycle.deactivate',
    when: 'the policy is an MFA, sign-on, authenticator or password policy',
    classified: C.policy('mfa-weakened'),
    example: {
      target: [
        { type: 'PolicyEntity', displayName: 'MFA enrollment', detailEntry: { policyType: 'MFA_ENROLL' } },
      ],
    },
  },
  {
    type: 'policy.lifecycle.delete',
    when: 'the policy is an MFA, sign-on, authenticator or password policy',
    classified: C.policy('mfa-weakened'),
    example: {
      target: [
        { type: 'PolicyEntity', displayName: 'Okta sign-on', detailEntry: { policyType: 'OKTA_SIGN_ON' } },
      ],
    },
  },
  {
    type: 'policy.rule.deactivate',
    when: 'the rule belongs to an MFA, sign-on, authenticator or password policy',
    classified: C.policy('mfa-weakened'),
    example: {
      target: [
        { type: 'PolicyRule', displayName: 'Require MFA', detailEntry: { policyType: 'ACCESS_POLICY' } },
      ],
    },
  },
  {
    type: 'policy.rule.delete',
    when: 'the rule belongs to an MFA, sign-on, authenticator or password policy',
    classified: C.policy('mfa-weakened'),
    example: {
      target: [{ type: 'PolicyRule', displayName: 'MFA everywhere', detailEntry: { policyType: 'SIGN_ON' } }],
    },
  },
  {
    type: 'security.authenticator.lifecycle.deactivate',
    classified: C.policy('mfa-weakened', 'authenticator'),
  },
  { type: 'security.authenticator.lifecycle.update', classified: C.policy('changed', 'authenticator') },
  { type: 'zone.update', classified: C.policy('changed', 'network zone') },
  { type: 'zone.deactivate', classified: C.policy('changed', 'network zone') },
  { type: 'security.threat.detected', classified: C.risk('detected') },
  { type: 'security.attack.start', classified: C.risk('detected') },
  { type: 'security.request.blocked', classified: C.risk('detected') },
  { type: 'user.mfa.attempt_bypass', classified: C.risk('detected') },
  { type: 'app.generic.unauth_app_access_attempt', classified: C.risk('detected') },
  { type: 'user.account.report_suspicious_activity_by_enduser', classified: C.risk('user-reported') },
  { type: 'user.risk.detect', classified: C.risk('detected') },
  { type: 'user.risk.change', classified: C.risk('detected') },
  {
    type: 'policy.evaluate_sign_on',
    when: 'Okta flags a suspected threat or a HIGH risk',
    classified: C.risk('detected'),
    example: { debugContext: { debugData: { threatSuspected: 'true' } } },
  },
];

const EXACT = byType(OKTA_CATALOG);

/** Level of the vendor's risk/threat words Okta ships in debugData (strings, JSON or `{k=v}`). */
function oktaRisk(raw: Raw): { level: RiskLevel; state?: string; detail?: string } | undefined {
  const debug = obj(raw, 'debugContext.debugData') ?? {};
  let level: RiskLevel | undefined;
  let detail: string | undefined;
  const riskText = str(debug, 'risk')?.slice(0, 2048);
  if (riskText) {
    level = riskLevel(/level=(\w+)/i.exec(riskText)?.[1]);
    detail = /reasons=([^}]*?)(?:, level=|})/i.exec(riskText)?.[1]?.trim();
  }
  const logOnly = str(debug, 'logOnlySecurityData');
  if (logOnly && !level) {
    try {
      const parsed = JSON.parse(logOnly) as unknown;
      level = riskLevel(get(parsed, 'risk.level'));
      detail = str(parsed, 'risk.reasons');
    } catch {
      /* not JSON: ignored, the record is kept */
    }
  }
  if (/phish/i.test(str(raw, 'outcome.reason') ?? ''))
    return { level: 'high', detail: str(raw, 'outcome.reason') };
  // Okta's behaviour detection: an impossible-speed move is a medium risk on its own.
  const behaviors = str(debug, 'behaviors')?.slice(0, 2048) ?? '';
  if (/Velocity(?: Behavior)?=POSITIVE/i.test(behaviors) && (!level || level === 'none' || level === 'low')) {
    level = 'medium';
    detail = detail ? `${detail}, velocity` : 'Okta behavior: velocity';
  }
  const threat = /^true$/i.test(str(debug, 'threatSuspected') ?? '');
  if (threat)
    return {
      level: level === 'critical' ? level : 'high',
      detail: detail ?? 'Okta ThreatInsight suspected a threat',
    };
  return level ? { level, detail } : undefined;
}

function policyWeakened(targets: Raw[]): boolean {
  return targets.some(
    (t) =>
      /policy/i.test(str(t, 'type') ?? '') &&
      MFA_POLICY.test(`${str(t, 'detailEntry.policyType') ?? ''} ${str(t, 'displayName') ?? ''}`),
  );
}

function classify(
  raw: Raw,
  eventType: string,
  targets: Raw[],
  risk: ReturnType<typeof oktaRisk>,
): Classified {
  const result = str(raw, 'outcome.result') ?? '';
  if (eventType === 'user.session.start' && /LOCKED_OUT/i.test(str(raw, 'outcome.reason') ?? ''))
    return C.logon({ lockedOut: true });
  if (eventType === 'user.authentication.auth_via_mfa' && /FAIL|DENY/i.test(result)) return C.mfa('denied');
  if (/^policy\.(lifecycle|rule)\.(deactivate|delete)$/.test(eventType) && policyWeakened(targets))
    return C.policy('mfa-weakened');
  if (eventType === 'policy.evaluate_sign_on' && risk && (risk.level === 'high' || risk.level === 'critical'))
    return C.risk('detected');
  return EXACT.get(eventType) ?? GENERIC;
}

/** The role named by Okta's debugData for a privilege event (a grant may name several). */
function privilegeOf(raw: Raw, targets: Raw[]): string | undefined {
  return (
    str(raw, 'debugContext.debugData.privilegeGranted', 'debugContext.debugData.privilegeRevoked') ??
    str(
      targets.find((t) => /group|role|resource ?set|app/i.test(str(t, 'type') ?? '')),
      'displayName',
    )
  );
}

function anonymizer(raw: Raw) {
  const tunnels = str(raw, 'debugContext.debugData.tunnels') ?? '';
  if (/tor/i.test(tunnels)) return 'tor' as const;
  if (/"type"\s*:\s*"VPN"|anonymous"\s*:\s*true/i.test(tunnels)) return 'vpn' as const;
  if (get(raw, 'securityContext.isProxy') === true) return 'proxy' as const;
  return undefined;
}

export const parseOkta: Parser = (raw, ctx) => {
  requireObject(raw, 'okta');
  const eventType = str(raw, 'eventType');
  if (!eventType) throw new EventRejected('an Okta System Log event needs an eventType');
  const actor = obj(raw, 'actor');
  const targets = arr(raw, 'target').filter(isRecord);
  const user = targets.find((t) => /^user$/i.test(str(t, 'type') ?? ''));
  const risk = oktaRisk(raw);
  let classified = classify(raw, eventType, targets, risk);
  if (classified.category === 'privilege-change' && !classified.privilege)
    classified = { ...classified, privilege: privilegeOf(raw, targets) };
  if (classified.category === 'policy-change' && !classified.policy)
    classified = {
      ...classified,
      policy: str(
        targets.find((t) => /policy/i.test(str(t, 'type') ?? '')),
        'displayName',
      ),
    };
  const client = obj(raw, 'client');
  const geo = obj(client, 'geographicalContext');
  const result = str(raw, 'outcome.result');
  const asn = num(raw, 'securityContext.asNumber');
  const hidden = anonymizer(raw);
  const grantedScopes = str(raw, 'debugContext.debugData.grantedScopes', 'debugContext.debugData.scopes');
  return [
    identityEvent(
      {
        id: str(raw, 'uuid') ?? ctx.rawRef,
        provider: 'okta',
        tenant: str(raw, 'debugContext.debugData.orgId') ?? str(raw, 'tenant'),
        vendorType: eventType,
        outcome: outcomeOf(result, /^(SUCCESS|ALLOW)$/i, /^(FAILURE|DENY|CHALLENGE_FAILED)$/i),
        reason: str(raw, 'outcome.reason'),
        actor: actor
          ? { id: str(actor, 'id'), name: str(actor, 'alternateId'), type: partyType(str(actor, 'type')) }
          : undefined,
        target: user ? { id: str(user, 'id'), name: str(user, 'alternateId'), type: 'user' } : undefined,
        sourceIp: str(client, 'ipAddress') ?? str(raw, 'request.ipChain.0.ip'),
        userAgent: str(client, 'userAgent.rawUserAgent'),
        geo: geo
          ? {
              country: str(geo, 'country'),
              city: str(geo, 'city'),
              lat: num(geo, 'geolocation.lat'),
              lon: num(geo, 'geolocation.lon'),
            }
          : undefined,
        network:
          asn !== undefined || hidden
            ? { asn, org: str(raw, 'securityContext.asOrg'), ...(hidden ? { anonymizer: hidden } : {}) }
            : undefined,
        risk,
        flow: eventType === 'user.authentication.auth_via_richclient' ? 'legacy' : undefined,
        scopes: grantedScopes ? grantedScopes.split(/[\s,]+/).filter(Boolean) : undefined,
        sessionId: str(raw, 'authenticationContext.externalSessionId'),
        client:
          str(client, 'id') ??
          str(
            targets.find((t) => str(t, 'type') === 'AppInstance'),
            'alternateId',
          ),
        rawRef: ctx.rawRef,
        ...eventTime(ctx, get(raw, 'published')),
      },
      classified,
    ),
  ];
};

function partyType(type?: string) {
  if (!type) return undefined;
  if (/^user$/i.test(type)) return 'user';
  if (/client|app/i.test(type)) return 'service';
  if (/system/i.test(type)) return 'system';
  return 'unknown';
}

export const OKTA: VendorCatalog = {
  provider: 'okta',
  source: 'Okta System Log event types (developer.okta.com/docs/reference/api/event-types)',
  catalog: OKTA_CATALOG,
  record: (entry) => ({
    uuid: `catalog-${entry.type}`,
    published: '2026-11-30T02:14:00.000Z',
    eventType: entry.type,
    actor: { id: '00u-admin', type: 'User', alternateId: 'admin@example.com' },
    target: [{ id: '00u-alice', type: 'User', alternateId: 'alice@example.com' }],
    client: { ipAddress: '198.51.100.7' },
    outcome: { result: 'SUCCESS' },
    ...entry.example,
  }),
};
