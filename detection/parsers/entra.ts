/**
 * Microsoft Entra ID sign-in and audit logs, in both shapes: the Azure Monitor diagnostic envelope
 * (`category`, `time`, `properties`, with inconsistent key case) and the Microsoft Graph resources
 * (`signIn`: createdDateTime/status; `directoryAudit`: activityDateTime/activityDisplayName).
 */
import { GENERIC, identityEvent } from '../events';
import { arr, EventRejected, get, isRecord, num, obj, Raw, str } from '../fields';
import { eventTime, ParseContext, Parser, requireObject } from './common';

type Classified = Parameters<typeof identityEvent>[1];

const SIGN_IN = /signinlogs$/i;

/** Audit activity names (activityDisplayName) that matter for identity response. */
const AUDIT: [RegExp, Classified][] = [
  [
    /^add member to role|^add eligible member to role|^add app role assignment/i,
    { category: 'privilege-change', activity: 'grant' },
  ],
  [
    /^remove member from role|^remove eligible member|^remove app role assignment/i,
    { category: 'privilege-change', activity: 'revoke' },
  ],
  [/^add member to group/i, { category: 'privilege-change', activity: 'grant' }],
  [/^remove member from group/i, { category: 'privilege-change', activity: 'revoke' }],
  [/^add user$/i, { category: 'account-change', activity: 'create' }],
  [/^delete user$/i, { category: 'account-change', activity: 'delete' }],
  [/^disable account$/i, { category: 'account-change', activity: 'disable' }],
  [/^enable account$/i, { category: 'account-change', activity: 'enable' }],
  [/reset (user )?password/i, { category: 'account-change', activity: 'password-reset' }],
  [/change (user )?password/i, { category: 'account-change', activity: 'password-change' }],
  [
    /registered security info|register(ed)? (authentication|security) method/i,
    { category: 'credential-change', activity: 'factor-enrolled' },
  ],
  [
    /deleted security info|delete(d)? (authentication|security) method/i,
    { category: 'credential-change', activity: 'factor-removed' },
  ],
  [
    /certificates and secrets|service principal credentials|update application.*secret/i,
    { category: 'credential-change', activity: 'client-secret-changed' },
  ],
  [
    /federation settings|domain authentication|add identity provider|update identity provider/i,
    { category: 'credential-change', activity: 'idp-trust-changed' },
  ],
  [/^update user$/i, { category: 'account-change', activity: 'update' }],
];

function tenantOf(raw: Raw, props: Raw): string | undefined {
  return (
    str(raw, 'tenantId') ??
    str(props, 'tenantId', 'homeTenantId') ??
    /\/tenants\/([^/]+)/i.exec(str(raw, 'resourceId') ?? '')?.[1]
  );
}

function signIn(raw: Raw, props: Raw, ctx: ParseContext, vendorType: string) {
  const errorCode = num(props, 'status.errorCode') ?? num(raw, 'resultType');
  const location = obj(props, 'location');
  const servicePrincipal = /serviceprincipal|managedidentity/i.test(vendorType);
  const name = servicePrincipal
    ? str(props, 'servicePrincipalName', 'appDisplayName')
    : (str(props, 'userPrincipalName', 'userDisplayName') ?? str(raw, 'identity'));
  const id = servicePrincipal ? str(props, 'servicePrincipalId', 'appId') : str(props, 'userId');
  const party =
    id || name ? { id, name, type: servicePrincipal ? ('service' as const) : ('user' as const) } : undefined;
  const mfa = str(props, 'mfaDetail.authMethod');
  return identityEvent(
    {
      id: str(props, 'id') ?? ctx.rawRef,
      provider: 'entra',
      tenant: tenantOf(raw, props),
      ...eventTime(ctx, get(raw, 'time'), get(props, 'createdDateTime'), get(raw, 'createdDateTime')),
      vendorType,
      outcome: errorCode === undefined ? 'unknown' : errorCode === 0 ? 'success' : 'failure',
      reason: str(props, 'status.failureReason') ?? str(raw, 'resultDescription'),
      actor: party,
      target: party,
      sourceIp: str(props, 'ipAddress') ?? str(raw, 'callerIpAddress'),
      userAgent: str(props, 'userAgent'),
      geo: location
        ? {
            country: str(location, 'countryOrRegion'),
            city: str(location, 'city'),
            lat: num(location, 'geoCoordinates.latitude'),
            lon: num(location, 'geoCoordinates.longitude'),
          }
        : str(raw, 'location')
          ? { country: str(raw, 'location') }
          : undefined,
      sessionId: str(props, 'sessionId', 'correlationId') ?? str(raw, 'correlationId'),
      client: str(props, 'appDisplayName', 'appId', 'resourceDisplayName'),
      rawRef: ctx.rawRef,
    },
    { category: 'authentication', activity: 'logon', factor: mfa },
  );
}

function audit(raw: Raw, props: Raw, ctx: ParseContext, vendorType: string) {
  const activity = str(props, 'activityDisplayName') ?? str(raw, 'operationName') ?? 'unknown';
  const initiatedUser = obj(props, 'initiatedBy.user');
  const initiatedApp = obj(props, 'initiatedBy.app');
  const target = arr(props, 'targetResources').filter(isRecord)[0];
  const classified = AUDIT.find(([pattern]) => pattern.test(activity))?.[1] ?? GENERIC;
  const roleName = arr(target, 'modifiedProperties')
    .filter(isRecord)
    .find((p) => /role\.displayname|group\.displayname/i.test(str(p, 'displayName') ?? ''));
  const result = str(props, 'result') ?? str(raw, 'resultSignature');
  return identityEvent(
    {
      id: str(props, 'id') ?? ctx.rawRef,
      provider: 'entra',
      tenant: tenantOf(raw, props),
      ...eventTime(ctx, get(raw, 'time'), get(props, 'activityDateTime'), get(raw, 'activityDateTime')),
      vendorType: `${vendorType}:${activity}`,
      outcome: /^success/i.test(result ?? '')
        ? 'success'
        : /^fail/i.test(result ?? '')
          ? 'failure'
          : 'unknown',
      reason: str(props, 'resultReason') ?? str(raw, 'resultDescription'),
      actor: initiatedUser
        ? { id: str(initiatedUser, 'id'), name: str(initiatedUser, 'userPrincipalName'), type: 'user' }
        : initiatedApp
          ? {
              id: str(initiatedApp, 'servicePrincipalId', 'appId'),
              name: str(initiatedApp, 'displayName'),
              type: 'service',
            }
          : undefined,
      target: target
        ? {
            id: str(target, 'id'),
            name: str(target, 'userPrincipalName', 'displayName'),
            type: /user/i.test(str(target, 'type') ?? '') ? 'user' : 'unknown',
          }
        : undefined,
      sourceIp: str(initiatedUser, 'ipAddress') ?? str(raw, 'callerIpAddress'),
      rawRef: ctx.rawRef,
    },
    classified.category === 'privilege-change'
      ? { ...classified, privilege: str(roleName, 'newValue')?.replace(/^"|"$/g, '') }
      : classified,
  );
}

export const parseEntra: Parser = (raw, ctx) => {
  requireObject(raw, 'entra');
  const category = str(raw, 'category');
  const props = obj(raw, 'properties');
  if (category && props) {
    if (SIGN_IN.test(category)) return [signIn(raw, props, ctx, category)];
    if (/^auditlogs$/i.test(category)) return [audit(raw, props, ctx, category)];
  }
  // Microsoft Graph resources come without the envelope.
  if (str(raw, 'activityDisplayName')) return [audit(raw, raw, ctx, 'directoryAudit')];
  if (get(raw, 'status') !== undefined && str(raw, 'userPrincipalName', 'servicePrincipalId')) {
    return [signIn(raw, raw, ctx, 'signIn')];
  }
  if (!category)
    throw new EventRejected(
      'not an Entra event: expected an Azure Monitor record (category) or a Graph signIn/directoryAudit',
    );
  // Risk detections, risky users and other categories: kept, as generic events.
  const p = props ?? {};
  return [
    identityEvent(
      {
        id: str(p, 'id') ?? ctx.rawRef,
        provider: 'entra',
        tenant: tenantOf(raw, p),
        ...eventTime(
          ctx,
          get(raw, 'time'),
          get(p, 'activityDateTime'),
          get(p, 'detectedDateTime'),
          get(raw, 'CreatedDateTime'),
        ),
        vendorType: category,
        outcome: 'unknown',
        reason: str(p, 'riskEventType', 'riskLevel', 'riskDetail'),
        actor: str(p, 'userPrincipalName')
          ? { id: str(p, 'userId', 'id'), name: str(p, 'userPrincipalName'), type: 'user' }
          : undefined,
        target: str(p, 'userPrincipalName')
          ? { id: str(p, 'userId', 'id'), name: str(p, 'userPrincipalName'), type: 'user' }
          : undefined,
        sourceIp: str(p, 'ipAddress') ?? str(raw, 'callerIpAddress'),
        rawRef: ctx.rawRef,
      },
      GENERIC,
    ),
  ];
};
