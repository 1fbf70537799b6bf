/**
 * Microsoft Entra ID sign-in and audit logs, in both shapes: the Azure Monitor diagnostic envelope
 * (`category`, `time`, `properties`, with inconsistent key case) and the Microsoft Graph resources
 * (`signIn`: createdDateTime/status; `directoryAudit`: activityDateTime/activityDisplayName).
 */
import { Anonymizer, C, Classified, GENERIC, identityEvent, riskLevel, RiskLevel } from '../events';
import type { Catalog, CatalogEntry, VendorCatalog } from '../catalog';
import { byType } from '../catalog';
import { arr, EventRejected, get, isRecord, num, obj, Raw, str } from '../fields';
import { eventTime, ParseContext, Parser, requireObject } from './common';

const SIGN_IN = /signinlogs$/i;
const RISK = /^(riskyusers|userriskevents|riskyserviceprincipals|serviceprincipalriskevents)$/i;

const requested = (type: string): CatalogEntry => ({
  type,
  classified: GENERIC,
  when: 'a request: only the completed assignment is a grant',
});

/**
 * Directory audit activities (activityDisplayName) by the Entra audit activity reference
 * (learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities), across its
 * categories: RoleManagement, ApplicationManagement, UserManagement, GroupManagement, Policy,
 * DirectoryManagement, Authentication methods. PIM *requests* are listed to say they are not grants.
 */
export const ENTRA_AUDIT_CATALOG: Catalog = [
  { type: 'Add member to role', classified: C.grant() },
  { type: 'Add eligible member to role', classified: C.grant() },
  { type: 'Add member to role in PIM completed (permanent)', classified: C.grant() },
  { type: 'Add member to role in PIM completed (timebound)', classified: C.grant() },
  { type: 'Add eligible member to role in PIM completed (permanent)', classified: C.grant() },
  { type: 'Add eligible member to role in PIM completed (timebound)', classified: C.grant() },
  { type: 'Add member to role completed (PIM activation)', classified: C.grant() },
  { type: 'Add scoped member to role', classified: C.grant() },
  requested('Add member to role in PIM requested (permanent)'),
  requested('Add member to role in PIM requested (timebound)'),
  requested('Add eligible member to role in PIM requested (permanent)'),
  requested('Add eligible member to role in PIM requested (timebound)'),
  requested('Add member to role requested (PIM activation)'),
  requested('Add member to role request approved (PIM activation)'),
  { type: 'Remove member from role', classified: C.revoke() },
  { type: 'Remove eligible member from role', classified: C.revoke() },
  { type: 'Remove member from role in PIM completed (permanent)', classified: C.revoke() },
  { type: 'Remove eligible member from role in PIM completed (permanent)', classified: C.revoke() },
  { type: 'Add app role assignment grant to user', classified: C.grant() },
  { type: 'Remove app role assignment from user', classified: C.revoke() },
  { type: 'Add member to group', classified: C.grant() },
  { type: 'Remove member from group', classified: C.revoke() },
  { type: 'Add owner to group', classified: C.grant('group owner') },
  { type: 'Add owner to application', classified: C.grant('application owner') },
  { type: 'Add owner to service principal', classified: C.grant('service principal owner') },
  { type: 'Add application', classified: C.credential('app-created') },
  { type: 'Add service principal', classified: C.credential('app-created') },
  { type: 'Consent to application', classified: C.credential('consent-granted') },
  { type: 'Add delegated permission grant', classified: C.credential('consent-granted') },
  { type: 'Add app role assignment to service principal', classified: C.credential('consent-granted') },
  {
    type: 'Update application – Certificates and secrets management',
    classified: C.credential('client-secret-changed'),
  },
  { type: 'Add service principal credentials', classified: C.credential('client-secret-changed') },
  { type: 'Update service principal credentials', classified: C.credential('client-secret-changed') },
  { type: 'Set domain authentication', classified: C.credential('idp-trust-changed') },
  { type: 'Set federation settings on domain', classified: C.credential('idp-trust-changed') },
  { type: 'Add identity provider', classified: C.credential('idp-trust-changed') },
  { type: 'Update identity provider', classified: C.credential('idp-trust-changed') },
  {
    type: 'Add partner to cross-tenant access setting',
    classified: C.policy('changed', 'cross-tenant access'),
  },
  {
    type: 'Update a partner cross-tenant access setting',
    classified: C.policy('changed', 'cross-tenant access'),
  },
  { type: 'User registered security info', classified: C.credential('factor-enrolled') },
  { type: 'User registered all required security info', classified: C.credential('factor-enrolled') },
  { type: 'Admin registered security info', classified: C.credential('factor-enrolled') },
  { type: 'User deleted security info', classified: C.credential('factor-removed') },
  { type: 'Admin deleted security info', classified: C.credential('factor-removed') },
  { type: 'Disable Strong Authentication', classified: C.account('mfa-disabled') },
  {
    type: 'Update user',
    when: 'StrongAuthenticationRequirement or StrongAuthenticationMethod emptied',
    classified: C.account('mfa-disabled'),
    example: {
      targetResources: [
        {
          type: 'User',
          userPrincipalName: 'alice@example.com',
          modifiedProperties: [
            { displayName: 'StrongAuthenticationRequirement', oldValue: '[{"State":1}]', newValue: '[]' },
          ],
        },
      ],
    },
  },
  { type: 'Update user', classified: C.account('update') },
  { type: 'Add user', classified: C.account('create') },
  { type: 'Invite external user', classified: C.account('create') },
  { type: 'Delete user', classified: C.account('delete') },
  { type: 'Hard delete user', classified: C.account('delete') },
  { type: 'Restore user', classified: C.account('enable') },
  { type: 'Disable account', classified: C.account('disable') },
  { type: 'Enable account', classified: C.account('enable') },
  { type: 'Reset password (by admin)', classified: C.account('password-reset') },
  { type: 'Reset user password', classified: C.account('password-reset') },
  { type: 'Reset password (self-service)', classified: C.account('password-reset') },
  { type: 'Change user password', classified: C.account('password-change') },
  { type: 'Change password (self-service)', classified: C.account('password-change') },
  { type: 'Add conditional access policy', classified: C.policy('changed', 'conditional access') },
  { type: 'Update conditional access policy', classified: C.policy('changed', 'conditional access') },
  {
    type: 'Update conditional access policy',
    when: 'the new state is disabled or report-only',
    classified: C.policy('mfa-weakened', 'conditional access'),
    example: {
      targetResources: [
        {
          type: 'Policy',
          displayName: 'Require MFA',
          modifiedProperties: [{ displayName: 'ConditionalAccessPolicy', newValue: '{"state":"disabled"}' }],
        },
      ],
    },
  },
  { type: 'Delete conditional access policy', classified: C.policy('mfa-weakened', 'conditional access') },
  { type: 'Authentication Methods Policy Update', classified: C.policy('changed', 'authentication methods') },
  {
    type: 'Authentication Methods Policy Update',
    when: 'a method is set to disabled',
    classified: C.policy('mfa-weakened', 'authentication methods'),
    example: {
      targetResources: [
        {
          type: 'Policy',
          displayName: 'Authentication Methods Policy',
          modifiedProperties: [
            {
              displayName: 'AuthenticationMethodConfigurations',
              newValue: '[{"id":"MicrosoftAuthenticator","state":"disabled"}]',
            },
          ],
        },
      ],
    },
  },
  { type: 'Update policy', classified: C.policy('changed') },
  { type: 'Delete policy', classified: C.policy('changed') },
];

/** Sign-in and risk categories of the Azure Monitor export (and Graph resources without it). */
export const ENTRA_CATALOG: Catalog = [
  ...[
    'SignInLogs',
    'NonInteractiveUserSignInLogs',
    'ServicePrincipalSignInLogs',
    'ManagedIdentitySignInLogs',
    'ADFSSignInLogs',
  ].map((type): CatalogEntry => ({ type, classified: C.logon() })),
  {
    type: 'SignInLogs',
    when: 'error 50053 (account locked)',
    classified: C.logon({ lockedOut: true }),
    example: { properties: { status: { errorCode: 50053 } } },
  },
  {
    type: 'SignInLogs',
    when: 'error 500121 (MFA denied or not answered)',
    classified: C.mfa('denied'),
    example: {
      properties: {
        status: { errorCode: 500121, additionalDetails: 'MFA denied; user declined the authentication' },
      },
    },
  },
  {
    type: 'SignInLogs',
    when: 'error 50074/50076/50079 (MFA required: an interrupt, not a failure)',
    classified: C.auth('other'),
    example: { properties: { status: { errorCode: 50074 } } },
  },
  ...['RiskyUsers', 'UserRiskEvents', 'RiskyServicePrincipals', 'ServicePrincipalRiskEvents'].map(
    (type): CatalogEntry => ({ type, classified: C.risk('detected') }),
  ),
  {
    type: 'RiskyUsers',
    when: 'riskState confirmedCompromised',
    classified: C.risk('confirmed-compromised'),
    example: { properties: { riskState: 'confirmedCompromised', riskLevel: 'high' } },
  },
  {
    type: 'RiskyUsers',
    when: 'riskState dismissed or remediated',
    classified: C.risk('dismissed'),
    example: { properties: { riskState: 'dismissed', riskLevel: 'none' } },
  },
  ...ENTRA_AUDIT_CATALOG.map((e): CatalogEntry => ({ ...e, type: `AuditLogs:${e.type}` })),
];

const AUDIT = byType(ENTRA_AUDIT_CATALOG, true);

/** Client apps that use basic authentication (no MFA possible), per the sign-in log's clientAppUsed. */
const LEGACY_CLIENTS =
  /exchange activesync|imap|pop3?|smtp|mapi|autodiscover|exchange web services|other clients|offline address book|reporting web services|outlook anywhere|exchange online powershell/i;

function tenantOf(raw: Raw, props: Raw): string | undefined {
  return (
    str(raw, 'tenantId') ??
    str(props, 'tenantId', 'homeTenantId') ??
    /\/tenants\/([^/]+)/i.exec(str(raw, 'resourceId') ?? '')?.[1]
  );
}

/** Entra's risk words: `hidden` (no P2 licence) and `none` say nothing. */
function entraRisk(props: Raw): { level: RiskLevel; state?: string; detail?: string } | undefined {
  const state = str(props, 'riskState');
  let level = riskLevel(str(props, 'riskLevelDuringSignIn', 'riskLevelAggregated', 'riskLevel'));
  if (/confirmedCompromised/i.test(state ?? '')) level = 'critical';
  if (!level || level === 'none')
    return state && !/^none$/i.test(state) && level ? { level, state } : undefined;
  const types = arr(props, 'riskEventTypes_v2')
    .concat(arr(props, 'riskEventTypes'))
    .filter((x) => typeof x === 'string');
  const detail = [str(props, 'riskEventType'), ...types, str(props, 'riskDetail')]
    .filter((x) => x && !/^none$/i.test(x))
    .join(', ');
  return { level, state, detail: detail || undefined };
}

function anonymizerOf(props: Raw): Anonymizer | undefined {
  const types = [
    str(props, 'riskEventType'),
    ...arr(props, 'riskEventTypes_v2'),
    ...arr(props, 'riskEventTypes'),
  ];
  if (types.some((t) => t === 'anonymizedIPAddress')) return 'vpn';
  return undefined;
}

function flowOf(props: Raw) {
  const protocol = `${str(props, 'authenticationProtocol') ?? ''} ${str(props, 'originalTransferMethod') ?? ''}`;
  if (/devicecode/i.test(protocol)) return 'device-code' as const;
  if (/ropc/i.test(protocol)) return 'ropc' as const;
  if (LEGACY_CLIENTS.test(str(props, 'clientAppUsed') ?? '')) return 'legacy' as const;
  if (/saml/i.test(protocol)) return 'saml' as const;
  return undefined;
}

function signInClass(errorCode: number | undefined, props: Raw): Classified {
  if (errorCode === 50053) return C.logon({ lockedOut: true });
  if (errorCode === 500121) {
    const details = str(props, 'status.additionalDetails') ?? '';
    return C.mfa(/declined|denied|fraud/i.test(details) ? 'denied' : 'timeout');
  }
  if (errorCode === 50074 || errorCode === 50076 || errorCode === 50079) return C.auth('other');
  return C.logon({ factor: str(props, 'mfaDetail.authMethod') });
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
  const hidden = anonymizerOf(props);
  const classified = signInClass(errorCode, props);
  return identityEvent(
    {
      id: str(props, 'id') ?? ctx.rawRef,
      provider: 'entra',
      tenant: tenantOf(raw, props),
      vendorType,
      outcome:
        errorCode === undefined
          ? 'unknown'
          : errorCode === 0
            ? 'success'
            : classified.activity === 'other'
              ? 'unknown'
              : 'failure',
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
      network: hidden ? { anonymizer: hidden } : undefined,
      risk: entraRisk(props),
      flow: flowOf(props),
      sessionId: str(props, 'sessionId', 'correlationId') ?? str(raw, 'correlationId'),
      client: str(props, 'appDisplayName', 'appId', 'resourceDisplayName'),
      rawRef: ctx.rawRef,
      ...eventTime(ctx, get(raw, 'time'), get(props, 'createdDateTime'), get(raw, 'createdDateTime')),
    },
    classified,
  );
}

function modified(targets: Raw[]): Raw[] {
  return targets.flatMap((t) => arr(t, 'modifiedProperties').filter(isRecord));
}

/** The audit activity's class, looking into modifiedProperties where the name alone does not say. */
export function entraAuditClass(activity: string, targets: Raw[]): Classified {
  const name = activity.trim().replace(/\.$/, '');
  const props = modified(targets);
  const changed = (p: RegExp) => props.filter((m) => p.test(str(m, 'displayName') ?? ''));
  if (/^update user$/i.test(name)) {
    const mfa = changed(/^StrongAuthentication(Requirement|Method)$/i);
    // Emptied: `[]`, `""` or nothing now, something before (whitespace removed first: linear).
    const empty = (v: string | undefined) => ['', '[]', '""'].includes((v ?? '').replace(/\s+/g, ''));
    if (mfa.some((m) => empty(str(m, 'newValue')) && !empty(str(m, 'oldValue'))))
      return C.account('mfa-disabled');
  }
  if (/^update conditional access policy$/i.test(name)) {
    if (
      props.some((m) =>
        /"state"\s*:\s*"(disabled|enabledForReportingButNotEnforced)"/i.test(str(m, 'newValue') ?? ''),
      )
    )
      return C.policy('mfa-weakened', 'conditional access');
  }
  if (/^authentication methods policy update$/i.test(name)) {
    if (props.some((m) => /"state"\s*:\s*"disabled"/i.test(str(m, 'newValue') ?? '')))
      return C.policy('mfa-weakened', 'authentication methods');
  }
  return AUDIT.get(name.toLowerCase()) ?? GENERIC;
}

/** Role, group or app permission named in a privilege or consent change. */
export function entraPrivilege(targets: Raw[]): { privilege?: string; scopes?: string[] } {
  const props = modified(targets);
  const value = (p: RegExp) =>
    str(
      props.find((m) => p.test(str(m, 'displayName') ?? '')),
      'newValue',
    )?.replace(/^"|"$/g, '');
  const privilege = value(/role\.displayname|group\.displayname|approle\.value/i);
  const scopeText = value(/consentaction\.permissions|delegatedpermissiongrant\.scope|approle\.value/i);
  const scopes = scopeText
    ? (/Scope:\s*([^,\]]+)/i.exec(scopeText)?.[1] ?? scopeText)
        .split(/[\s,]+/)
        .filter((x) => /^[\w.]+$/.test(x))
    : undefined;
  return { privilege, scopes: scopes?.length ? scopes : undefined };
}

function audit(raw: Raw, props: Raw, ctx: ParseContext, vendorType: string) {
  const activity = str(props, 'activityDisplayName') ?? str(raw, 'operationName') ?? 'unknown';
  const initiatedUser = obj(props, 'initiatedBy.user');
  const initiatedApp = obj(props, 'initiatedBy.app');
  const targets = arr(props, 'targetResources').filter(isRecord);
  const target = targets.find((t) => /user/i.test(str(t, 'type') ?? '')) ?? targets[0];
  let classified = entraAuditClass(activity, targets);
  const { privilege, scopes } = entraPrivilege(targets);
  if (classified.category === 'privilege-change' && !classified.privilege)
    classified = { ...classified, privilege };
  if (classified.category === 'policy-change' && !classified.policy)
    classified = { ...classified, policy: str(targets[0], 'displayName') };
  const result = str(props, 'result') ?? str(raw, 'resultSignature');
  return identityEvent(
    {
      id: str(props, 'id') ?? ctx.rawRef,
      provider: 'entra',
      tenant: tenantOf(raw, props),
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
      scopes: classified.category === 'credential-change' ? scopes : undefined,
      rawRef: ctx.rawRef,
      ...eventTime(ctx, get(raw, 'time'), get(props, 'activityDateTime'), get(raw, 'activityDateTime')),
    },
    classified,
  );
}

function riskEvent(raw: Raw, p: Raw, ctx: ParseContext, vendorType: string) {
  const state = str(p, 'riskState') ?? '';
  const classified = /confirmedCompromised/i.test(state)
    ? C.risk('confirmed-compromised')
    : /dismissed|remediated/i.test(state)
      ? C.risk('dismissed')
      : C.risk('detected');
  const user = str(p, 'userPrincipalName', 'servicePrincipalDisplayName')
    ? {
        id: str(p, 'userId', 'servicePrincipalId', 'id'),
        name: str(p, 'userPrincipalName', 'servicePrincipalDisplayName'),
        type: str(p, 'userPrincipalName') ? ('user' as const) : ('service' as const),
      }
    : undefined;
  const location = obj(p, 'location');
  const hidden = anonymizerOf(p);
  return identityEvent(
    {
      id: str(p, 'id') ?? ctx.rawRef,
      provider: 'entra',
      tenant: tenantOf(raw, p),
      vendorType,
      outcome: 'unknown',
      reason: str(p, 'riskEventType', 'riskDetail', 'riskLevel'),
      actor: user,
      target: user,
      sourceIp: str(p, 'ipAddress') ?? str(raw, 'callerIpAddress'),
      geo: location
        ? {
            country: str(location, 'countryOrRegion'),
            city: str(location, 'city'),
            lat: num(location, 'geoCoordinates.latitude'),
            lon: num(location, 'geoCoordinates.longitude'),
          }
        : undefined,
      network: hidden ? { anonymizer: hidden } : undefined,
      risk: entraRisk(p) ?? { level: 'low', state: state || undefined },
      rawRef: ctx.rawRef,
      ...eventTime(
        ctx,
        get(raw, 'time'),
        get(p, 'detectedDateTime'),
        get(p, 'riskLastUpdatedDateTime'),
        get(p, 'activityDateTime'),
        get(raw, 'CreatedDateTime'),
      ),
    },
    classified,
  );
}

export const parseEntra: Parser = (raw, ctx) => {
  requireObject(raw, 'entra');
  const category = str(raw, 'category');
  const props = obj(raw, 'properties');
  if (category && props) {
    if (SIGN_IN.test(category)) return [signIn(raw, props, ctx, category)];
    if (/^auditlogs$/i.test(category)) return [audit(raw, props, ctx, category)];
    if (RISK.test(category)) return [riskEvent(raw, props, ctx, category)];
  }
  // Microsoft Graph resources come without the envelope.
  if (str(raw, 'activityDisplayName')) return [audit(raw, raw, ctx, 'directoryAudit')];
  if (get(raw, 'status') !== undefined && str(raw, 'userPrincipalName', 'servicePrincipalId')) {
    return [signIn(raw, raw, ctx, 'signIn')];
  }
  if (str(raw, 'riskEventType') && str(raw, 'detectedDateTime'))
    return [riskEvent(raw, raw, ctx, 'riskDetection')];
  if (str(raw, 'riskState') && str(raw, 'userPrincipalName')) return [riskEvent(raw, raw, ctx, 'riskyUser')];
  if (!category)
    throw new EventRejected(
      'not an Entra event: expected an Azure Monitor record (category) or a Graph signIn/directoryAudit/riskDetection',
    );
  // Other categories (provisioning, Graph activity, network access): kept, as generic events.
  const p = props ?? {};
  return [
    identityEvent(
      {
        id: str(p, 'id') ?? ctx.rawRef,
        provider: 'entra',
        tenant: tenantOf(raw, p),
        vendorType: category,
        outcome: 'unknown',
        actor: str(p, 'userPrincipalName')
          ? { id: str(p, 'userId', 'id'), name: str(p, 'userPrincipalName'), type: 'user' }
          : undefined,
        target: str(p, 'userPrincipalName')
          ? { id: str(p, 'userId', 'id'), name: str(p, 'userPrincipalName'), type: 'user' }
          : undefined,
        sourceIp: str(p, 'ipAddress') ?? str(raw, 'callerIpAddress'),
        rawRef: ctx.rawRef,
        ...eventTime(ctx, get(raw, 'time'), get(p, 'activityDateTime'), get(raw, 'CreatedDateTime')),
      },
      GENERIC,
    ),
  ];
};

export const ENTRA: VendorCatalog = {
  provider: 'entra',
  source:
    'Entra ID sign-in, risk and audit logs (learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities)',
  catalog: ENTRA_CATALOG,
  record: (entry) => {
    const [category, activity] = entry.type.split(/:(.*)/s);
    const example = entry.example ?? {};
    const base = {
      time: '2026-11-30T02:14:00.000Z',
      tenantId: '00000000-0000-0000-0000-00000000cafe',
      category,
      callerIpAddress: '198.51.100.7',
    };
    if (activity !== undefined) {
      return {
        ...base,
        properties: {
          id: `catalog-${entry.type}`,
          activityDisplayName: activity,
          result: 'success',
          initiatedBy: {
            user: { id: 'u-admin', userPrincipalName: 'admin@example.com', ipAddress: '198.51.100.7' },
          },
          targetResources: [{ id: 'u-alice', type: 'User', userPrincipalName: 'alice@example.com' }],
          ...example,
        },
      };
    }
    const props = (example.properties as Raw | undefined) ?? {};
    return {
      ...base,
      properties: {
        id: `catalog-${entry.type}-${entry.when ?? ''}`,
        userPrincipalName: 'alice@example.com',
        userId: 'u-alice',
        ipAddress: '198.51.100.7',
        status: { errorCode: 0 },
        riskLevel: 'medium',
        riskState: 'atRisk',
        ...props,
      },
    };
  },
};
