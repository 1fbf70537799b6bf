/**
 * Security Event Tokens (RFC 8417) as SSF 1.0 profiles them: a JWT with `typ: secevent+jwt`, the
 * transmitter as `iss`, the stream's audience as `aud`, a unique `jti`, `iat`, the subject in
 * `sub_id` (RFC 9493) and one event in `events`; no `sub` and no `exp`. Signed with the engine's
 * managed key (jose), verified by receivers against its JWKS.
 */
import { randomUUID } from 'node:crypto';
import {
  calculateJwkThumbprint,
  CompactSign,
  exportJWK,
  generateKeyPair,
  importJWK,
  type CryptoKey,
  type JWK,
} from 'jose';
import type { SubjectId } from './subjects';

export interface SigningKey {
  kid: string;
  alg: 'RS256' | 'ES256';
  privateKey: CryptoKey | Uint8Array;
  publicJwk: JWK;
}

export interface SetClaims {
  iss: string;
  aud: string | string[];
  sub_id: SubjectId;
  events: Record<string, Record<string, unknown>>;
  /** Transaction id: the incident (so a receiver can correlate a burst of events). */
  txn?: string;
  jti?: string;
  iat?: number;
}

export async function signSet(key: SigningKey, claims: SetClaims): Promise<{ jti: string; token: string }> {
  const jti = claims.jti ?? randomUUID();
  const payload = { ...claims, jti, iat: claims.iat ?? Math.floor(Date.now() / 1000) };
  const token = await new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'secevent+jwt' })
    .sign(key.privateKey);
  return { jti, token };
}

/**
 * A fresh signing key (its kid: the RFC 7638 thumbprint's first 16 characters): RSA 2048 for RS256
 * by default, what the CAEP interoperability profile (§2.6) asks transmitters to sign with; ES256
 * on request.
 */
export async function generateSigningKey(
  alg: SigningKey['alg'] = 'RS256',
): Promise<{ key: SigningKey; privateJwk: JWK }> {
  const { privateKey } = await generateKeyPair(alg, { extractable: true, modulusLength: 2048 });
  const privateJwk = await exportJWK(privateKey);
  return { key: await signingKeyFrom(privateJwk), privateJwk };
}

/**
 * The signing key from its private JWK (SSF_SIGNING_KEY_FILE): an RSA key of at least 2048 bits
 * signs RS256, an EC P-256 key ES256; the public half (no private members) is what the JWKS shows.
 */
export async function signingKeyFrom(privateJwk: JWK): Promise<SigningKey> {
  const rsa = privateJwk.kty === 'RSA' && privateJwk.n && privateJwk.d;
  const ec = privateJwk.kty === 'EC' && privateJwk.crv === 'P-256' && privateJwk.d;
  if (!rsa && !ec)
    throw new Error('the SSF signing key must be a private RSA (at least 2048 bits) or EC P-256 JWK');
  if (rsa && Buffer.from(privateJwk.n!, 'base64url').length < 256)
    throw new Error('the SSF signing key must be a private RSA (at least 2048 bits) or EC P-256 JWK');
  const alg = rsa ? 'RS256' : 'ES256';
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(privateJwk)).slice(0, 16);
  const publicJwk: JWK = rsa
    ? { kty: 'RSA', n: privateJwk.n, e: privateJwk.e }
    : { kty: 'EC', crv: 'P-256', x: privateJwk.x, y: privateJwk.y };
  return {
    kid,
    alg,
    privateKey: await importJWK({ ...privateJwk, alg }, alg),
    publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
  };
}
