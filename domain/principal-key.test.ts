import { createHash } from 'node:crypto';
import { principalKey, usePrincipalKeySecret } from './principal-key';

const alice = { provider: 'keycloak' as const, realm: 'corp', username: 'Alice' };

describe('principal keys', () => {
  it('are keyed by the deployment secret: no list of usernames reveals whose incident is whose', () => {
    usePrincipalKeySecret(Buffer.from('a'.repeat(32)));
    const one = principalKey(alice);
    usePrincipalKeySecret(Buffer.from('b'.repeat(32)));
    const two = principalKey(alice);
    expect(one).not.toBe(two);
    const unkeyed = createHash('sha256')
      .update(['keycloak', 'corp', 'alice'].join('\u0000'))
      .digest('hex')
      .slice(0, 24);
    expect([one, two]).not.toContain(unkeyed);
  });

  it('compare usernames case-insensitively', () => {
    usePrincipalKeySecret(Buffer.from('c'.repeat(32)));
    expect(principalKey(alice)).toBe(principalKey({ ...alice, username: 'alice' }));
  });
});
