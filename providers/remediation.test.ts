import type { Finding, Principal } from '../domain/incident';
import { eradicate } from './remediation';
import { IdentityProviderError, portOf, PortNotSupported, type IdentityProvider } from './ports';

const principal: Principal = { provider: 'lab', realm: 'r', username: 'u' };
const grant: Finding = {
  kind: 'role-grant',
  role: 'admin',
  container: 'realm',
  grantedAt: '2026-11-30T02:14:00Z',
  grantedBy: 'x',
  privileged: true,
  remedy: 'remove-grant',
};
const factor: Finding = {
  kind: 'factor',
  credentialId: 'c1',
  type: 'otp',
  createdAt: '2026-11-30T02:15:00Z',
  remedy: 'remove-factor',
};
const key: Finding = {
  kind: 'client-used',
  clientId: 'svc',
  confidential: true,
  uses: 3,
  remedy: 'rotate-client-key',
};

/** A provider with only roles and client secrets: no factors port, no client key rotation. */
function rolesOnly(refuse = false): IdentityProvider & { removed: string[] } {
  const removed: string[] = [];
  return {
    name: 'lab',
    removed,
    checkPermissions: () => Promise.reject(new Error('unused')),
    ports: {
      'roles-and-grants': {
        removeGrant: async (_p, f) => {
          if (refuse) throw new IdentityProviderError('Refused', 'Refused: no rights', false);
          removed.push(f.role);
          return { finding: f, changed: true, before: f.role, after: `removed ${f.role}` };
        },
        revokeRole: () => Promise.reject(new Error('unused')),
        grantRole: () => Promise.reject(new Error('unused')),
      },
      'client-credentials': {
        rotateSecret: () => Promise.reject(new Error('unused')),
        revokeClientTokens: () => Promise.reject(new Error('unused')),
        describeClient: () => Promise.reject(new Error('unused')),
      },
    },
  };
}

describe('eradication through ports', () => {
  it('applies what the provider supports and records each missing port as NOT done, by name', async () => {
    const provider = rolesOnly();
    const outcome = await eradicate(provider, principal, [grant, factor, key], {
      since: '2026-11-30T02:00:00Z',
    });
    expect(provider.removed).toEqual(['admin']);
    expect(outcome.incomplete).toBe(true);
    expect(outcome.steps.map((s) => [s.finding.kind, s.failed ?? false])).toEqual([
      ['role-grant', false],
      ['factor', true],
      ['client-used', true],
    ]);
    expect(outcome.steps[1].after).toBe(
      'NOT done: not supported by lab: the lab connector has no factors port',
    );
    expect(outcome.steps[2].after).toBe(
      'NOT done: not supported by lab: its client-credentials port has no client key rotation',
    );
  });

  it('records a refused step and still runs the rest; a retryable failure fails the whole', async () => {
    const refused = await eradicate(rolesOnly(true), principal, [grant], { since: '2026-11-30T02:00:00Z' });
    expect(refused.steps[0]).toMatchObject({ failed: true, after: 'NOT done: Refused: no rights' });
    const flaky = rolesOnly();
    flaky.ports['roles-and-grants']!.removeGrant = () =>
      Promise.reject(new IdentityProviderError('Busy', 'Busy', true));
    await expect(eradicate(flaky, principal, [grant], { since: '2026-11-30T02:00:00Z' })).rejects.toThrow(
      'Busy',
    );
  });

  it('names the provider and port when a playbook asks for a port that is not there', () => {
    expect(() => portOf(rolesOnly(), 'sessions-and-tokens')).toThrow(PortNotSupported);
    expect(() => portOf(rolesOnly(), 'sessions-and-tokens')).toThrow(
      'not supported by lab: the lab connector has no sessions-and-tokens port',
    );
  });
});
