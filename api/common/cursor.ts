/**
 * Cursor pagination: a list answers `nextCursor` when there is more, and the same request with
 * `cursor=<it>` gives the next page. Cursors are opaque to clients (base64url); a cursor this API
 * did not give is a 400, never a crash or a silently wrong page.
 */
import { BadRequestException } from '@nestjs/common';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';

export const cursorParam = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,4096}$/, 'cursor: the nextCursor of a previous page')
  .optional();

export function badCursor(): BadRequestException {
  return new BadRequestException({
    error: 'BadRequest',
    message: 'cursor: not a nextCursor this API gave (start again without it)',
  });
}

/**
 * A visibility page token as a cursor, and back. The token travels with an HMAC (keyed by the
 * deployment's principal-key secret, so every replica accepts every replica's cursors): a cursor
 * the API did not give never reaches Temporal, which answers arbitrary bytes with a bare UNKNOWN
 * error indistinguishable from an outage.
 */
export const pageToken = {
  encode(token: Uint8Array, key: Buffer): string {
    return `${Buffer.from(token).toString('base64url')}.${mac(key, token)}`;
  },
  decode(cursor: string, key: Buffer): Uint8Array {
    const [data, tag, extra] = cursor.split('.');
    if (!data || !tag || extra !== undefined) throw badCursor();
    const token = new Uint8Array(Buffer.from(data, 'base64url'));
    const expected = Buffer.from(mac(key, token));
    const given = Buffer.from(tag);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw badCursor();
    return token;
  },
};

function mac(key: Buffer, token: Uint8Array): string {
  return createHmac('sha256', key).update('ir-list-cursor\0').update(token).digest('base64url').slice(0, 22);
}

/** A position in a list ordered by (time, id) descending, as a cursor, and back. */
export const timeIdCursor = {
  encode: (time: string, id: string) => Buffer.from(JSON.stringify([time, id])).toString('base64url'),
  decode(cursor: string): { time: string; id: string } {
    try {
      const v: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
      if (
        Array.isArray(v) &&
        v.length === 2 &&
        typeof v[0] === 'string' &&
        typeof v[1] === 'string' &&
        v[0].length <= 64 &&
        v[1].length <= 512
      )
        return { time: v[0], id: v[1] };
    } catch {
      /* below */
    }
    throw badCursor();
  },
};
