/**
 * A sharded source (DETECTION_SHARDS) decides as one detector would: the same stream routed the way
 * POST /events routes it — every event to its account's principal shard, the events that count
 * across accounts to the tenant-wide detector too — raises the same alerts as one detector running
 * every rule, over random streams dense in sprays, bursts, lockouts, forged tokens and grants.
 */
import fc from 'fast-check';
import type { IdentityEvent } from './events';
import { Detector, DEFAULT_DETECTION_CONFIG, type DetectionAlert } from './rules';
import { partitionEvents, shardOf } from '../workflows/detector-api';

const T0 = Date.parse('2026-11-29T02:00:00Z');
const USERS = Array.from({ length: 24 }, (_, i) => `user${i}`);
const IPS = ['198.51.100.7', '203.0.113.9', '192.0.2.44', '100.64.1.2', '198.18.0.1'];

const drawn: fc.Arbitrary<Drawn> = fc.record({
  kind: fc.constantFrom(
    'fail',
    'fail',
    'fail',
    'success',
    'token-use',
    'lock',
    'grant',
    'mfa-denied',
    'enroll',
    'spray',
    'burst',
    'fatigue',
  ),
  user: fc.constantFrom(...USERS),
  by: fc.constantFrom(...USERS.slice(0, 3)),
  ip: fc.constantFrom(...IPS),
  session: fc.constantFrom('s1', 's2', 's3', 's4'),
  at: fc.integer({ min: 0, max: 20 * 60_000 }),
  country: fc.constantFrom('NO', 'BR', 'JP'),
});

interface Drawn {
  kind: string;
  user: string;
  by: string;
  ip: string;
  session: string;
  at: number;
  country: string;
}

/**
 * A drawn spray is twelve failures from one address over as many accounts; a burst, eleven for one
 * account; fatigue, six MFA prompts denied.
 */
function expand(records: Drawn[]): IdentityEvent[] {
  const out: IdentityEvent[] = [];
  records.forEach((r, i) => {
    if (r.kind === 'spray' || r.kind === 'burst' || r.kind === 'fatigue') {
      for (let k = 0; k < (r.kind === 'spray' ? 12 : r.kind === 'burst' ? 11 : 6); k++) {
        const user = r.kind === 'spray' ? USERS[(USERS.indexOf(r.user) + k) % USERS.length] : r.user;
        const kind = r.kind === 'fatigue' ? 'mfa-denied' : 'fail';
        out.push(toEvent({ ...r, kind, user, at: r.at + k * 2000 }, i * 100 + k));
      }
    } else out.push(toEvent(r, i * 100));
  });
  return out.sort((a, b) => a.time.localeCompare(b.time));
}

function toEvent(x: Drawn, i: number): IdentityEvent {
  const base = {
    id: `e${i}`,
    provider: 'okta' as const,
    tenant: 'corp',
    time: new Date(T0 + x.at).toISOString(),
    timeSource: 'event' as const,
    vendorType: x.kind,
    actor: { name: x.user },
    sourceIp: x.ip,
    geo: {
      country: x.country,
      lat: x.country === 'NO' ? 60 : x.country === 'BR' ? -15 : 35,
      lon: x.country === 'NO' ? 10 : x.country === 'BR' ? -47 : 139,
    },
    rawRef: '0'.repeat(64),
  };
  const auth = { ...base, category: 'authentication', ocsfClass: 3002 };
  switch (x.kind) {
    case 'fail':
      return { ...auth, activity: 'logon', outcome: 'failure' } as IdentityEvent;
    case 'success':
      return { ...auth, activity: 'logon', outcome: 'success', sessionId: x.session } as IdentityEvent;
    case 'token-use':
      return {
        ...auth,
        activity: 'token-use',
        outcome: 'failure',
        sessionId: x.session,
        reason: 'session_not_found',
      } as IdentityEvent;
    case 'lock':
      return {
        ...base,
        category: 'account-change',
        ocsfClass: 3001,
        activity: 'lock',
        outcome: 'success',
      } as IdentityEvent;
    case 'grant':
      return {
        ...base,
        actor: { name: x.by },
        target: { name: x.user },
        category: 'privilege-change',
        ocsfClass: 3005,
        activity: 'grant',
        outcome: 'success',
        privilege: 'admin',
      } as IdentityEvent;
    case 'mfa-denied':
      return { ...auth, activity: 'mfa', outcome: 'failure', mfaResult: 'denied' } as IdentityEvent;
    default:
      return {
        ...base,
        category: 'credential-change',
        ocsfClass: 3001,
        activity: 'factor-enrolled',
        outcome: 'success',
      } as IdentityEvent;
  }
}

const fingerprint = (a: DetectionAlert) => `${a.rule}|${a.key}|${[...a.eventIds].sort().join(',')}`;

/**
 * The alerts as routing sees them: by id (rule, key and triggering event), each once. Both detectors
 * of a sharded source may raise persistence after a suspicious login for the same event when each saw
 * a suspicion of its own; the alert id is the same, and an incident records an alert id once.
 */
const distinct = (fingerprints: string[]) => [...new Set(fingerprints)].sort();

/** Arms the forged-token rule at once, so short streams exercise it. */
const CONFIG = {
  ...DEFAULT_DETECTION_CONFIG,
  forgedToken: { ...DEFAULT_DETECTION_CONFIG.forgedToken, armAfterMs: 0 },
};

function sharded(events: IdentityEvent[], shards: number, now: number): string[] {
  const detectors = new Map<string, Detector>();
  const out: string[] = [];
  // Each detector takes its part in order; parts are independent of one another.
  for (const { shard, events: part } of partitionEvents(events, shards)) {
    const key = JSON.stringify(shard ?? null);
    if (!detectors.has(key)) detectors.set(key, new Detector({ ...CONFIG, scope: shard?.scope }));
    for (const e of part) out.push(...detectors.get(key)!.process(e, now).map(fingerprint));
  }
  return out.sort();
}

describe('sharded detection', () => {
  it('raises the alerts one detector raises, for 1, 4 and 16 shards', () => {
    const rules = new Set<string>();
    fc.assert(
      fc.property(fc.array(drawn, { minLength: 20, maxLength: 120 }), (records) => {
        const events = expand(records);
        const now = T0 + 60 * 60_000;
        const one = new Detector(CONFIG);
        const expected = events.flatMap((e) => one.process(e, now).map(fingerprint)).sort();
        for (const a of expected) rules.add(a.split('|')[0]);
        for (const shards of [1, 4, 16])
          expect(distinct(sharded(events, shards, now))).toEqual(distinct(expected));
      }),
      { numRuns: 400 },
    );
    // The streams did exercise the rules that span accounts, and those of one account.
    expect([...rules].sort()).toEqual(
      expect.arrayContaining([
        'failed-login-burst',
        'forged-token',
        'lockout-burst',
        'mfa-fatigue',
        'password-spray',
        'persistence-after-suspicious-login',
        'privilege-escalation',
      ]),
    );
  });

  it('still sees a spray across accounts that land in different shards', () => {
    const events = USERS.slice(0, 12).map((u, i) =>
      toEvent({ kind: 'fail', user: u, by: u, ip: IPS[0], session: 's1', at: i * 1000, country: 'NO' }, i),
    );
    const alerts = sharded(events, 16, T0 + 60_000);
    expect(new Set(USERS.slice(0, 12).map((u) => shardOf(`okta|corp|${u}`, 16))).size).toBeGreaterThan(4);
    expect(alerts.some((a) => a.startsWith('password-spray|ip|'))).toBe(true);
  });

  it('follows a spray victim into persistence: the factor it enrols next is raised as one detector raises it', () => {
    const d = (kind: string, user: string, at: number, i: number) =>
      toEvent({ kind, user, by: user, ip: IPS[1], session: 's9', at, country: 'NO' }, i);
    const events = [
      ...USERS.slice(0, 12).map((u, i) => d('fail', u, i * 1000, i)),
      d('success', 'user20', 20_000, 100),
      d('enroll', 'user20', 60_000, 101),
    ];
    const now = T0 + 10 * 60_000;
    const one = new Detector(CONFIG);
    const expected = events.flatMap((e) => one.process(e, now).map(fingerprint)).sort();
    expect(expected.some((a) => a.startsWith('persistence-after-suspicious-login|'))).toBe(true);
    for (const shards of [4, 16]) expect(sharded(events, shards, now)).toEqual(expected);
  });
});

describe('a detector whose state outgrows what a run may carry', () => {
  it('forgets its oldest quarter, keeps the watchlist, and re-arms the forged-token rule', () => {
    const d = new Detector(CONFIG);
    const now = T0 + 60 * 60_000;
    for (let i = 0; i < 4000; i++)
      d.process(
        toEvent(
          {
            kind: 'success',
            user: `u${i}`,
            by: 'x',
            ip: IPS[i % 5],
            session: `s${i}`,
            at: i * 100,
            country: 'NO',
          },
          i,
        ),
        now,
      );
    d.addIndicators({ ips: ['192.0.2.1'] }, now + 3_600_000, 'incident-1');
    const before = JSON.stringify(d.state).length;
    expect(Object.keys(d.state.lastLogin)).toHaveLength(4000);

    d.trim(0.25, now);
    expect(Object.keys(d.state.lastLogin)).toHaveLength(3000);
    expect(d.state.lastLogin['okta|corp|u0']).toBeUndefined(); // the oldest go first
    expect(d.state.lastLogin['okta|corp|u3999']).toBeDefined();
    expect(JSON.stringify(d.state).length).toBeLessThan(before * 0.8);
    expect(Object.keys(d.state.watchlist!)).toEqual(['ip:192.0.2.1']);
    expect(d.state.watchingSince).toEqual({ 'okta|corp': now });
  });
});
