/**
 * Detection over adversarial event streams (fast-check): names, ids and addresses that collide
 * with JavaScript's own property names, unsorted times and repeats never throw, the state stays
 * plain JSON (it is carried through continue-as-new), and a detector rebuilt from that JSON
 * decides exactly as the original would.
 */
import fc from 'fast-check';
import type { IdentityEvent } from './events';
import { Detector } from './rules';

const NASTY = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf', 'length', 'alice', 'bob'];
const name = fc.oneof(fc.constantFrom(...NASTY), fc.string({ maxLength: 8 }));
const T0 = Date.parse('2026-11-29T02:00:00Z');

const event: fc.Arbitrary<IdentityEvent> = fc
  .record({
    id: fc.oneof(fc.constantFrom(...NASTY), fc.uuid()),
    kind: fc.constantFrom('logon', 'mfa', 'grant', 'factor-enrolled', 'mfa-disabled'),
    outcome: fc.constantFrom('success', 'failure', 'unknown'),
    actor: name,
    target: name,
    ip: fc.oneof(fc.constantFrom(...NASTY), fc.ipV4(), fc.constant('198.51.100.7')),
    at: fc.integer({ min: 0, max: 3_600_000 }),
    tenant: fc.oneof(fc.constantFrom(...NASTY), fc.constant('corp')),
    session: fc.option(fc.constantFrom(...NASTY, 's1', 's2'), { nil: undefined }),
    lat: fc.double({ min: -80, max: 80, noNaN: true }),
    lon: fc.double({ min: -170, max: 170, noNaN: true }),
    mfaResult: fc.constantFrom('approved', 'denied', 'timeout', 'challenged'),
  })
  .map((r) => {
    const base = {
      id: r.id,
      provider: 'okta' as const,
      tenant: r.tenant,
      time: new Date(T0 + r.at).toISOString(),
      timeSource: 'event' as const,
      vendorType: r.kind,
      outcome: r.outcome as IdentityEvent['outcome'],
      actor: { name: r.actor },
      target: { name: r.target },
      sourceIp: r.ip,
      sessionId: r.session,
      geo: { country: r.lat > 0 ? 'NO' : 'BR', lat: r.lat, lon: r.lon },
      rawRef: '0'.repeat(64),
    };
    switch (r.kind) {
      case 'logon':
        return { ...base, category: 'authentication', ocsfClass: 3002, activity: 'logon' } as IdentityEvent;
      case 'mfa':
        return {
          ...base,
          category: 'authentication',
          ocsfClass: 3002,
          activity: 'mfa',
          mfaResult: r.mfaResult,
        } as IdentityEvent;
      case 'grant':
        return {
          ...base,
          category: 'privilege-change',
          ocsfClass: 3005,
          activity: 'grant',
          privilege: 'admin',
        } as IdentityEvent;
      case 'factor-enrolled':
        return {
          ...base,
          category: 'credential-change',
          ocsfClass: 3001,
          activity: 'factor-enrolled',
        } as IdentityEvent;
      default:
        return {
          ...base,
          category: 'account-change',
          ocsfClass: 3001,
          activity: 'mfa-disabled',
        } as IdentityEvent;
    }
  });

describe('detection properties', () => {
  it('never throws, keeps JSON state, and decides the same after a JSON round trip', () => {
    fc.assert(
      fc.property(fc.array(event, { maxLength: 60 }), fc.array(event, { maxLength: 30 }), (first, then) => {
        const original = new Detector();
        for (const e of first) original.process(e);
        const carried = JSON.parse(JSON.stringify(original.state));
        expect(carried).toEqual(JSON.parse(JSON.stringify(original.state)));
        const resumed = new Detector(undefined, carried);
        for (const e of then) {
          expect(resumed.process(e)).toEqual(original.process(e));
        }
      }),
      { numRuns: 500 },
    );
  });

  it('still sees a failed-login burst for a user called "constructor"', () => {
    const d = new Detector();
    const alerts = Array.from({ length: 12 }, (_, i) =>
      d.process({
        id: `f${i}`,
        provider: 'okta',
        tenant: 'corp',
        time: new Date(T0 + i * 1000).toISOString(),
        timeSource: 'event',
        vendorType: 'user.session.start',
        outcome: 'failure',
        actor: { name: 'constructor' },
        sourceIp: '__proto__',
        rawRef: '0'.repeat(64),
        category: 'authentication',
        ocsfClass: 3002,
        activity: 'logon',
      }),
    ).flat();
    expect(alerts.map((a) => a.rule)).toContain('failed-login-burst');
  });
});
