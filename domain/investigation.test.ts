import {
  actionsAsFindings,
  clientsUsed,
  factorsEnrolledSince,
  grantsStillHeld,
  lastingTenantChanges,
} from './investigation';

const T = Date.parse('2026-11-30T02:00:00Z');
const w = { from: T, to: T + 3600_000 };
const min = 60_000;

describe('provider-neutral investigation rules', () => {
  it('finds grants made in the window and still held; a released one only when asked, never with a remedy', () => {
    const grants = [
      { time: T - min, role: 'admin', container: 'realm', by: 'old' },
      { time: T + min, role: 'admin', container: 'realm', by: 'mallory' },
      { time: T + 2 * min, role: 'viewer', container: 'app', by: 'mallory' },
      { time: T + 3 * min, role: 'owner', container: 'realm', by: 'mallory' },
    ];
    const held = (g: { role: string }) => g.role !== 'owner';
    const privileged = (g: { role: string }) => /admin|owner/.test(g.role);
    expect(grantsStillHeld(grants, w, { held, privileged })).toEqual([
      expect.objectContaining({
        role: 'admin',
        grantedBy: 'mallory',
        privileged: true,
        remedy: 'remove-grant',
      }),
      expect.objectContaining({
        role: 'viewer',
        container: 'app',
        privileged: false,
        remedy: 'remove-grant',
      }),
    ]);
    const kept = grantsStillHeld(grants, w, {
      held,
      privileged,
      removable: (_g, p) => p,
      released: 'keep',
    });
    expect(kept.map((f) => [f.role, f.remedy])).toEqual([
      ['admin', 'remove-grant'],
      ['viewer', undefined],
      ['owner', undefined],
    ]);
  });

  it('finds each factor enrolled from the window start once, however often it was seen', () => {
    const f = { id: 'c1', type: 'otp', createdAt: T + min };
    expect(
      factorsEnrolledSince(
        [f, { ...f }, { id: 'c0', type: 'otp', createdAt: T - min }, { id: 'cx', type: 'otp' }],
        w,
      ),
    ).toEqual([
      {
        kind: 'factor',
        credentialId: 'c1',
        type: 'otp',
        label: undefined,
        createdAt: new Date(T + min).toISOString(),
        remedy: 'remove-factor',
      },
    ]);
  });

  it('rotates what the provider can: secrets and held keys; a JWKS URL is the owner’s', () => {
    const found = clientsUsed([
      { clientId: 'a', confidential: true, uses: 2, authentication: 'secret' },
      {
        clientId: 'b',
        confidential: true,
        uses: 1,
        authentication: 'jwt-certificate',
        certificateSha256: 'ab',
      },
      { clientId: 'c', confidential: true, uses: 1, authentication: 'jwt-jwks-url' },
      { clientId: 'd', confidential: false, uses: 5 },
    ]);
    expect(found.map((f) => f.remedy)).toEqual(['rotate-secret', 'rotate-client-key', undefined, undefined]);
    expect(found[1].certificateSha256).toBe('ab');
  });

  it('keeps lasting tenant changes by others in the window, and names the principal’s own actions', () => {
    const changes = [
      { time: T + min, lasting: true, what: 'CREATE IDENTITY_PROVIDER x', by: 'mallory', byPrincipal: false },
      { time: T + min, lasting: true, what: 'CREATE CLIENT y', by: 'jdoe', byPrincipal: true },
      { time: T + min, lasting: false, what: 'UPDATE USER z', by: 'mallory', byPrincipal: false },
      { time: T - min, lasting: true, what: 'CREATE COMPONENT old', by: 'admin', byPrincipal: false },
    ];
    expect(lastingTenantChanges(changes, w)).toEqual([
      {
        kind: 'realm-change',
        what: 'CREATE IDENTITY_PROVIDER x',
        at: new Date(T + min).toISOString(),
        by: 'mallory',
      },
    ]);
    expect(actionsAsFindings([{ time: 't', operation: 'CREATE USER', resource: 'users/1' }])).toEqual([
      { kind: 'grant-by-principal', what: 'CREATE USER users/1', at: 't' },
    ]);
  });
});
