import type { IdentityEvent } from '../detection/events';
import type { IncidentState } from '../domain/incident';
import { drillFrom, NoStoryError } from './drill';

const event = (over: Partial<IdentityEvent>): IdentityEvent =>
  ({
    id: 'vendor-evt-1',
    provider: 'okta',
    tenant: 'acme.okta.com',
    time: '2026-11-30T02:14:00.000Z',
    timeSource: 'event',
    vendorType: 'user.session.start',
    outcome: 'failure',
    category: 'authentication',
    ocsfClass: 3002,
    activity: 'logon',
    actor: { id: '00u1', name: 'jane.doe@acme.com', type: 'user' },
    sourceIp: '81.2.69.160',
    rawRef: 'a'.repeat(64),
    ...over,
  }) as IdentityEvent;

function incident(events: IdentityEvent[], over: Partial<IncidentState> = {}): IncidentState {
  return {
    incidentId: 'incident-0123456789abcdef01234567',
    evidenceId: 'x',
    playbook: 'compromised-credential',
    principal: { provider: 'okta', realm: 'acme', username: 'jane.doe@acme.com' },
    principalKey: 'k',
    severity: 'critical',
    summary: 'successful login for jane.doe@acme.com from 81.2.69.160 after failures',
    openedBy: 'detector',
    openedAt: '2026-11-30T02:20:00.000Z',
    phase: 'closed',
    status: 'closed',
    alerts: [
      {
        id: 'a1',
        source: 'detection:credential-compromise-after-burst',
        severity: 'critical',
        summary: 's',
        raisedAt: '2026-11-30T02:20:00.000Z',
        reportedBy: 'detector',
        events,
      },
    ],
    timeline: [],
    actions: [],
    approvals: [],
    evidence: [],
    ...over,
  } as IncidentState;
}

describe('drillFrom', () => {
  const story = [
    event({ id: 'e1' }),
    event({ id: 'e2', time: '2026-11-30T02:15:00.000Z' }),
    event({
      id: 'e3',
      time: '2026-11-30T03:14:00.000Z',
      outcome: 'success',
      sourceIp: '2a02:c7f::1',
      userAgent: 'curl/8',
    }),
  ];

  it('pseudonymises people, addresses, ids and tenants everywhere', () => {
    const d = drillFrom(incident(story));
    const all = d.scenarioYaml + JSON.stringify(d.fixture);
    for (const real of [
      'jane.doe',
      'acme.com',
      '81.2.69.160',
      '2a02:c7f::1',
      'vendor-evt',
      '00u1',
      'acme.okta.com',
    ])
      expect(all).not.toContain(real);
    expect(d.scenario.steps).toEqual([
      { at: 0, do: 'login-fail', as: 'user-1', times: 2 },
      // An hour-long story compressed to two minutes.
      expect.objectContaining({
        at: 120,
        do: 'login',
        as: 'user-1',
        from: '2001:db8::2',
        userAgent: 'curl/8',
      }),
    ]);
    expect(d.fixture.events.map((e) => e.sourceIp)).toEqual(['198.51.100.1', '198.51.100.1', '2001:db8::2']);
    expect(d.fixture.events[0].actor?.name).toBe('user-1@example.com');
    expect(d.scenario.description).toMatch(/compressed to 120 s/);
  });

  it('refuses an open incident and one without detection events', () => {
    expect(() => drillFrom(incident(story, { status: 'open' }))).toThrow(NoStoryError);
    expect(() => drillFrom(incident([]))).toThrow(/no detection events/);
  });

  it('carries the decisions people took and the defaults nobody answered', () => {
    const d = drillFrom(
      incident(story, {
        approvals: [
          {
            id: 'disableAccount-1',
            action: 'disableAccount',
            summary: 's',
            requestedBy: 'detector',
            requestedAt: '2026-11-30T02:20:00.000Z',
            quorum: 1,
            deadline: '2026-11-30T02:35:00.000Z',
            escalations: 0,
            status: 'approved',
            decisions: [{ actor: 'bob.smith', decision: 'approve', at: '2026-11-30T02:20:30.000Z' }],
          },
          {
            id: 'reinstateAccount-2',
            action: 'reinstateAccount',
            summary: 's',
            requestedBy: 'detector',
            requestedAt: '2026-11-30T02:21:00.000Z',
            quorum: 1,
            deadline: '2026-11-30T02:36:00.000Z',
            escalations: 1,
            maxEscalations: 1,
            onTimeout: 'skip',
            status: 'timed-out',
            resolution: 'default-skip',
            decisions: [],
          },
        ],
      }),
    );
    expect(d.scenarioYaml).not.toContain('bob.smith');
    expect(d.scenario.responders).toEqual([
      expect.objectContaining({ approval: 'disableAccount', decision: 'approve', by: 'responder-1' }),
      expect.objectContaining({ approval: 'reinstateAccount', decision: 'ignore' }),
    ]);
    expect(d.scenario.policy).toEqual({
      reinstateAccount: { timeoutMs: 2000, escalations: 1, onTimeout: 'skip' },
    });
  });
});
