import { eventsFromSet, parseTransmitters, receiverPushAuthorization, RECEIVED_EVENTS } from './receiver';

const ctx = {
  provider: 'keycloak' as const,
  tenant: 'corp',
  token: 'a.b.c',
  receivedAt: '2026-12-01T00:00:00.000Z',
};
const CAEP = 'https://schemas.openid.net/secevent/caep/event-type/';
const RISC = 'https://schemas.openid.net/secevent/risc/event-type/';
const set = (
  type: string,
  body: Record<string, unknown> = {},
  sub: unknown = { format: 'iss_sub', iss: 'https://kc/realms/corp', sub: 'u-1' },
) => ({
  jti: 'j1',
  iat: 1_764_547_200,
  sub_id: sub,
  events: { [type]: body },
});

describe('a SET as detection reads it', () => {
  it.each([
    [
      `${CAEP}session-revoked`,
      { initiating_entity: 'admin' },
      { category: 'authentication', activity: 'logoff' },
    ],
    [
      `${CAEP}credential-change`,
      { credential_type: 'password', change_type: 'update', initiating_entity: 'admin' },
      { category: 'account-change', activity: 'password-reset' },
    ],
    [
      `${CAEP}credential-change`,
      { credential_type: 'password', change_type: 'update', initiating_entity: 'user' },
      { category: 'account-change', activity: 'password-change' },
    ],
    [
      `${CAEP}credential-change`,
      { credential_type: 'fido2-roaming', change_type: 'create' },
      { category: 'credential-change', activity: 'factor-enrolled', credentialType: 'fido2-roaming' },
    ],
    [
      `${CAEP}credential-change`,
      { credential_type: 'app', change_type: 'delete' },
      { category: 'credential-change', activity: 'factor-removed' },
    ],
    [
      `${RISC}credential-compromise`,
      { credential_type: 'password' },
      {
        category: 'risk',
        activity: 'confirmed-compromised',
        risk: { level: 'high', detail: 'credential-compromise (password)' },
      },
    ],
    [
      `${RISC}account-disabled`,
      { reason: 'hijacking' },
      { category: 'account-change', activity: 'disable', risk: { level: 'high' } },
    ],
    [`${RISC}account-enabled`, {}, { category: 'account-change', activity: 'enable' }],
    [
      `${CAEP}risk-level-change`,
      { current_level: 'HIGH', previous_level: 'LOW', risk_reason: 'leaked' },
      { category: 'risk', activity: 'detected', risk: { level: 'high', detail: 'leaked' } },
    ],
    [
      `${CAEP}risk-level-change`,
      { current_level: 'LOW', previous_level: 'HIGH' },
      { category: 'risk', activity: 'dismissed' },
    ],
    ['https://example.com/unknown', {}, { category: 'other' }],
  ])('%s', (type, body, expected) => {
    const [e] = eventsFromSet(set(type, body), ctx);
    expect(e).toMatchObject({
      ...expected,
      provider: 'keycloak',
      tenant: 'corp',
      id: 'ssf:j1',
      target: { id: 'u-1' },
    });
    expect(e.time).toBe('2025-12-01T00:00:00.000Z');
  });

  it('names the user by e-mail, inside a complex subject too', () => {
    const [e] = eventsFromSet(
      set(
        `${CAEP}session-revoked`,
        {},
        { format: 'complex', user: { format: 'email', email: 'a@corp.example' } },
      ),
      ctx,
    );
    expect(e.target).toEqual({ name: 'a@corp.example', type: 'user' });
  });

  it('carries no event for verification or stream updates', () => {
    expect(
      eventsFromSet(
        set('https://schemas.openid.net/secevent/ssf/event-type/verification', { state: 's' }),
        ctx,
      ),
    ).toEqual([]);
    expect(eventsFromSet({ jti: 'x' }, ctx)).toEqual([]);
  });

  it('asks transmitters for what it reads', () => {
    expect(RECEIVED_EVENTS).toContain(`${RISC}credential-compromise`);
  });
});

describe('SSF_TRANSMITTERS', () => {
  const one = {
    name: 'kc',
    issuer: 'https://kc.example/realms/corp/',
    provider: 'keycloak',
    tenant: 'corp',
    clientId: 'ir',
    clientSecretFile: '/s',
  };
  const read = () => ' the-secret\n';
  it('reads a transmitter, its secret from a file', () => {
    expect(parseTransmitters(JSON.stringify([one]), 'https://ir.example', read)).toEqual([
      {
        name: 'kc',
        issuer: 'https://kc.example/realms/corp',
        metadataUrl: 'https://kc.example/realms/corp/.well-known/ssf-configuration',
        provider: 'keycloak',
        tenant: 'corp',
        delivery: 'push',
        clientId: 'ir',
        clientSecret: 'the-secret',
        scope: 'ssf.manage ssf.read',
      },
    ]);
  });
  it.each([
    ['push without PUBLIC_API_URL', [one], undefined, /PUBLIC_API_URL/],
    ['plain http elsewhere', [{ ...one, issuer: 'http://kc.example' }], 'https://ir', /must be https/],
    ['two secrets', [{ ...one, clientSecret: 'x' }], 'https://ir', /exactly one of clientSecret/],
    ['a name twice', [one, one], 'https://ir', /named twice/],
    ['an unknown provider', [{ ...one, provider: 'ldap' }], 'https://ir', /provider/],
  ])('refuses %s', (_what, value, publicUrl, message) => {
    expect(() => parseTransmitters(JSON.stringify(value), publicUrl, read)).toThrow(message);
  });
});

it('derives a push authorization per transmitter from the deployment secret', () => {
  const secret = Buffer.alloc(32, 1);
  expect(receiverPushAuthorization(secret, 'a')).toMatch(/^Bearer [A-Za-z0-9_-]{43}$/);
  expect(receiverPushAuthorization(secret, 'a')).not.toBe(receiverPushAuthorization(secret, 'b'));
  expect(receiverPushAuthorization(secret, 'a')).not.toBe(
    receiverPushAuthorization(Buffer.alloc(32, 2), 'a'),
  );
});
