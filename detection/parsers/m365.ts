/**
 * Microsoft 365 unified audit log records (Office 365 Management Activity API, `Audit.AzureActiveDirectory`
 * and the other content types). The Azure AD workload's operations are Entra's directory audit
 * activities (with a trailing period) and its sign-ins (`UserLoggedIn`, `UserLoginFailed`); they are
 * classified by the Entra catalog so the two sources agree.
 */
import { C, Classified, GENERIC, identityEvent } from '../events';
import type { Catalog, CatalogEntry, VendorCatalog } from '../catalog';
import { arr, EventRejected, get, isRecord, Raw, str } from '../fields';
import { ENTRA_AUDIT_CATALOG, entraAuditClass, entraPrivilege } from './entra';
import { eventTime, Parser, requireObject } from './common';

export const M365_CATALOG: Catalog = [
  { type: 'UserLoggedIn', classified: C.logon() },
  { type: 'UserLoginFailed', classified: C.logon() },
  {
    type: 'UserLoginFailed',
    when: 'LogonError IdsLocked or error 50053 (account locked)',
    classified: C.logon({ lockedOut: true }),
    example: { LogonError: 'IdsLocked', ErrorNumber: '50053' },
  },
  ...ENTRA_AUDIT_CATALOG.map((e): CatalogEntry => ({
    ...e,
    type: `${e.type}.`,
    example: m365Example(e.example),
  })),
];

/** Entra's catalog examples (targetResources/modifiedProperties) in the unified audit log's shape. */
function m365Example(example: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!example) return undefined;
  const targets = arr(example, 'targetResources').filter(isRecord);
  return {
    ModifiedProperties: targets.flatMap((t) =>
      arr(t, 'modifiedProperties')
        .filter(isRecord)
        .map((m) => ({
          Name: str(m, 'displayName'),
          NewValue: str(m, 'newValue'),
          OldValue: str(m, 'oldValue'),
        })),
    ),
  };
}

/** `1.2.3.4:5678`, `[2001:db8::1]:443` and bare addresses, as the log writes ClientIP. */
function address(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(value);
  if (bracketed) return bracketed[1];
  const v4 = /^(\d+\.\d+\.\d+\.\d+)(?::\d+)?$/.exec(value);
  return v4 ? v4[1] : value;
}

function signIn(raw: Raw, operation: string): Classified {
  const locked = /locked/i.test(str(raw, 'LogonError') ?? '') || str(raw, 'ErrorNumber') === '50053';
  return operation === 'UserLoginFailed' && locked ? C.logon({ lockedOut: true }) : C.logon();
}

export const parseM365: Parser = (raw, ctx) => {
  requireObject(raw, 'm365');
  const operation = str(raw, 'Operation');
  if (!operation) throw new EventRejected('a Microsoft 365 audit record needs an Operation');
  const workload = str(raw, 'Workload') ?? '';
  const signInOp = /^UserLogged(In|Out)$|^UserLoginFailed$/.test(operation);
  // Entra-shaped targets so the Entra classification (and its modifiedProperties checks) applies.
  const targets = [
    {
      modifiedProperties: arr(raw, 'ModifiedProperties')
        .filter(isRecord)
        .map((m) => ({
          displayName: str(m, 'Name'),
          newValue: str(m, 'NewValue'),
          oldValue: str(m, 'OldValue'),
        })),
    },
  ];
  let classified: Classified = signInOp
    ? operation === 'UserLoggedOut'
      ? C.auth('logoff')
      : signIn(raw, operation)
    : /azureactivedirectory/i.test(workload)
      ? entraAuditClass(operation, targets)
      : GENERIC;
  const { privilege, scopes } = entraPrivilege(targets);
  if (classified.category === 'privilege-change' && !classified.privilege)
    classified = { ...classified, privilege };
  const status = str(raw, 'ResultStatus') ?? '';
  const userTarget = arr(raw, 'Target')
    .filter(isRecord)
    .map((t) => str(t, 'ID'))
    .find((v) => v && /@/.test(v));
  const actorName = str(raw, 'UserId');
  const targetName = signInOp
    ? actorName
    : (userTarget ?? (/@/.test(str(raw, 'ObjectId') ?? '') ? str(raw, 'ObjectId') : undefined));
  return [
    identityEvent(
      {
        id: str(raw, 'Id') ?? ctx.rawRef,
        provider: 'm365',
        tenant: str(raw, 'OrganizationId'),
        vendorType: `${workload || 'unknown'}:${operation}`,
        outcome:
          operation === 'UserLoginFailed' || /^fail/i.test(status)
            ? 'failure'
            : /^(success|succeeded|true)$/i.test(status) || operation === 'UserLoggedIn'
              ? 'success'
              : 'unknown',
        reason: str(raw, 'LogonError') ?? str(raw, 'ErrorNumber'),
        actor: actorName ? { id: str(raw, 'UserKey'), name: actorName, type: 'user' } : undefined,
        target: targetName ? { name: targetName, type: 'user' } : undefined,
        sourceIp: address(str(raw, 'ClientIP', 'ActorIpAddress')),
        userAgent: str(
          arr(raw, 'ExtendedProperties')
            .filter(isRecord)
            .find((p) => str(p, 'Name') === 'UserAgent'),
          'Value',
        ),
        scopes: classified.category === 'credential-change' ? scopes : undefined,
        client: str(raw, 'ApplicationId'),
        rawRef: ctx.rawRef,
        ...eventTime(
          ctx,
          /Z|[+-]\d\d:?\d\d$/.test(str(raw, 'CreationTime') ?? '')
            ? get(raw, 'CreationTime')
            : `${str(raw, 'CreationTime') ?? ''}Z`,
        ),
      },
      classified,
    ),
  ];
};

export const M365: VendorCatalog = {
  provider: 'm365',
  source:
    'Office 365 Management Activity API schema, Azure AD workload (learn.microsoft.com/office/office-365-management-api)',
  catalog: M365_CATALOG,
  record: (entry) => ({
    Id: `catalog-${entry.type}`,
    CreationTime: '2026-11-30T02:14:00',
    Operation: entry.type,
    OrganizationId: '00000000-0000-0000-0000-00000000cafe',
    RecordType: /^User(LoggedIn|LoginFailed)$/.test(entry.type) ? 15 : 8,
    ResultStatus: entry.type === 'UserLoginFailed' ? 'Failed' : 'Success',
    UserId: /^User(LoggedIn|LoginFailed)$/.test(entry.type) ? 'alice@example.com' : 'admin@example.com',
    Workload: 'AzureActiveDirectory',
    ClientIP: '198.51.100.7:51234',
    ObjectId: 'alice@example.com',
    Target: [{ ID: 'alice@example.com', Type: 5 }],
    ...entry.example,
  }),
};
