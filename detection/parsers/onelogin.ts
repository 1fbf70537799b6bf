/**
 * OneLogin events (GET /api/1/events, or an event broadcaster webhook). The type is a number
 * (`event_type_id`, from GET /api/1/events/types); OneLogin's SmartFactor risk score (0–100) is
 * passed through as risk.
 */
import { C, Classified, GENERIC, identityEvent, riskLevel } from '../events';
import type { Catalog, CatalogEntry, VendorCatalog } from '../catalog';
import { byType, entry } from '../catalog';
import { EventRejected, get, num, str } from '../fields';
import { eventTime, Parser, requireObject } from './common';

const id = (
  n: number,
  name: string,
  classified: Classified,
  extra: Partial<CatalogEntry> = {},
): CatalogEntry => entry(String(n), classified, { ...extra, name });

/** Event type ids and OneLogin's names for them (GET /api/1/events/types). */
export const ONELOGIN_CATALOG: Catalog = [
  id(1, 'APP_ADDED_TO_ROLE', C.policy('changed', 'role apps')),
  id(3, 'USER_ASSUMED_USER', C.account('impersonate')),
  id(4, 'USER_ASSIGNED_ROLE', C.grant()),
  id(5, 'USER_LOGGED_INTO_ONELOGIN', C.logon()),
  id(6, 'USER_FAILED_ONELOGIN_LOGIN', C.logon()),
  id(11, 'USER_CHANGED_PASSWORD', C.account('password-change')),
  id(211, 'ADMIN_CHANGED_USER_PASSWORD', C.account('password-reset')),
  id(12, 'UNLOCKED_USER', C.account('unlock')),
  id(13, 'CREATED_USER', C.account('create')),
  id(15, 'DEACTIVATED_USER', C.account('disable')),
  id(17, 'DELETED_USER', C.account('delete')),
  id(19, 'USER_LOCKED', C.account('lock')),
  id(531, 'USER_LOCKED_VIA_API', C.account('lock')),
  id(553, 'USER_LOCKED_VIA_API', C.account('lock')),
  id(551, 'USER_SUSPENDED_VIA_API', C.account('disable')),
  id(24, 'USER_REMOVED_OTP_DEVICE', C.credential('factor-removed')),
  id(172, 'USER_DELETED_AUTHENTICATION_FACTOR', C.credential('factor-removed')),
  id(72, 'PRIVILEGE_ASSIGNED_TO_USER', C.grant()),
  id(90, 'UNAUTHORIZED_APP_ACCESS', C.risk('detected')),
  id(240, 'USER_REVEALED_APP_PASSWORD', C.credential('secret-viewed')),
];

const TYPES = byType(ONELOGIN_CATALOG);
const NAMES = new Map(ONELOGIN_CATALOG.map((e) => [e.type, e.name]));

export const parseOneLogin: Parser = (raw, ctx) => {
  requireObject(raw, 'onelogin');
  const typeId = num(raw, 'event_type_id');
  if (typeId === undefined) throw new EventRejected('a OneLogin event needs a numeric event_type_id');
  const type = String(typeId);
  let classified = TYPES.get(type) ?? GENERIC;
  if (classified.category === 'privilege-change' && !classified.privilege)
    classified = { ...classified, privilege: str(raw, 'privilege_name', 'role_name') };
  const user =
    str(raw, 'user_name') || str(raw, 'user_id')
      ? { id: str(raw, 'user_id'), name: str(raw, 'user_name'), type: 'user' as const }
      : undefined;
  const actor =
    str(raw, 'actor_user_name') || str(raw, 'actor_user_id')
      ? { id: str(raw, 'actor_user_id'), name: str(raw, 'actor_user_name'), type: 'user' as const }
      : str(raw, 'actor_system')
        ? { name: str(raw, 'actor_system'), type: 'system' as const }
        : undefined;
  const score = num(raw, 'risk_score');
  const level = score !== undefined ? riskLevel(score) : undefined;
  return [
    identityEvent(
      {
        id: str(raw, 'id', 'uuid') ?? ctx.rawRef,
        provider: 'onelogin',
        tenant: str(raw, 'account_id'),
        vendorType: NAMES.get(type) ? `${type}:${NAMES.get(type)}` : type,
        outcome: typeId === 6 ? 'failure' : TYPES.has(type) ? 'success' : 'unknown',
        reason: str(raw, 'notes', 'custom_message', 'risk_reasons'),
        // A login's actor is the user; an admin action's actor is the admin.
        actor: actor ?? user,
        target: user,
        sourceIp: str(raw, 'ipaddr', 'ip_address'),
        userAgent: str(raw, 'user_agent'),
        risk: level && level !== 'none' ? { level, detail: str(raw, 'risk_reasons') } : undefined,
        client: str(raw, 'app_name', 'client_id'),
        rawRef: ctx.rawRef,
        ...eventTime(ctx, get(raw, 'created_at')),
      },
      classified,
    ),
  ];
};

export const ONELOGIN: VendorCatalog = {
  provider: 'onelogin',
  source: 'OneLogin event types (developers.onelogin.com/api-docs/1/events/event-resource)',
  catalog: ONELOGIN_CATALOG,
  record: (entry) => ({
    id: Number(entry.type) * 1000 + 1,
    created_at: '2026-11-30T02:14:00.000Z',
    account_id: 4242,
    event_type_id: Number(entry.type),
    actor_user_id: 1,
    actor_user_name: 'Admin Person',
    user_id: 2,
    user_name: 'Alice Example',
    ipaddr: '198.51.100.7',
    ...entry.example,
  }),
};
