/**
 * Signed event pushes: a source that cannot hold an OIDC token (a log shipper, a vendor's event
 * hook relay) signs each request with its shared secret instead.
 *
 *   X-IR-Source:    <source name>               (INGEST_HMAC_SECRETS entry)
 *   X-IR-Timestamp: <unix seconds>              (within 5 minutes of the API's clock)
 *   X-IR-Signature: sha256=<hex HMAC-SHA256(secret, "<timestamp>.<raw body bytes>")>
 *
 * A source may only push events of its own provider. A replayed request inside the window is
 * harmless: ingest is idempotent by vendor event id.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IngestSource } from '../../config/config';

export const SIGNATURE_WINDOW_S = 300;

export function signIngest(secret: string, timestamp: number, body: Buffer | string): string {
  const mac = createHmac('sha256', secret);
  mac.update(`${timestamp}.`);
  mac.update(body);
  return `sha256=${mac.digest('hex')}`;
}

export type SignatureCheck =
  { ok: true; source: IngestSource } | { ok: false; status: 401 | 403; reason: string };

export function checkIngestSignature(
  sources: IngestSource[],
  headers: { source?: string; timestamp?: string; signature?: string },
  provider: string | undefined,
  body: Buffer,
  nowS = Math.floor(Date.now() / 1000),
): SignatureCheck {
  const source = sources.find((s) => s.name === headers.source);
  if (!source) return { ok: false, status: 401, reason: 'X-IR-Source names no configured signing source' };
  const ts = Number(headers.timestamp);
  if (!/^\d{1,12}$/.test(headers.timestamp ?? '') || Math.abs(nowS - ts) > SIGNATURE_WINDOW_S) {
    return {
      ok: false,
      status: 401,
      reason: `X-IR-Timestamp must be unix seconds within ${SIGNATURE_WINDOW_S} s of now`,
    };
  }
  const expected = Buffer.from(signIngest(source.secret, ts, body));
  const given = Buffer.from(headers.signature ?? '');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, status: 401, reason: 'X-IR-Signature does not match the body' };
  }
  if (provider !== source.provider) {
    return {
      ok: false,
      status: 403,
      reason: `source '${source.name}' may push ${source.provider} events only`,
    };
  }
  return { ok: true, source };
}
