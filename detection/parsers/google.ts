/**
 * Google Workspace Reports API activities (login, admin, user_accounts). One activity can carry
 * several events; each becomes its own normalized event.
 */
import { GENERIC, identityEvent, IdentityEvent, Outcome } from '../events';
import { arr, EventRejected, get, isRecord, str, own } from '../fields';
import { eventTime, Parser, requireObject } from './common';

type Classified = Parameters<typeof identityEvent>[1];

const NAMES: Record<string, { classified: Classified; outcome?: 'success' | 'failure' }> = {
  login_success: { classified: { category: 'authentication', activity: 'logon' }, outcome: 'success' },
  login_failure: { classified: { category: 'authentication', activity: 'logon' }, outcome: 'failure' },
  login_challenge: { classified: { category: 'authentication', activity: 'mfa', mfaResult: 'challenged' } },
  login_verification: {
    classified: { category: 'authentication', activity: 'mfa', mfaResult: 'challenged' },
  },
  logout: { classified: { category: 'authentication', activity: 'logoff' }, outcome: 'success' },
  '2sv_enroll': {
    classified: { category: 'credential-change', activity: 'factor-enrolled', credentialType: '2sv' },
    outcome: 'success',
  },
  '2sv_disable': { classified: { category: 'account-change', activity: 'mfa-disabled' }, outcome: 'success' },
  password_edit: {
    classified: { category: 'account-change', activity: 'password-change' },
    outcome: 'success',
  },
  account_disabled_password_leak: {
    classified: { category: 'account-change', activity: 'disable' },
    outcome: 'success',
  },
  account_disabled_hijacked: {
    classified: { category: 'account-change', activity: 'disable' },
    outcome: 'success',
  },
  account_disabled_generic: {
    classified: { category: 'account-change', activity: 'disable' },
    outcome: 'success',
  },
  CREATE_USER: { classified: { category: 'account-change', activity: 'create' }, outcome: 'success' },
  DELETE_USER: { classified: { category: 'account-change', activity: 'delete' }, outcome: 'success' },
  SUSPEND_USER: { classified: { category: 'account-change', activity: 'disable' }, outcome: 'success' },
  UNSUSPEND_USER: { classified: { category: 'account-change', activity: 'enable' }, outcome: 'success' },
  CHANGE_PASSWORD: {
    classified: { category: 'account-change', activity: 'password-reset' },
    outcome: 'success',
  },
  GRANT_ADMIN_PRIVILEGE: {
    classified: { category: 'privilege-change', activity: 'grant', privilege: 'super-admin' },
    outcome: 'success',
  },
  REVOKE_ADMIN_PRIVILEGE: {
    classified: { category: 'privilege-change', activity: 'revoke', privilege: 'super-admin' },
    outcome: 'success',
  },
  ASSIGN_ROLE: { classified: { category: 'privilege-change', activity: 'grant' }, outcome: 'success' },
  UNASSIGN_ROLE: { classified: { category: 'privilege-change', activity: 'revoke' }, outcome: 'success' },
  ADD_GROUP_MEMBER: { classified: { category: 'privilege-change', activity: 'grant' }, outcome: 'success' },
  REMOVE_GROUP_MEMBER: {
    classified: { category: 'privilege-change', activity: 'revoke' },
    outcome: 'success',
  },
  TURN_OFF_2_STEP_VERIFICATION: {
    classified: { category: 'account-change', activity: 'mfa-disabled' },
    outcome: 'success',
  },
};

function param(event: unknown, name: string): string | undefined {
  const p = arr(event, 'parameters').find((x) => isRecord(x) && str(x, 'name') === name);
  if (!isRecord(p)) return undefined;
  const multi = get(p, 'multiValue');
  if (Array.isArray(multi)) return multi.join(',');
  return (
    str(p, 'value', 'intValue') ??
    (typeof get(p, 'boolValue') === 'boolean' ? String(get(p, 'boolValue')) : undefined)
  );
}

export const parseGoogle: Parser = (raw, ctx) => {
  requireObject(raw, 'google');
  const rawEvents = get(raw, 'events');
  const events = Array.isArray(rawEvents) ? rawEvents : isRecord(rawEvents) ? [rawEvents] : [];
  if (!str(raw, 'id.applicationName') && events.length === 0) {
    throw new EventRejected('not a Google Workspace activity: expected id.applicationName and events');
  }
  const app = str(raw, 'id.applicationName') ?? 'unknown';
  const actorEmail = str(raw, 'actor.email');
  const base = {
    provider: 'google' as const,
    tenant: str(raw, 'id.customerId') ?? str(raw, 'ownerDomain'),
    ...eventTime(ctx, get(raw, 'id.time')),
    actor:
      actorEmail || str(raw, 'actor.profileId')
        ? { id: str(raw, 'actor.profileId'), name: actorEmail, type: 'user' as const }
        : undefined,
    sourceIp: str(raw, 'ipAddress'),
    rawRef: ctx.rawRef,
  };
  const idPrefix = `${str(raw, 'id.time') ?? ''}/${str(raw, 'id.uniqueQualifier') ?? ctx.rawRef}/${app}`;
  if (events.length === 0) {
    return [identityEvent({ ...base, id: idPrefix, vendorType: app, outcome: 'unknown' }, GENERIC)];
  }
  return events.map((event, index): IdentityEvent => {
    const name = str(event, 'name') ?? 'unknown';
    const known = own(NAMES, name);
    const targetEmail = param(event, 'USER_EMAIL') ?? param(event, 'affected_email_address');
    let classified = known?.classified ?? GENERIC;
    if (classified.category === 'privilege-change' && !classified.privilege) {
      classified = { ...classified, privilege: param(event, 'ROLE_NAME') ?? param(event, 'GROUP_EMAIL') };
    }
    const challenge = param(event, 'login_challenge_status');
    let outcome: Outcome = known?.outcome ?? 'unknown';
    if (name === 'login_challenge' || name === 'login_verification') {
      outcome = /passed/i.test(challenge ?? '')
        ? 'success'
        : /failed/i.test(challenge ?? '')
          ? 'failure'
          : 'unknown';
    }
    return identityEvent(
      {
        ...base,
        id: `${idPrefix}/${index}`,
        vendorType: `${app}:${name}`,
        outcome,
        reason: param(event, 'login_failure_type') ?? challenge,
        target: targetEmail ? { name: targetEmail, type: 'user' } : base.actor,
      },
      classified,
    );
  });
};
