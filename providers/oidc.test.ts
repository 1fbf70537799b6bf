import { peekClaims } from './oidc';

const part = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

describe('peekClaims (jose.decodeJwt, unverified: only to classify a token)', () => {
  it('reads the claims of a compact JWS', () => {
    expect(peekClaims(`${part({ alg: 'RS256' })}.${part({ typ: 'Refresh', azp: 'app' })}.sig`)).toEqual({
      typ: 'Refresh',
      azp: 'app',
    });
  });

  it.each([
    ['an opaque token', 'c2VjcmV0LW9wYXF1ZQ'],
    ['two parts', `${part({ alg: 'none' })}.${part({ a: 1 })}`],
    ['a JWE (five parts)', `${part({ alg: 'RSA-OAEP' })}.a.b.c.d`],
    ['a payload that is not an object', `${part({ alg: 'RS256' })}.${part([1, 2])}.sig`],
    [
      'a payload that is not JSON',
      `${part({ alg: 'RS256' })}.${Buffer.from('{oops').toString('base64url')}.sig`,
    ],
  ])('gives nothing for %s', (_what, token) => {
    expect(peekClaims(token)).toBeUndefined();
  });
});
