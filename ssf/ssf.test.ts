import { createLocalJWKSet, jwtVerify, decodeProtectedHeader } from 'jose';
import { EVENT_TYPES, eventsClaim } from './events';
import { transmitterMetadata } from './metadata';
import { generateSigningKey, signingKeyFrom, signSet } from './set';
import { parseSubject, sameSubject, subjectOf } from './subjects';

describe('security event tokens', () => {
  it('are signed SETs a receiver verifies against the JWKS, with the SSF shape', async () => {
    const { key } = await generateSigningKey();
    const { jti, token } = await signSet(key, {
      iss: 'https://ir.example.com',
      aud: 'https://rp.example.com',
      sub_id: subjectOf({ issuer: 'https://sso.example.com/realms/corp', userId: 'u-1', username: 'jdoe' }),
      events: eventsClaim({ kind: 'session-revoked', at: '2026-12-01T02:14:00Z', reasonAdmin: 'contained' }),
      txn: 'incident-0123',
    });
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'RS256', kid: key.kid, typ: 'secevent+jwt' });
    const { payload } = await jwtVerify(token, createLocalJWKSet({ keys: [key.publicJwk] }), {
      issuer: 'https://ir.example.com',
      audience: 'https://rp.example.com',
      typ: 'secevent+jwt',
    });
    expect(payload).toMatchObject({
      jti,
      txn: 'incident-0123',
      sub_id: { format: 'iss_sub', iss: 'https://sso.example.com/realms/corp', sub: 'u-1' },
      events: {
        [EVENT_TYPES['session-revoked']]: {
          event_timestamp: Date.parse('2026-12-01T02:14:00Z') / 1000,
          initiating_entity: 'policy',
          reason_admin: { en: 'contained' },
        },
      },
    });
    expect(payload.sub).toBeUndefined();
    expect(payload.exp).toBeUndefined();
    // Another key's JWKS does not verify it.
    const other = (await generateSigningKey()).key;
    await expect(
      jwtVerify(token, createLocalJWKSet({ keys: [{ ...other.publicJwk, kid: key.kid }] })),
    ).rejects.toThrow();
  });

  it('keeps the kid of a configured key and refuses a key that is not a private RSA or P-256 JWK', async () => {
    const { privateJwk } = await generateSigningKey();
    const key = await signingKeyFrom({ ...privateJwk, kid: 'ssf-2026' });
    expect(key.kid).toBe('ssf-2026');
    expect(key.alg).toBe('RS256');
    for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi']) expect(key.publicJwk).not.toHaveProperty(member);
    const ec = await generateSigningKey('ES256');
    expect(ec.key.alg).toBe('ES256');
    expect(ec.key.publicJwk).not.toHaveProperty('d');
    await expect(signingKeyFrom({ ...privateJwk, d: undefined })).rejects.toThrow(/private RSA/);
    await expect(signingKeyFrom({ kty: 'oct', k: 'abc' })).rejects.toThrow(/private RSA/);
    // RSA below 2048 bits is refused (the interoperability profile's minimum).
    await expect(
      signingKeyFrom({ ...privateJwk, n: Buffer.alloc(128, 1).toString('base64url') }),
    ).rejects.toThrow(/at least 2048 bits/);
  });

  it('carries each event type with the members its specification requires', () => {
    const at = '2026-12-01T02:14:00Z';
    expect(
      eventsClaim({ kind: 'credential-change', at, reasonAdmin: 'r' })[EVENT_TYPES['credential-change']],
    ).toMatchObject({
      credential_type: 'password',
      change_type: 'revoke',
    });
    expect(eventsClaim({ kind: 'account-disabled', at, reasonAdmin: 'r' })).toEqual({
      [EVENT_TYPES['account-disabled']]: { reason: 'hijacking' },
    });
    expect(
      eventsClaim({ kind: 'credential-compromise', at, reasonAdmin: 'r' })[
        EVENT_TYPES['credential-compromise']
      ],
    ).toMatchObject({
      credential_type: 'password',
    });
  });
});

describe('subject identifiers', () => {
  it('prefers issuer and subject, then e-mail, then an opaque id; sessions as complex subjects', () => {
    expect(subjectOf({ email: 'j@corp.example', username: 'jdoe' })).toEqual({
      format: 'email',
      email: 'j@corp.example',
    });
    expect(subjectOf({ username: 'jdoe' })).toEqual({ format: 'opaque', id: 'jdoe' });
    expect(subjectOf({ username: 'jdoe', issuer: 'https://i', userId: 'u', sessionId: 's' })).toEqual({
      format: 'complex',
      user: { format: 'iss_sub', iss: 'https://i', sub: 'u' },
      session: { format: 'opaque', id: 's' },
    });
  });

  it('parses only well-formed subjects, and compares them by value', () => {
    expect(parseSubject({ format: 'email', email: 'J@Corp.Example' })).toEqual({
      format: 'email',
      email: 'J@Corp.Example',
    });
    for (const bad of [
      null,
      'x',
      { format: 'email', email: 'nope' },
      { format: 'iss_sub', iss: 'i' },
      { format: 'phone' },
    ])
      expect(parseSubject(bad)).toBeUndefined();
    expect(
      sameSubject({ format: 'email', email: 'J@corp.example' }, { format: 'email', email: 'j@CORP.example' }),
    ).toBe(true);
    expect(
      sameSubject({ format: 'complex', user: { format: 'opaque', id: 'a' } }, { format: 'opaque', id: 'a' }),
    ).toBe(true);
    expect(sameSubject({ format: 'opaque', id: 'a' }, { format: 'email', email: 'a@b' })).toBe(false);
  });
});

it('publishes absolute endpoint URLs under the public address', () => {
  const m = transmitterMetadata('https://ir.example.com/');
  expect(m.issuer).toBe('https://ir.example.com');
  for (const k of [
    'jwks_uri',
    'configuration_endpoint',
    'status_endpoint',
    'add_subject_endpoint',
    'remove_subject_endpoint',
    'verification_endpoint',
  ] as const)
    expect(m[k]).toMatch(/^https:\/\/ir\.example\.com\/ssf\//);
  expect(m.delivery_methods_supported).toEqual(['urn:ietf:rfc:8935', 'urn:ietf:rfc:8936']);
});
