/**
 * Keycloak: login events and admin events as the admin REST API returns them (what the collector
 * pulls), and the same events as server log lines (`type=LOGIN_ERROR, realmId=…`), plain or ECS JSON.
 */
import { C, GENERIC, identityEvent, IdentityEvent } from '../events';
import type { Catalog, CatalogEntry, VendorCatalog } from '../catalog';
import { EventRejected, get, isRecord, num, obj, str, own } from '../fields';
import { eventTime, ParseContext, Parser } from './common';

type Classified = Parameters<typeof identityEvent>[1];

/** Keycloak login-event types, by their name without the `_ERROR` suffix. */
const LOGIN_EVENTS: Record<string, Classified> = {
  LOGIN: { category: 'authentication', activity: 'logon' },
  CLIENT_LOGIN: { category: 'authentication', activity: 'logon', factor: 'client-credentials' },
  IDENTITY_PROVIDER_LOGIN: { category: 'authentication', activity: 'logon' },
  LOGOUT: { category: 'authentication', activity: 'logoff' },
  REFRESH_TOKEN: { category: 'authentication', activity: 'token-refresh' },
  CODE_TO_TOKEN: { category: 'authentication', activity: 'token-exchange' },
  TOKEN_EXCHANGE: { category: 'authentication', activity: 'token-exchange' },
  USER_INFO_REQUEST: { category: 'authentication', activity: 'token-use' },
  INTROSPECT_TOKEN: { category: 'authentication', activity: 'token-use' },
  REGISTER: { category: 'account-change', activity: 'create' },
  DELETE_ACCOUNT: { category: 'account-change', activity: 'delete' },
  UPDATE_PROFILE: { category: 'account-change', activity: 'update' },
  UPDATE_EMAIL: { category: 'account-change', activity: 'update' },
  UPDATE_PASSWORD: { category: 'account-change', activity: 'password-change' },
  RESET_PASSWORD: { category: 'account-change', activity: 'password-reset' },
  UPDATE_TOTP: { category: 'credential-change', activity: 'factor-enrolled', credentialType: 'otp' },
  REMOVE_TOTP: { category: 'credential-change', activity: 'factor-removed', credentialType: 'otp' },
  UPDATE_CREDENTIAL: { category: 'credential-change', activity: 'factor-enrolled' },
  REMOVE_CREDENTIAL: { category: 'credential-change', activity: 'factor-removed' },
};

/** Brute-force detection's own events (Keycloak 24+) and the errors that mean "locked out". */
const LOCKOUT_EVENTS = new Set(['USER_DISABLED_BY_PERMANENT_LOCKOUT', 'USER_DISABLED_BY_TEMPORARY_LOCKOUT']);
const LOCKOUT_ERROR = /^user_temporarily_disabled$/;

function classifyLogin(type: string, details: Record<string, unknown>, error?: string): Classified {
  if (LOCKOUT_EVENTS.has(type)) return C.account('lock');
  const base = own(LOGIN_EVENTS, type.replace(/_ERROR$/, ''));
  if (!base) return GENERIC;
  if (base.category === 'authentication' && base.activity === 'logon' && error && LOCKOUT_ERROR.test(error))
    return { ...base, lockedOut: true };
  if (base.category === 'credential-change' && !base.credentialType) {
    return { ...base, credentialType: str(details, 'credential_type') };
  }
  return base;
}

function loginEvent(rec: Record<string, unknown>, ctx: ParseContext): IdentityEvent {
  const type = str(rec, 'type');
  if (!type) throw new EventRejected('a Keycloak event needs a type');
  const details = obj(rec, 'details') ?? {};
  const error = str(rec, 'error');
  const failed = type.endsWith('_ERROR') || Boolean(error);
  const userId = str(rec, 'userId');
  const username = str(details, 'username');
  return identityEvent(
    {
      id: str(rec, 'id') ?? ctx.rawRef,
      provider: 'keycloak',
      tenant: str(rec, 'realmId', 'realmName'),
      vendorType: type,
      outcome: failed ? 'failure' : 'success',
      reason: error,
      actor:
        userId || username
          ? { id: userId === 'null' ? undefined : userId, name: username, type: 'user' }
          : undefined,
      target: userId && userId !== 'null' ? { id: userId, name: username, type: 'user' } : undefined,
      sourceIp: str(rec, 'ipAddress'),
      userAgent: str(details, 'user_agent'),
      sessionId: str(rec, 'sessionId') ?? str(details, 'code_id'),
      client: str(rec, 'clientId'),
      rawRef: ctx.rawRef,
      ...eventTime(ctx, get(rec, 'time'), get(rec, '@timestamp')),
    },
    classifyLogin(type, details, error),
  );
}

function adminEvent(rec: Record<string, unknown>, ctx: ParseContext): IdentityEvent {
  const op = str(rec, 'operationType') ?? 'UNKNOWN';
  const resource = str(rec, 'resourceType') ?? '';
  const path = str(rec, 'resourcePath') ?? '';
  const auth = obj(rec, 'authDetails') ?? {};
  const userInPath = /^users\/([^/]+)/.exec(path)?.[1];
  const classified = classifyAdmin(op, resource, path, str(rec, 'representation'));
  return identityEvent(
    {
      id: str(rec, 'id') ?? ctx.rawRef,
      provider: 'keycloak',
      tenant: str(rec, 'realmId', 'realmName'),
      vendorType: `ADMIN_${op}_${resource || 'RESOURCE'}`,
      outcome: str(rec, 'error') ? 'failure' : 'success',
      reason: str(rec, 'error'),
      actor: { id: str(auth, 'userId'), type: 'admin' },
      target: userInPath ? { id: userInPath, type: 'user' } : undefined,
      sourceIp: str(auth, 'ipAddress'),
      client: str(auth, 'clientId'),
      rawRef: ctx.rawRef,
      ...eventTime(ctx, get(rec, 'time')),
    },
    classified,
  );
}

function classifyAdmin(op: string, resource: string, path: string, representation?: string): Classified {
  if (
    resource === 'REALM_ROLE_MAPPING' ||
    resource === 'CLIENT_ROLE_MAPPING' ||
    resource === 'GROUP_MEMBERSHIP'
  ) {
    if (op !== 'CREATE' && op !== 'DELETE') return GENERIC;
    return {
      category: 'privilege-change',
      activity: op === 'CREATE' ? 'grant' : 'revoke',
      privilege: privilegeName(resource, path, representation),
    };
  }
  if (resource === 'USER') {
    if (/\/credentials\/[^/]+$/.test(path) && op === 'DELETE')
      return { category: 'credential-change', activity: 'factor-removed' };
    if (op === 'CREATE') return { category: 'account-change', activity: 'create' };
    if (op === 'DELETE') return { category: 'account-change', activity: 'delete' };
    if (path.endsWith('/reset-password')) return { category: 'account-change', activity: 'password-reset' };
    if (op === 'UPDATE' && representation && /"enabled"\s*:\s*false/.test(representation)) {
      return { category: 'account-change', activity: 'disable' };
    }
    return { category: 'account-change', activity: 'update' };
  }
  if (resource === 'CLIENT' && /client-secret/.test(path))
    return { category: 'credential-change', activity: 'client-secret-changed' };
  if (resource === 'CLIENT' && op === 'CREATE') return C.credential('app-created');
  if (
    resource === 'REALM' &&
    op === 'UPDATE' &&
    representation &&
    /"bruteForceProtected"\s*:\s*false/.test(representation)
  )
    return C.policy('protection-disabled', 'brute force detection');
  if (
    resource === 'AUTH_EXECUTION' &&
    op === 'UPDATE' &&
    representation &&
    /"requirement"\s*:\s*"DISABLED"/.test(representation)
  )
    return C.policy('mfa-weakened', 'authentication flow');
  if (resource === 'AUTH_FLOW' || resource === 'AUTH_EXECUTION' || resource === 'AUTH_EXECUTION_FLOW')
    return C.policy('changed', 'authentication flow');
  if (resource === 'IDENTITY_PROVIDER' && (op === 'CREATE' || op === 'UPDATE')) {
    return { category: 'credential-change', activity: 'idp-trust-changed' };
  }
  return GENERIC;
}

function privilegeName(resource: string, path: string, representation?: string): string | undefined {
  if (resource === 'GROUP_MEMBERSHIP') return `group:${path.split('/').pop()}`;
  try {
    const roles = JSON.parse(representation ?? '[]') as unknown;
    if (Array.isArray(roles))
      return (
        roles
          .map((r) => (isRecord(r) ? str(r, 'name') : undefined))
          .filter(Boolean)
          .join(',') || undefined
      );
  } catch {
    /* representation is optional and free-form */
  }
  return undefined;
}

/**
 * `type=LOGIN_ERROR, realmId=test, clientId=app, userId=…, ipAddress=…, error=…, username=…`: a value
 * runs to the next `, <key>=`. One pass over the text (a regular expression with a lazy value and a
 * look-ahead backtracked quadratically on long lines: 64 kB took seconds).
 */
export function logPairs(text: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let start = 0;
  let comma = text.indexOf(', ');
  while (start < text.length) {
    const eq = text.indexOf('=', start);
    if (eq < 0 || !KEY.test(text.slice(start, eq))) break;
    while (comma >= 0 && (comma <= eq || !KEY_AHEAD.test(text.slice(comma + 2, comma + 2 + KEY_MAX + 1))))
      comma = text.indexOf(', ', comma + 1);
    const end = comma < 0 ? text.length : comma;
    fields[text.slice(start, eq)] = text.slice(eq + 1, end);
    start = comma < 0 ? text.length : comma + 2;
  }
  return fields;
}
const KEY_MAX = 64;
const KEY = /^\w{1,64}$/;
const KEY_AHEAD = /^\w{1,64}=/;

/** A Keycloak server log line: `[date ]HH:MM:SS,mmm LEVEL [category] …` (Quarkus and WildFly). */
const SERVER_LOG_LINE =
  /^(?:\d{4}-\d{2}-\d{2} )?\d{2}:\d{2}:\d{2},\d{3} +(?:TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL) +\[/;

function logLine(line: string, ctx: ParseContext, timestamp?: unknown): IdentityEvent {
  const at = line.indexOf('type=');
  if (at === 0 || (at > 0 && line[at - 1] === ' ')) {
    const fields: Record<string, unknown> = logPairs(line.slice(at));
    const { type, realmId, clientId, userId, ipAddress, error, sessionId, ...details } = fields;
    const prefixTime = /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}),(\d{3})/.exec(line);
    return loginEvent(
      {
        type,
        realmId,
        clientId,
        userId,
        ipAddress,
        error,
        sessionId,
        details,
        time: timestamp ?? (prefixTime ? `${prefixTime[1]}.${prefixTime[2]}` : undefined),
      },
      ctx,
    );
  }
  // A server log line that is not an identity event: kept as a generic event. Anything else is not
  // a Keycloak record at all.
  if (timestamp === undefined && !SERVER_LOG_LINE.test(line)) {
    throw new EventRejected(
      'not a Keycloak record: expected a JSON event, an event log line (type=…) or a server log line (HH:MM:SS,mmm LEVEL [category] …)',
    );
  }
  return identityEvent(
    {
      id: ctx.rawRef,
      provider: 'keycloak',
      vendorType: 'SERVER_LOG',
      outcome: 'unknown',
      rawRef: ctx.rawRef,
      ...eventTime(ctx, timestamp, /^(\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})/.exec(line)?.[1]),
    },
    GENERIC,
  );
}

export const parseKeycloak: Parser = (raw, ctx) => {
  if (typeof raw === 'string') return [logLine(raw, ctx)];
  if (!isRecord(raw)) throw new EventRejected('a Keycloak event must be a JSON object or a server log line');
  if (str(raw, 'operationType')) return [adminEvent(raw, ctx)];
  if (str(raw, 'type') && (num(raw, 'time') !== undefined || str(raw, 'realmId')))
    return [loginEvent(raw, ctx)];
  const message = str(raw, 'message');
  if (message) return [logLine(message, ctx, get(raw, '@timestamp'))];
  throw new EventRejected(
    'not a Keycloak event: expected a login event (type, time), an admin event (operationType) or a log record (message)',
  );
};

const admin = (
  op: string,
  resource: string,
  classified: Classified,
  extra: Partial<CatalogEntry> = {},
): CatalogEntry => ({
  type: `ADMIN_${op}_${resource}`,
  classified,
  ...extra,
});

/** Keycloak's event types (org.keycloak.events.EventType) and admin events (resource × operation). */
export const KEYCLOAK_CATALOG: Catalog = [
  ...Object.entries(LOGIN_EVENTS).flatMap(([type, classified]): CatalogEntry[] => [
    { type, classified },
    ...(classified.category === 'authentication' ? [{ type: `${type}_ERROR`, classified }] : []),
  ]),
  {
    type: 'LOGIN_ERROR',
    when: 'error user_temporarily_disabled (brute-force lockout)',
    classified: C.logon({ lockedOut: true }),
    example: { error: 'user_temporarily_disabled' },
  },
  { type: 'USER_DISABLED_BY_PERMANENT_LOCKOUT', classified: C.account('lock') },
  { type: 'USER_DISABLED_BY_TEMPORARY_LOCKOUT', classified: C.account('lock') },
  admin('CREATE', 'REALM_ROLE_MAPPING', C.grant(), {
    example: { representation: '[{"name":"realm-admin"}]' },
  }),
  admin('DELETE', 'REALM_ROLE_MAPPING', C.revoke(), {
    example: { representation: '[{"name":"realm-admin"}]' },
  }),
  admin('CREATE', 'CLIENT_ROLE_MAPPING', C.grant(), {
    example: { representation: '[{"name":"manage-users"}]' },
  }),
  admin('CREATE', 'GROUP_MEMBERSHIP', C.grant(), {
    example: { resourcePath: 'users/u-alice/groups/admins' },
  }),
  admin('DELETE', 'GROUP_MEMBERSHIP', C.revoke(), {
    example: { resourcePath: 'users/u-alice/groups/admins' },
  }),
  admin('CREATE', 'USER', C.account('create')),
  admin('DELETE', 'USER', C.account('delete')),
  admin('UPDATE', 'USER', C.account('update')),
  admin('UPDATE', 'USER', C.account('disable'), {
    when: 'enabled set to false',
    example: { representation: '{"enabled":false}' },
  }),
  admin('ACTION', 'USER', C.account('password-reset'), {
    when: 'path ends /reset-password',
    example: { resourcePath: 'users/u-alice/reset-password' },
  }),
  admin('DELETE', 'USER', C.credential('factor-removed'), {
    when: 'path is a credential',
    example: { resourcePath: 'users/u-alice/credentials/c-1' },
  }),
  admin('CREATE', 'CLIENT', C.credential('app-created'), { example: { resourcePath: 'clients/c-new' } }),
  admin('ACTION', 'CLIENT', C.credential('client-secret-changed'), {
    when: 'path is the client secret',
    example: { resourcePath: 'clients/c-1/client-secret' },
  }),
  admin('CREATE', 'IDENTITY_PROVIDER', C.credential('idp-trust-changed'), {
    example: { resourcePath: 'identity-provider/instances/evil' },
  }),
  admin('UPDATE', 'IDENTITY_PROVIDER', C.credential('idp-trust-changed'), {
    example: { resourcePath: 'identity-provider/instances/evil' },
  }),
  admin('UPDATE', 'REALM', C.policy('protection-disabled', 'brute force detection'), {
    when: 'bruteForceProtected set to false',
    example: { resourcePath: '', representation: '{"bruteForceProtected":false}' },
  }),
  admin('UPDATE', 'AUTH_EXECUTION', C.policy('mfa-weakened', 'authentication flow'), {
    when: 'an execution set to DISABLED',
    example: {
      resourcePath: 'authentication/flows/browser/executions',
      representation: '{"requirement":"DISABLED","providerId":"auth-otp-form"}',
    },
  }),
  admin('UPDATE', 'AUTH_FLOW', C.policy('changed', 'authentication flow'), {
    example: { resourcePath: 'authentication/flows/f-1' },
  }),
];

export const KEYCLOAK: VendorCatalog = {
  provider: 'keycloak',
  source:
    'Keycloak event types (org.keycloak.events.EventType) and admin events (ResourceType × OperationType)',
  catalog: KEYCLOAK_CATALOG,
  record: (entry) => {
    const adminType = /^ADMIN_(CREATE|UPDATE|DELETE|ACTION)_(.+)$/.exec(entry.type);
    if (adminType) {
      return {
        id: `catalog-${entry.type}-${entry.when ?? ''}`,
        time: 1795926840000,
        realmId: 'lab',
        operationType: adminType[1],
        resourceType: adminType[2],
        resourcePath: 'users/u-alice',
        authDetails: { userId: 'u-admin', ipAddress: '198.51.100.7', clientId: 'admin-cli' },
        ...entry.example,
      };
    }
    return {
      id: `catalog-${entry.type}-${entry.when ?? ''}`,
      time: 1795926840000,
      type: entry.type,
      realmId: 'lab',
      clientId: 'app',
      userId: 'u-alice',
      ipAddress: '198.51.100.7',
      sessionId: 's-1',
      details: { username: 'alice' },
      ...(entry.type.endsWith('_ERROR') ? { error: 'invalid_user_credentials' } : {}),
      ...entry.example,
    };
  },
};
