import {
  approversFor,
  canDecide,
  isAutoApproved,
  refuseDecision,
  requiredApprovers,
  resolveCompromisedCredentialPolicy,
  resolvePrivilegeEscalationPolicy,
} from './policy';

const ISSUER = 'https://idp.example/realms/corp';
const person = (name: string, sub = `sub-${name}`) => ({ actor: name, id: `${ISSUER}#${sub}` });
const alice = person('alice');
const pending = {
  id: 'disableAccount-1',
  status: 'pending',
  requestedBy: 'alice',
  requestedById: alice.id,
  excluded: ['jdoe'],
  decisions: [] as { actor: string; origin?: { ip: string; via: 'oidc'; actorId: string } }[],
};
const decided = (who: { actor: string; id: string }) => ({
  actor: who.actor,
  origin: { ip: '127.0.0.1', via: 'oidc' as const, actorId: who.id },
});

describe('approval policy', () => {
  it.each([
    ['critical', 'critical', true],
    ['critical', 'high', false],
    ['high', 'critical', true],
    ['low', 'low', true],
    ['never', 'critical', false],
  ] as const)('auto-approves at %s when severity is %s: %s', (autoApproveAt, severity, expected) => {
    expect(
      isAutoApproved({ autoApproveAt, timeoutMs: 1, escalations: 0, onTimeout: 'skip', quorum: 1 }, severity),
    ).toBe(expected);
  });

  it('refuses an approval from the requester (four-eyes)', () => {
    expect(refuseDecision(pending, pending.id, alice)).toMatchObject({ code: 'FourEyesViolation' });
  });

  it('knows the requester by issuer and subject, whatever name their token shows (four-eyes)', () => {
    const aliceByEmail = { actor: 'alice@corp.example', id: alice.id };
    expect(refuseDecision(pending, pending.id, aliceByEmail)).toMatchObject({ code: 'FourEyesViolation' });
    // Someone else whose label happens to read "alice" is another person.
    expect(refuseDecision(pending, pending.id, person('alice', 'another-subject'))).toBeUndefined();
  });

  it('compares labels case-folded for approvals recorded before identities', () => {
    const legacy = { ...pending, requestedById: undefined };
    expect(refuseDecision(legacy, pending.id, person('Alice'))).toMatchObject({ code: 'FourEyesViolation' });
  });

  it("refuses the incident's principal and the grant's grantor as deciders", () => {
    expect(refuseDecision(pending, pending.id, person('JDoe'))).toMatchObject({
      code: 'InvolvedPartyRefused',
    });
    const grant = { ...pending, excluded: ['jdoe', 'mallory'] };
    expect(refuseDecision(grant, pending.id, person('mallory'))).toMatchObject({
      code: 'InvolvedPartyRefused',
    });
    expect(refuseDecision(grant, pending.id, person('bob'))).toBeUndefined();
  });

  it('refuses an unknown approval id', () => {
    expect(refuseDecision(undefined, 'nope', person('bob'))).toMatchObject({
      code: 'ApprovalNotFound',
      message: expect.stringContaining("'nope'"),
    });
  });

  it('refuses a decision on an approval that is no longer pending', () => {
    expect(refuseDecision({ ...pending, status: 'approved' }, pending.id, person('bob'))).toMatchObject({
      code: 'ApprovalAlreadyDecided',
    });
  });

  it('asks two distinct approvers for a critical step, whatever its quorum', () => {
    const base = {
      autoApproveAt: 'never' as const,
      timeoutMs: 1,
      escalations: 0,
      onTimeout: 'skip' as const,
    };
    expect(requiredApprovers({ ...base, quorum: 1 })).toBe(1);
    expect(requiredApprovers({ ...base, quorum: 1, critical: true })).toBe(2);
    expect(requiredApprovers({ ...base, quorum: 2, critical: false })).toBe(2);
  });

  it('refuses the same approver twice, by identity (two distinct approvers for quorum 2)', () => {
    const bob = person('bob');
    const half = { ...pending, decisions: [decided(bob)] };
    expect(refuseDecision(half, pending.id, bob)).toMatchObject({ code: 'DuplicateApprover' });
    expect(refuseDecision(half, pending.id, { actor: 'bob@corp.example', id: bob.id })).toMatchObject({
      code: 'DuplicateApprover',
    });
    expect(refuseDecision(half, pending.id, person('carol'))).toBeUndefined();
  });

  it('lets an override make a step stricter but never lower its quorum or drop critical', () => {
    const policy = resolveCompromisedCredentialPolicy({
      rotateSigningKeys: { quorum: 1, critical: false, autoApproveAt: 'low', timeoutMs: 5 },
      disableAccount: { quorum: 2 },
    });
    expect(policy.rotateSigningKeys).toMatchObject({ quorum: 2, critical: true, autoApproveAt: 'never' });
    expect(policy.rotateSigningKeys.timeoutMs).toBe(5);
    expect(policy.disableAccount.quorum).toBe(2);
    expect(resolvePrivilegeEscalationPolicy({ confirm: { quorum: 2 } }).confirm.quorum).toBe(2);
  });
});

describe('approver routing', () => {
  const routes = [
    { actions: ['rotateSigningKeys'], approvers: ['security-directors'] },
    { playbooks: ['compromised-credential'], severities: ['critical' as const], approvers: ['ir-leads'] },
    { playbooks: ['compromised-credential'], approvers: ['soc'] },
  ];

  it('takes the first route that matches playbook, action and severity', () => {
    const at = (playbook: string, action: string, severity: 'high' | 'critical') =>
      approversFor(routes, { playbook, action, severity });
    expect(at('signing-key-compromise', 'rotateSigningKeys', 'high')).toEqual(['security-directors']);
    expect(at('compromised-credential', 'disableAccount', 'critical')).toEqual(['ir-leads']);
    expect(at('compromised-credential', 'disableAccount', 'high')).toEqual(['soc']);
    expect(at('mfa-fatigue', 'containWithoutAnswer', 'high')).toBeUndefined();
    expect(approversFor(undefined, { playbook: 'x', action: 'y', severity: 'low' })).toBeUndefined();
  });

  it('refuses a decider in none of the groups, by exact name, after the four-eyes rules', () => {
    const routed = { ...pending, approvers: ['ir-leads'] };
    const bob = person('bob');
    expect(refuseDecision(routed, routed.id, { ...bob, groups: ['ir-leads'] })).toBeUndefined();
    for (const groups of [undefined, [], ['IR-LEADS'], ['ir-leads-emea'], [' ir-leads']]) {
      expect(refuseDecision(routed, routed.id, { ...bob, groups })?.code).toBe('NotAnApprover');
    }
    // Being in the group does not lift four-eyes or the principal's exclusion.
    expect(refuseDecision(routed, routed.id, { ...alice, groups: ['ir-leads'] })?.code).toBe(
      'FourEyesViolation',
    );
    expect(refuseDecision(routed, routed.id, { ...person('jdoe'), groups: ['ir-leads'] })?.code).toBe(
      'InvolvedPartyRefused',
    );
    // Without routing, any approver may decide.
    expect(refuseDecision(pending, pending.id, bob)).toBeUndefined();
    expect(canDecide(routed, bob)).toEqual({
      canDecide: false,
      reason: expect.stringMatching(/routed to 'ir-leads'/),
    });
    expect(canDecide(routed, { ...bob, groups: ['ir-leads'] })).toEqual({ canDecide: true });
  });
});
