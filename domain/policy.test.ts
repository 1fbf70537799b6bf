import { isAutoApproved, refuseDecision, requiredApprovers } from './policy';

const pending = {
  id: 'disableAccount-1',
  status: 'pending',
  requestedBy: 'alice',
  decisions: [] as { actor: string }[],
};

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
    expect(refuseDecision(pending, pending.id, 'alice')).toMatchObject({ code: 'FourEyesViolation' });
  });

  it('refuses an unknown approval id', () => {
    expect(refuseDecision(undefined, 'nope', 'bob')).toMatchObject({
      code: 'ApprovalNotFound',
      message: expect.stringContaining("'nope'"),
    });
  });

  it('refuses a decision on an approval that is no longer pending', () => {
    expect(refuseDecision({ ...pending, status: 'approved' }, pending.id, 'bob')).toMatchObject({
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

  it('refuses the same approver twice (two distinct approvers for quorum 2)', () => {
    const half = { ...pending, decisions: [{ actor: 'bob' }] };
    expect(refuseDecision(half, pending.id, 'bob')).toMatchObject({ code: 'DuplicateApprover' });
    expect(refuseDecision(half, pending.id, 'carol')).toBeUndefined();
  });
});
