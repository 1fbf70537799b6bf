/** Auth0 tenant logs: `{ log_id, data }` log-stream records, or the log objects of GET /api/v2/logs. */
import { GENERIC, identityEvent } from '../events';
import { EventRejected, get, isRecord, str, own } from '../fields';
import { eventTime, Parser, requireObject } from './common';

type Classified = Parameters<typeof identityEvent>[1];

/** Auth0 log event type codes (https://auth0.com/docs/deploy-monitor/logs/log-event-type-codes). */
const CODES: Record<string, { classified: Classified; failed?: boolean }> = {
  s: { classified: { category: 'authentication', activity: 'logon' } },
  f: { classified: { category: 'authentication', activity: 'logon' }, failed: true },
  fp: { classified: { category: 'authentication', activity: 'logon' }, failed: true },
  fu: { classified: { category: 'authentication', activity: 'logon' }, failed: true },
  fc: { classified: { category: 'authentication', activity: 'logon' }, failed: true },
  slo: { classified: { category: 'authentication', activity: 'logoff' } },
  flo: { classified: { category: 'authentication', activity: 'logoff' }, failed: true },
  seacft: { classified: { category: 'authentication', activity: 'token-exchange' } },
  feacft: { classified: { category: 'authentication', activity: 'token-exchange' }, failed: true },
  seccft: { classified: { category: 'authentication', activity: 'token-exchange' } },
  feccft: { classified: { category: 'authentication', activity: 'token-exchange' }, failed: true },
  sertft: { classified: { category: 'authentication', activity: 'token-refresh' } },
  fertft: { classified: { category: 'authentication', activity: 'token-refresh' }, failed: true },
  gd_send_pn: {
    classified: { category: 'authentication', activity: 'mfa', factor: 'push', mfaResult: 'challenged' },
  },
  gd_auth_succeed: { classified: { category: 'authentication', activity: 'mfa', mfaResult: 'approved' } },
  gd_auth_failed: {
    classified: { category: 'authentication', activity: 'mfa', mfaResult: 'denied' },
    failed: true,
  },
  gd_auth_rejected: {
    classified: { category: 'authentication', activity: 'mfa', mfaResult: 'denied' },
    failed: true,
  },
  gd_enrollment_complete: { classified: { category: 'credential-change', activity: 'factor-enrolled' } },
  gd_unenroll: { classified: { category: 'credential-change', activity: 'factor-removed' } },
  ss: { classified: { category: 'account-change', activity: 'create' } },
  fs: { classified: { category: 'account-change', activity: 'create' }, failed: true },
  scp: { classified: { category: 'account-change', activity: 'password-change' } },
  fcp: { classified: { category: 'account-change', activity: 'password-change' }, failed: true },
  scpr: { classified: { category: 'account-change', activity: 'password-reset' } },
  du: { classified: { category: 'account-change', activity: 'delete' } },
  limit_wc: { classified: { category: 'account-change', activity: 'lock' } },
  limit_mu: { classified: { category: 'account-change', activity: 'lock' } },
};

export const parseAuth0: Parser = (raw, ctx) => {
  requireObject(raw, 'auth0');
  const data = isRecord(get(raw, 'data')) ? (get(raw, 'data') as Record<string, unknown>) : raw;
  const type = str(data, 'type');
  if (!type) throw new EventRejected('an Auth0 log needs data.type');
  const known = own(CODES, type);
  const userId = str(data, 'user_id');
  const userName = str(data, 'user_name');
  return [
    identityEvent(
      {
        id: str(raw, 'log_id') ?? str(data, 'log_id', '_id') ?? ctx.rawRef,
        provider: 'auth0',
        tenant: str(data, 'hostname', 'tenant_name'),
        ...eventTime(ctx, get(data, 'date')),
        vendorType: type,
        outcome: known
          ? known.failed
            ? 'failure'
            : 'success'
          : type.startsWith('f')
            ? 'failure'
            : 'unknown',
        reason: str(data, 'description', 'details.error.message'),
        actor: userId || userName ? { id: userId, name: userName, type: 'user' } : undefined,
        target: userId || userName ? { id: userId, name: userName, type: 'user' } : undefined,
        sourceIp: str(data, 'ip'),
        userAgent: str(data, 'user_agent'),
        geo: str(data, 'location_info.country_code')
          ? { country: str(data, 'location_info.country_code'), city: str(data, 'location_info.city_name') }
          : undefined,
        sessionId: str(data, 'session_id', 'details.session_id'),
        client: str(data, 'client_id', 'client_name'),
        rawRef: ctx.rawRef,
      },
      known?.classified ?? GENERIC,
    ),
  ];
};
