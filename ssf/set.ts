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
  alg: 'ES256';
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

/** A fresh ES256 key (its kid: the RFC 7638 thumbprint's first 16 characters). */
export async function generateSigningKey(): Promise<{ key: SigningKey; privateJwk: JWK }> {
  const { privateKey } = await generateKeyPair('ES256', { extractable: true });
  const privateJwk = await exportJWK(privateKey);
  return { key: await signingKeyFrom(privateJwk), privateJwk };
}

/** The signing key from its private JWK (SSF_SIGNING_KEY / _FILE). */
export async function signingKeyFrom(privateJwk: JWK): Promise<SigningKey> {
  if (privateJwk.kty !== 'EC' || privateJwk.crv !== 'P-256' || !privateJwk.d)
    throw new Error('the SSF signing key must be a private EC P-256 JWK (ES256)');
  const kid = privateJwk.kid ?? (await calculateJwkThumbprint(privateJwk)).slice(0, 16);
  const { d: _d, ...publicJwk } = privateJwk;
  void _d;
  return {
    kid,
    alg: 'ES256',
    privateKey: await importJWK({ ...privateJwk, alg: 'ES256' }, 'ES256'),
    publicJwk: { ...publicJwk, kid, alg: 'ES256', use: 'sig' },
  };
}
