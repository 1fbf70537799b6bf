/**
 * Global Token Revocation (draft-parecki-oauth-global-token-revocation, the profile behind Okta's
 * Universal Logout): the engine asks each configured downstream application to revoke every
 * token and session of a subject (RFC 9493 identifier) and to make the user sign in again.
 *
 * The request is `POST <endpoint>` with `{"sub_id": …}`, authenticated by a short-lived JWT the
 * engine signs with its managed key (the JWKS at `<PUBLIC_API_URL>/ssf/jwks.json`): `iss` the
 * engine, `aud` the app's endpoint exactly, `iat`, `exp` (+5 min) and a unique `jti`, typed
 * `global-token-revocation+jwt` so it is never mistaken for a SET. The answer is recorded as
 * the app gave it: 2xx revoked, 404 no such user, another 4xx refused, 5xx or no answer failed.
 */
import { randomUUID } from 'node:crypto';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { parseJsonList } from './json-setting';
import type { DownstreamRevocation } from '../domain/incident';
import type { SigningKey } from './set';
import type { SubjectId } from './subjects';

export const GTR_JWT_TYPE = 'global-token-revocation+jwt';
const LIFETIME_S = 300;

/** Where the engine may send a request: https, or http to this machine (a lab). */
export function isDeliverableUrl(u: string): boolean {
  let url: URL;
  try {
    url = new URL(u);
  } catch {
    return false;
  }
  return (
    url.protocol === 'https:' ||
    (url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
  );
}

export interface GtrApp {
  /** How the incident names the app. */
  name: string;
  /** Its global token revocation endpoint. */
  endpoint: string;
  /** Which subject identifier it knows its users by. */
  subject: 'iss_sub' | 'email';
}

const appSchema = z
  .object({
    name: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/, 'name: lower-case letters, digits, . _ -'),
    endpoint: z
      .string()
      .max(2000)
      .refine(isDeliverableUrl, 'endpoint must be an https URL (http only to loopback)'),
    subject: z.enum(['iss_sub', 'email']).default('iss_sub'),
  })
  .strict();

/** GTR_APPS: a JSON array of `{name, endpoint, subject}`; the JWT's issuer is PUBLIC_API_URL. */
export function parseGtrApps(
  raw: string | undefined,
  publicApiUrl: string | undefined,
): GtrApp[] | undefined {
  if (!raw?.trim()) return undefined;
  const data = parseJsonList('GTR_APPS', raw, appSchema);
  const names = data.map((a) => a.name);
  const twice = names.find((n, i) => names.indexOf(n) !== i);
  if (twice) throw new Error(`GTR_APPS: '${twice}' is named twice`);
  if (!publicApiUrl)
    throw new Error(
      'GTR_APPS needs PUBLIC_API_URL: the apps verify the engine against the keys it publishes there',
    );
  return data;
}

/** The request's bearer JWT for one app's endpoint. */
export async function signRevocationRequest(
  key: SigningKey,
  claims: { iss: string; aud: string; now?: number },
): Promise<{ jti: string; token: string }> {
  const iat = claims.now ?? Math.floor(Date.now() / 1000);
  const jti = randomUUID();
  const token = await new SignJWT({})
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: GTR_JWT_TYPE })
    .setIssuer(claims.iss)
    .setAudience(claims.aud)
    .setIssuedAt(iat)
    .setExpirationTime(iat + LIFETIME_S)
    .setJti(jti)
    .sign(key.privateKey);
  return { jti, token };
}

/** What an answer means (`undefined`: no definitive answer — try again). */
export function revocationStatus(httpStatus: number): DownstreamRevocation['status'] | undefined {
  if (httpStatus >= 200 && httpStatus < 300) return 'revoked';
  if (httpStatus === 404) return 'unknown-subject';
  if (httpStatus === 429 || httpStatus >= 500) return undefined;
  return 'refused';
}

export interface RevocationRequest {
  app: GtrApp;
  subject: SubjectId;
  key: SigningKey;
  issuer: string;
  /** Tries for answers that are not definitive (5xx, 429, no answer); default 3. */
  tries?: number;
  backoffMs?: number;
}

/** Asks one app to revoke; never throws: every outcome is an answer to record. */
export async function requestRevocation(req: RevocationRequest): Promise<DownstreamRevocation> {
  const tries = req.tries ?? 3;
  const base = { app: req.app.name, endpoint: req.app.endpoint, subject: req.subject.format };
  let detail = '';
  let httpStatus: number | undefined;
  for (let attempt = 1; ; attempt++) {
    try {
      const { token } = await signRevocationRequest(req.key, { iss: req.issuer, aud: req.app.endpoint });
      const res = await fetch(req.app.endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ sub_id: req.subject }),
        redirect: 'error',
        signal: AbortSignal.timeout(10_000),
      });
      httpStatus = res.status;
      const text = (await res.text().catch(() => '')).slice(0, 500);
      detail = `answered ${res.status}${text ? `: ${oneLine(text)}` : ''}`;
      const status = revocationStatus(res.status);
      if (status)
        return { ...base, status, httpStatus, at: new Date().toISOString(), attempts: attempt, detail };
    } catch (err) {
      httpStatus = undefined;
      detail = `no answer: ${oneLine((err as Error).message)}`;
    }
    if (attempt >= tries)
      return {
        ...base,
        status: 'failed',
        ...(httpStatus ? { httpStatus } : {}),
        at: new Date().toISOString(),
        attempts: attempt,
        detail,
      };
    await new Promise((r) => setTimeout(r, (req.backoffMs ?? 1_000) * 2 ** (attempt - 1)));
  }
}

function oneLine(s: string): string {
  return s.replace(/\s+/g, ' ').trim().slice(0, 200);
}
