/** Keycloak's event collector: login and admin events, read in pages with a durable cursor. */
import type { KeycloakConnection } from './connection';
import { call } from './connection';

/** Where a pull left off: the newest event time read, and the ids read at exactly that time. */
export interface EventCursor {
  time: number;
  seenAtTime: string[];
}

export interface EventPage {
  records: unknown[];
  cursor: EventCursor;
  more: boolean;
}

/**
 * Reads login events (`kind: 'events'`) or admin events newer than `cursor`, oldest first, at most
 * `max`. The cursor remembers the ids already read at its timestamp, so events sharing a
 * millisecond are neither lost nor read twice.
 */
export async function pullEvents(
  kc: KeycloakConnection,
  realm: string,
  kind: 'events' | 'admin-events',
  cursor: EventCursor,
  max: number,
): Promise<EventPage> {
  const { admin } = kc.realm(realm);
  const principal = { provider: 'keycloak' as const, realm, username: '(collector)' };
  const query = {
    realm,
    dateFrom: String(cursor.time),
    first: 0,
    max: max + cursor.seenAtTime.length,
    direction: 'asc',
  };
  const page = (await call(principal, () =>
    kind === 'events'
      ? admin.realms.findEvents(query as never)
      : admin.realms.findAdminEvents(query as never),
  )) as { id?: string; time?: number }[];
  const fresh = page
    .filter((e) => !(e.time === cursor.time && e.id && cursor.seenAtTime.includes(e.id)))
    .slice(0, max);
  let next = cursor;
  for (const e of fresh) {
    const t = e.time ?? next.time;
    const id = e.id ?? `${t}`;
    next =
      t === next.time ? { time: t, seenAtTime: [...next.seenAtTime, id] } : { time: t, seenAtTime: [id] };
  }
  return { records: fresh, cursor: next, more: fresh.length === max };
}
