/** Okta System Log LogEvent objects (GET /api/v1/logs, or an event hook / stream). */
import { GENERIC, identityEvent } from '../events';
import { arr, EventRejected, get, isRecord, num, obj, str, own } from '../fields';
import { eventTime, outcomeOf, Parser, requireObject } from './common';

type Classified = Parameters<typeof identityEvent>[1];

const EXACT: Record<string, Classified> = {
  'user.session.start': { category: 'authentication', activity: 'logon' },
  'user.authentication.sso': { category: 'authentication', activity: 'logon' },
  'user.authentication.verify': { category: 'authentication', activity: 'logon' },
  'user.authentication.auth_via_mfa': { category: 'authentication', activity: 'mfa' },
  'user.mfa.okta_verify.deny_push': {
    category: 'authentication',
    activity: 'mfa',
    factor: 'push',
    mfaResult: 'denied',
  },
  'system.push.send_factor_verify_push': {
    category: 'authentication',
    activity: 'mfa',
    factor: 'push',
    mfaResult: 'challenged',
  },
  'user.session.end': { category: 'authentication', activity: 'logoff' },
  'user.account.lock': { category: 'account-change', activity: 'lock' },
  'user.account.unlock': { category: 'account-change', activity: 'unlock' },
  'user.account.update_password': { category: 'account-change', activity: 'password-change' },
  'user.account.reset_password': { category: 'account-change', activity: 'password-reset' },
  'user.lifecycle.create': { category: 'account-change', activity: 'create' },
  'user.lifecycle.activate': { category: 'account-change', activity: 'enable' },
  'user.lifecycle.reactivate': { category: 'account-change', activity: 'enable' },
  'user.lifecycle.unsuspend': { category: 'account-change', activity: 'enable' },
  'user.lifecycle.suspend': { category: 'account-change', activity: 'disable' },
  'user.lifecycle.deactivate': { category: 'account-change', activity: 'disable' },
  'user.lifecycle.delete.initiated': { category: 'account-change', activity: 'delete' },
  'user.account.update_profile': { category: 'account-change', activity: 'update' },
  'user.mfa.factor.activate': { category: 'credential-change', activity: 'factor-enrolled' },
  'user.mfa.factor.deactivate': { category: 'credential-change', activity: 'factor-removed' },
  'user.mfa.factor.reset_all': { category: 'credential-change', activity: 'factor-removed' },
  'system.api_token.create': { category: 'credential-change', activity: 'api-token-created' },
  'group.user_membership.add': { category: 'privilege-change', activity: 'grant' },
  'group.user_membership.remove': { category: 'privilege-change', activity: 'revoke' },
  'user.account.privilege.grant': { category: 'privilege-change', activity: 'grant' },
  'user.account.privilege.revoke': { category: 'privilege-change', activity: 'revoke' },
  'policy.lifecycle.deactivate': { category: 'account-change', activity: 'mfa-disabled' },
};

function classify(eventType: string): Classified {
  const exact = own(EXACT, eventType);
  if (exact) return exact;
  if (/^app\.oauth2\..*(secret|client_secret)/.test(eventType))
    return { category: 'credential-change', activity: 'client-secret-changed' };
  if (/^system\.idp\.lifecycle\.(create|update|activate)/.test(eventType))
    return { category: 'credential-change', activity: 'idp-trust-changed' };
  return GENERIC;
}

export const parseOkta: Parser = (raw, ctx) => {
  requireObject(raw, 'okta');
  const eventType = str(raw, 'eventType');
  if (!eventType) throw new EventRejected('an Okta System Log event needs an eventType');
  const actor = obj(raw, 'actor');
  const targets = arr(raw, 'target').filter(isRecord);
  const user = targets.find((t) => /^user$/i.test(str(t, 'type') ?? ''));
  const privilegeTarget = targets.find((t) => /group|role/i.test(str(t, 'type') ?? ''));
  const classified = classify(eventType);
  const client = obj(raw, 'client');
  const geo = obj(client, 'geographicalContext');
  const result = str(raw, 'outcome.result');
  return [
    identityEvent(
      {
        id: str(raw, 'uuid') ?? ctx.rawRef,
        provider: 'okta',
        tenant: str(raw, 'debugContext.debugData.orgId') ?? str(raw, 'tenant'),
        ...eventTime(ctx, get(raw, 'published')),
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
        sessionId: str(raw, 'authenticationContext.externalSessionId'),
        client:
          str(client, 'id') ??
          str(
            targets.find((t) => str(t, 'type') === 'AppInstance'),
            'alternateId',
          ),
        rawRef: ctx.rawRef,
      },
      classified.category === 'privilege-change'
        ? { ...classified, privilege: str(privilegeTarget, 'displayName') }
        : classified,
    ),
  ];
};

function partyType(type?: string) {
  if (!type) return undefined;
  if (/^user$/i.test(type)) return 'user';
  if (/client|app/i.test(type)) return 'service';
  return 'unknown';
}
