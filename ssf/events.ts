/**
 * The security events the engine transmits (OpenID Shared Signals Framework 1.0): CAEP
 * `session-revoked` and `credential-change`, RISC `account-disabled`, `account-enabled` and
 * `credential-compromise`, with the SSF verification event. Event type URIs and payload members as
 * the CAEP 1.0 and RISC 1.0 specifications define them.
 */
export const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
export const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
export const SSF = 'https://schemas.openid.net/secevent/ssf/event-type/';

export const EVENT_TYPES = {
  'session-revoked': `${CAEP}session-revoked`,
  'credential-change': `${CAEP}credential-change`,
  'account-disabled': `${RISC}account-disabled`,
  'account-enabled': `${RISC}account-enabled`,
  'credential-compromise': `${RISC}credential-compromise`,
} as const;

export type SecurityEventKind = keyof typeof EVENT_TYPES;
export const VERIFICATION_EVENT = `${SSF}verification`;
export const STREAM_UPDATED_EVENT = `${SSF}stream-updated`;

/** Every event type a stream can ask for from this transmitter. */
export const EVENTS_SUPPORTED: string[] = Object.values(EVENT_TYPES);

export interface SecurityEventFacts {
  kind: SecurityEventKind;
  /** When it happened (the containment step's time), ISO. */
  at: string;
  /** Why, for administrators (never the user's data): "contained by incident …". */
  reasonAdmin: string;
}

/** The `events` claim of a SET for one fact. */
export function eventsClaim(f: SecurityEventFacts): Record<string, Record<string, unknown>> {
  const eventTimestamp = Math.floor(Date.parse(f.at) / 1000);
  const common = {
    event_timestamp: eventTimestamp,
    initiating_entity: 'policy',
    reason_admin: { en: f.reasonAdmin },
  };
  switch (f.kind) {
    case 'session-revoked':
      return { [EVENT_TYPES[f.kind]]: common };
    case 'credential-change':
      // The stolen password was replaced by one nobody knows: the old credential is revoked.
      return { [EVENT_TYPES[f.kind]]: { ...common, credential_type: 'password', change_type: 'revoke' } };
    case 'account-disabled':
      return { [EVENT_TYPES[f.kind]]: { reason: 'hijacking' } };
    case 'account-enabled':
      return { [EVENT_TYPES[f.kind]]: {} };
    case 'credential-compromise':
      return {
        [EVENT_TYPES[f.kind]]: {
          credential_type: 'password',
          event_timestamp: eventTimestamp,
          reason_admin: { en: f.reasonAdmin },
        },
      };
  }
}
