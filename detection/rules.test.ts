import { identityEvent, IdentityEvent } from './events';
import {
  DEFAULT_DETECTION_CONFIG,
  DetectionAlert,
  DetectionConfig,
  DetectionState,
  Detector,
  emptyState,
  haversineKm,
  MAX_KEYS,
} from './rules';

const T0 = Date.parse('2026-11-29T02:00:00Z');
let seq = 0;

type Auth = Partial<Extract<IdentityEvent, { category: 'authentication' }>>;
const at = (sec: number) => new Date(T0 + sec * 1000).toISOString();

function auth(user: string, outcome: 'success' | 'failure', sec: number, extra: Auth = {}): IdentityEvent {
  return identityEvent(
    {
      id: `e${++seq}`,
      provider: 'keycloak',
      tenant: 'corp',
      time: at(sec),
      timeSource: 'event',
      vendorType: outcome === 'success' ? 'LOGIN' : 'LOGIN_ERROR',
      outcome,
      actor: { name: user, type: 'user' },
      target: { name: user, type: 'user' },
      sourceIp: extra.sourceIp ?? '198.51.100.7',
      userAgent: extra.userAgent,
      geo: extra.geo,
      network: extra.network,
      client: extra.client,
      sessionId: extra.sessionId,
      rawRef: 'x',
    },
    {
      category: 'authentication',
      activity: extra.activity ?? 'logon',
      mfaResult: extra.mfaResult,
      factor: extra.factor,
    },
  );
}

function run(events: IdentityEvent[], config: Partial<DetectionConfig> = {}): DetectionAlert[] {
  const d = new Detector({ ...DEFAULT_DETECTION_CONFIG, ...config });
  return events.flatMap((e) => d.process(e));
}

const rules = (alerts: DetectionAlert[]) => alerts.map((a) => a.rule);
const failures = (user: string, n: number, from = 0, ip?: string) =>
  Array.from({ length: n }, (_, i) => auth(user, 'failure', from + i * 10, { sourceIp: ip }));

describe('failed-login burst', () => {
  it.each([
    ['10 failures in 5 min (threshold)', 10, ['failed-login-burst']],
    ['9 failures (N-1)', 9, []],
    ['0 failures', 0, []],
  ])('%s', (_what, n, expected) => {
    expect(rules(run(failures('alice', n)))).toEqual(expected);
  });

  it('does not count failures that fell out of the window', () => {
    const spread = Array.from({ length: 10 }, (_, i) => auth('alice', 'failure', i * 40)); // 360 s > 5 min
    expect(rules(run(spread))).toEqual([]);
  });

  it('raises a critical compromise alert when a success follows the burst', () => {
    const alerts = run([...failures('alice', 10), auth('alice', 'success', 120)]);
    expect(rules(alerts)).toEqual(['failed-login-burst', 'credential-compromise-after-burst']);
    const compromise = alerts[1];
    expect(compromise).toMatchObject({
      severity: 'critical',
      principal: { provider: 'keycloak', tenant: 'corp', username: 'alice' },
    });
    expect(compromise.eventIds).toHaveLength(11);
  });

  it('does not call a success after 9 failures a compromise (N-1)', () => {
    expect(rules(run([...failures('alice', 9), auth('alice', 'success', 120)]))).toEqual([]);
  });

  it('repeats no alert within the dedup window', () => {
    expect(rules(run(failures('alice', 30)))).toEqual(['failed-login-burst']);
  });
});

describe('password spray', () => {
  const spray = (users: number, tries: number, ip = '203.0.113.9') =>
    Array.from({ length: users }, (_, u) =>
      Array.from({ length: tries }, (_, k) => auth(`user${u}`, 'failure', u * 5 + k, { sourceIp: ip })),
    ).flat();

  it.each([
    ['10 users × 1 try from one IP', 10, 1, ['password-spray']],
    ['9 users (N-1)', 9, 1, []],
    ['10 users × 4 tries (not "few tries each")', 10, 4, []],
  ])('%s', (_what, users, tries, expected) => {
    expect(rules(run(spray(users, tries))).filter((r) => r === 'password-spray')).toEqual(expected);
  });

  it('opens one alert per compromised user, keyed by user, when a sprayed account then logs in from that IP', () => {
    const alerts = run([...spray(10, 1), auth('user3', 'success', 100, { sourceIp: '203.0.113.9' })]);
    const perUser = alerts.filter((a) => a.principal?.username === 'user3');
    expect(perUser).toEqual([expect.objectContaining({ rule: 'password-spray', severity: 'high' })]);
    expect(alerts.filter((a) => a.rule === 'password-spray' && !a.principal)).toHaveLength(1);
  });

  it('detects a spray distributed over many IPs', () => {
    const events = Array.from({ length: 20 }, (_, u) =>
      auth(`u${u}`, 'failure', u * 30, { sourceIp: `192.0.2.${u % 10}` }),
    );
    expect(rules(run(events))).toContain('distributed-password-spray');
    expect(rules(run(events.slice(0, 19)))).not.toContain('distributed-password-spray');
  });

  it('counts a spray from 140,000 addresses in one window without failing (no argument spread over them)', () => {
    const d = new Detector(DEFAULT_DETECTION_CONFIG);
    const raised: DetectionAlert[] = [];
    for (let i = 0; i < 140_000; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      raised.push(...d.process(auth(`u${i % 50_000}`, 'failure', i / 200, { sourceIp: ip })));
    }
    expect(rules(raised)).toContain('distributed-password-spray');
  });

  it('forgets failures that left the tenant window, also across a restart from the saved state', () => {
    const d = new Detector(DEFAULT_DETECTION_CONFIG);
    const early = Array.from({ length: 19 }, (_, u) =>
      auth(`u${u}`, 'failure', u, { sourceIp: `192.0.2.${u % 10}` }),
    );
    for (const e of early) d.process(e);
    const restarted = new Detector(DEFAULT_DETECTION_CONFIG, JSON.parse(JSON.stringify(d.state)));
    // The 20th account fails 31 min later: the first 19 are out of the 30-min window by then.
    const late = auth('u19', 'failure', 31 * 60, { sourceIp: '192.0.2.9' });
    expect(rules(restarted.process(late))).not.toContain('distributed-password-spray');
    expect(rules(d.process(late))).not.toContain('distributed-password-spray');
  });
});

describe('MFA fatigue', () => {
  const pushes = (n: number, result: 'denied' | 'challenged' = 'denied') =>
    Array.from({ length: n }, (_, i) =>
      auth('bob', 'failure', i * 30, { activity: 'mfa', mfaResult: result }),
    );

  it.each([
    ['5 denied pushes', pushes(5), ['mfa-fatigue']],
    ['4 denied pushes (N-1)', pushes(4), []],
    ['5 unanswered pushes', pushes(5, 'challenged'), ['mfa-fatigue']],
  ])('%s', (_what, events, expected) => {
    expect(rules(run(events))).toEqual(expected);
  });

  it('is critical when a push is finally accepted', () => {
    const alerts = run([
      ...pushes(5),
      auth('bob', 'success', 200, { activity: 'mfa', mfaResult: 'approved' }),
    ]);
    expect(alerts.map((a) => [a.rule, a.severity])).toEqual([
      ['mfa-fatigue', 'high'],
      ['mfa-fatigue-accepted', 'critical'],
    ]);
  });
});

describe('impossible travel and new country', () => {
  const paris = { country: 'FR', lat: 48.85, lon: 2.35 };
  const sydney = { country: 'AU', lat: -33.87, lon: 151.21 };
  const lyon = { country: 'FR', lat: 45.76, lon: 4.84 };

  it('flags Paris then Sydney one hour later', () => {
    const alerts = run([
      auth('carol', 'success', 0, { geo: paris }),
      auth('carol', 'success', 3600, { geo: sydney }),
    ]);
    expect(rules(alerts)).toEqual(['impossible-travel']);
    expect(alerts[0].summary).toMatch(/16\d{3} km away 60 min/);
  });

  it('does not flag Paris then Lyon one hour later (possible by train)', () => {
    expect(
      rules(
        run([auth('carol', 'success', 0, { geo: paris }), auth('carol', 'success', 3600, { geo: lyon })]),
      ),
    ).toEqual([]);
  });

  it('does not flag Paris then Sydney a day later', () => {
    expect(
      rules(
        run([auth('carol', 'success', 0, { geo: paris }), auth('carol', 'success', 86_400, { geo: sydney })]),
      ),
    ).toEqual([]);
  });

  it('flags a first login from a new country once the baseline holds enough logins', () => {
    const base = Array.from({ length: 5 }, (_, i) =>
      auth('dave', 'success', i * 86_400, { geo: { country: 'FR' } }),
    );
    expect(rules(run([...base, auth('dave', 'success', 6 * 86_400, { geo: { country: 'BR' } })]))).toEqual([
      'new-country',
    ]);
    expect(
      rules(run([...base.slice(0, 4), auth('dave', 'success', 6 * 86_400, { geo: { country: 'BR' } })])),
    ).toEqual([]);
  });

  it('computes great-circle distances', () => {
    const km = haversineKm(paris.lat, paris.lon, lyon.lat, lyon.lon);
    expect(km).toBeGreaterThan(385);
    expect(km).toBeLessThan(400);
  });
});

describe('session reuse', () => {
  it('flags a session used from a new IP and a new user agent', () => {
    const alerts = run([
      auth('erin', 'success', 0, { sessionId: 's1', sourceIp: '198.51.100.1', userAgent: 'Firefox' }),
      auth('erin', 'success', 60, {
        activity: 'token-refresh',
        sessionId: 's1',
        sourceIp: '203.0.113.66',
        userAgent: 'curl/8',
      }),
    ]);
    expect(rules(alerts)).toEqual(['session-reuse']);
  });

  it('does not flag a new IP with the same user agent (mobile network change)', () => {
    const alerts = run([
      auth('erin', 'success', 0, { sessionId: 's1', sourceIp: '198.51.100.1', userAgent: 'Firefox' }),
      auth('erin', 'success', 60, {
        activity: 'token-refresh',
        sessionId: 's1',
        sourceIp: '203.0.113.66',
        userAgent: 'Firefox',
      }),
    ]);
    expect(rules(alerts)).toEqual([]);
  });
});

function change(
  category: 'privilege-change' | 'credential-change' | 'account-change',
  activity: string,
  sec: number,
  actor: string,
  target: string,
  privilege?: string,
): IdentityEvent {
  return identityEvent(
    {
      id: `e${++seq}`,
      provider: 'keycloak',
      tenant: 'corp',
      time: at(sec),
      timeSource: 'event',
      vendorType: activity,
      outcome: 'success',
      actor: { name: actor },
      target: { name: target },
      rawRef: 'x',
    },
    { category, activity, privilege } as never,
  );
}

describe('privilege escalation', () => {
  it.each([
    ['an admin role granted by another admin', 'root', 'frank', 'realm-admin', 'high'],
    ['an admin role granted to oneself', 'frank', 'frank', 'realm-admin', 'critical'],
  ])('flags %s', (_what, actor, target, privilege, severity) => {
    const [alert] = run([change('privilege-change', 'grant', 0, actor, target, privilege)]);
    expect(alert).toMatchObject({ rule: 'privilege-escalation', severity, principal: { username: target } });
  });

  it('ignores an ordinary role', () => {
    expect(run([change('privilege-change', 'grant', 0, 'root', 'frank', 'reader')])).toEqual([]);
  });

  it('says when the grantor has never granted before', () => {
    const alerts = run([
      change('privilege-change', 'grant', 0, 'root', 'a', 'reader'),
      change('privilege-change', 'grant', 10, 'mallory', 'frank', 'manage-users'),
    ]);
    expect(alerts[0].summary).toContain('grantor never granted before');
  });
});

describe('persistence after a suspicious login', () => {
  const compromise = [...failures('gina', 10), auth('gina', 'success', 120)];

  it('is critical when a factor is enrolled within the window after a compromise', () => {
    const alerts = run([...compromise, change('credential-change', 'factor-enrolled', 600, 'gina', 'gina')]);
    expect(alerts.at(-1)).toMatchObject({ rule: 'persistence-after-suspicious-login', severity: 'critical' });
  });

  it('is not raised for a factor enrolled with no suspicious login before it', () => {
    expect(run([change('credential-change', 'factor-enrolled', 600, 'gina', 'gina')])).toEqual([]);
  });

  it('is not raised once the window has passed', () => {
    const late = 120 + DEFAULT_DETECTION_CONFIG.persistenceWindowMs / 1000 + 1;
    expect(
      rules(run([...compromise, change('credential-change', 'factor-enrolled', late, 'gina', 'gina')])),
    ).not.toContain('persistence-after-suspicious-login');
  });

  it('flags MFA being disabled', () => {
    expect(rules(run([change('account-change', 'mfa-disabled', 0, 'root', 'hank')]))).toEqual([
      'mfa-disabled',
    ]);
  });
});

describe('detector state', () => {
  it('survives a restart: a burst split across two detectors sharing the state is still detected', () => {
    const first = new Detector();
    failures('ivan', 6).forEach((e) => first.process(e));
    const saved = JSON.parse(JSON.stringify(first.state));
    const second = new Detector(DEFAULT_DETECTION_CONFIG, saved);
    const alerts = failures('ivan', 4, 60).flatMap((e) => second.process(e));
    expect(rules(alerts)).toEqual(['failed-login-burst']);
  });

  it('gives the same alert id when the same event is processed again', () => {
    const events = failures('judy', 10);
    const a = run(events);
    const b = run(events);
    expect(a[0].id).toBe(b[0].id);
  });

  it('paces housekeeping by the state size without changing a single alert, and stays bounded', () => {
    // A day of failures and sign-ins from 4,000 users over 20,000 addresses, one event every 2 s.
    const events = Array.from({ length: 40_000 }, (_, i) =>
      auth(`u${i % 4000}`, i % 7 === 0 ? 'success' : 'failure', i * 2, {
        sourceIp: `203.0.${(i % 20_000) >> 8}.${i % 256}`,
      }),
    );
    const fixed = new Detector({ ...DEFAULT_DETECTION_CONFIG, pacedHousekeeping: false });
    const paced = new Detector({ ...DEFAULT_DETECTION_CONFIG, pacedHousekeeping: true });
    let largest = 0;
    const a: string[] = [];
    const b: string[] = [];
    for (const e of events) {
      a.push(...fixed.process(e).map((x) => x.id));
      b.push(...paced.process(e).map((x) => x.id));
      largest = Math.max(largest, Object.keys(paced.state.failuresByIp).length);
    }
    expect(b.length).toBeGreaterThan(0);
    expect(b).toEqual(a);
    // Live windows: 10 min of addresses (300 events); a walk of N keys comes at most N/2 events later.
    expect(largest).toBeLessThan(2_000);
  });

  it('prunes windows that can no longer matter', () => {
    const d = new Detector();
    failures('kim', 3).forEach((e) => d.process(e));
    d.prune(T0 + 3600_000);
    // Only when the tenant was first seen stays (one entry per tenant: forged-token arming).
    expect(d.state).toEqual({ ...emptyState(), lastAlert: {}, watchingSince: { 'keycloak|corp': T0 } });
  });
});

describe('new network', () => {
  const login = (sec: number, asn: number) => ({
    ...auth('lena', 'success', sec),
    network: { asn, org: `AS${asn} Org` },
  });

  it('flags a first login from a new autonomous system once the baseline holds enough logins', () => {
    const base = Array.from({ length: 5 }, (_, i) => login(i * 86_400, 3215));
    expect(rules(run([...base, login(6 * 86_400, 9009)]))).toEqual(['new-network']);
    expect(rules(run([...base.slice(0, 4), login(6 * 86_400, 9009)]))).toEqual([]);
    expect(rules(run([...base, login(6 * 86_400, 3215)]))).toEqual([]);
  });
});

describe('indicator watchlist', () => {
  const watching = () => {
    const d = new Detector();
    d.addIndicators({ ips: ['203.0.113.66'] }, T0 + 3600_000, 'incident-abc');
    return d;
  };

  it('raises watchlist-match for a successful login from a watched address', () => {
    const alerts = watching().process(auth('sam', 'success', 10, { sourceIp: '203.0.113.66' }));
    expect(alerts).toEqual([
      expect.objectContaining({ rule: 'watchlist-match', severity: 'high', sourceIp: '203.0.113.66' }),
    ]);
  });

  it.each([
    ['another address', auth('sam', 'success', 10, { sourceIp: '203.0.113.67' })],
    ['a failed login', auth('sam', 'failure', 10, { sourceIp: '203.0.113.66' })],
    ['a login after the watch ended', auth('sam', 'success', 3601, { sourceIp: '203.0.113.66' })],
  ])('stays quiet for %s', (_what, event) => {
    expect(rules(watching().process(event))).not.toContain('watchlist-match');
  });

  it('raises watchlist-match (medium) for a login through a client the attacker used', () => {
    const d = new Detector();
    d.addIndicators({ clients: ['billing'] }, T0 + 3600_000, 'incident-abc');
    expect(d.process(auth('kim', 'success', 10, { client: 'billing' }))).toEqual([
      expect.objectContaining({ rule: 'watchlist-match', severity: 'medium' }),
    ]);
    expect(d.process(auth('kim', 'success', 20, { client: 'corp-app' }))).toEqual([]);
  });

  it('raises by one level the alerts of an event with a watched user agent or network, never alerting on them alone', () => {
    const d = new Detector();
    d.addIndicators({ userAgents: ['evil-bot/1.0'], asns: [64500] }, T0 + 3600_000, 'incident-abc');
    expect(
      d.process(auth('kim', 'success', 1, { userAgent: 'evil-bot/1.0', network: { asn: 64500 } })),
    ).toEqual([]);
    const burst = (detector: Detector, extra: Auth) =>
      Array.from({ length: 10 }, (_, i) => auth('lee', 'failure', 10 + i, extra)).flatMap((e) =>
        detector.process(e),
      );
    const [raised] = burst(d, { userAgent: 'evil-bot/1.0' });
    const [baseline] = burst(new Detector(), {});
    expect(baseline).toMatchObject({ rule: 'failed-login-burst', severity: 'medium' });
    expect(raised).toMatchObject({ rule: 'failed-login-burst', severity: 'high' });
    expect(raised.summary).toMatch(/matches a past incident's user agent 'evil-bot\/1.0'/);
  });

  it('keeps the watchlist through a JSON round trip (continue-as-new) and drops expired entries', () => {
    const d = watching();
    const resumed = new Detector(undefined, JSON.parse(JSON.stringify(d.state)));
    expect(rules(resumed.process(auth('sam', 'success', 10, { sourceIp: '203.0.113.66' })))).toContain(
      'watchlist-match',
    );
    resumed.prune(T0 + 3601_000);
    expect(resumed.state.watchlist).toEqual({});
  });
});

describe('client secret misuse', () => {
  const clientLogin = (ip: string, sec: number, client = 'billing') =>
    auth(`service-account-${client}`, 'success', sec, { sourceIp: ip, client, factor: 'client-credentials' });

  it('flags the secret used from a new address once the client has a baseline', () => {
    const baseline = Array.from({ length: 5 }, (_, i) =>
      clientLogin(i % 2 ? '10.0.0.5' : '10.0.0.6', i * 60),
    );
    const alerts = run([...baseline, clientLogin('10.0.0.5', 400), clientLogin('203.0.113.9', 500)]);
    expect(alerts.map((a) => [a.rule, a.severity, a.principal?.username])).toEqual([
      ['client-secret-misuse', 'high', 'service-account-billing'],
    ]);
    expect(alerts[0].summary).toMatch(
      /'billing' was used from 203\.0\.113\.9, never seen in its 6 earlier logins/,
    );
  });

  it('stays quiet while the baseline is short (N-1 logins), and for user logins', () => {
    const four = Array.from({ length: 4 }, (_, i) => clientLogin('10.0.0.5', i * 60));
    expect(rules(run([...four, clientLogin('203.0.113.9', 300)]))).toEqual([]);
    const users = Array.from({ length: 6 }, (_, i) =>
      auth('alice', 'success', i * 60, { sourceIp: '10.0.0.5' }),
    );
    expect(rules(run([...users, auth('alice', 'success', 400, { sourceIp: '203.0.113.9' })]))).toEqual([]);
  });

  it('keeps one baseline per client', () => {
    const billing = Array.from({ length: 5 }, (_, i) => clientLogin('10.0.0.5', i * 60));
    expect(rules(run([...billing, clientLogin('10.0.0.7', 400, 'reports')]))).toEqual([]);
  });
});

describe('forged tokens', () => {
  const armed = { forgedToken: { distinctUsers: 3, windowMs: 10 * 60_000, armAfterMs: 0 } };
  const tokenUse = (user: string, sec: number, sessionId: string, reason = 'user_session_not_found') => ({
    ...auth(user, 'failure', sec, { sessionId, activity: 'token-use' }),
    reason,
  });

  it('flags validly signed tokens for three accounts whose sessions were never issued', () => {
    const alerts = run(
      [tokenUse('ann', 10, 's-a'), tokenUse('bob', 20, 's-b'), tokenUse('cy', 30, 's-c')],
      armed,
    );
    expect(alerts.map((a) => [a.rule, a.severity, a.principal?.username])).toEqual([
      ['forged-token', 'critical', '(realm)'],
    ]);
    expect(alerts[0].summary).toMatch(/3 accounts \(ann, bob, cy\)/);
  });

  it('ignores sessions it saw begin (tokens of ended sessions), other errors, and two accounts', () => {
    const ended = [
      auth('ann', 'success', 0, { sessionId: 's-a' }),
      auth('bob', 'success', 1, { sessionId: 's-b' }),
      tokenUse('ann', 10, 's-a'),
      tokenUse('bob', 20, 's-b'),
      tokenUse('cy', 30, 's-c'),
    ];
    expect(rules(run(ended, armed))).toEqual([]);
    const other = [tokenUse('ann', 10, 'x', 'invalid_token'), tokenUse('bob', 20, 'y', 'invalid_token')];
    expect(rules(run([...other, tokenUse('cy', 30, 'z', 'invalid_token')], armed))).toEqual([]);
    expect(rules(run([tokenUse('ann', 10, 'p'), tokenUse('bob', 20, 'q')], armed))).toEqual([]);
  });

  it('is not armed until the detector has watched the tenant longer than a session lives', () => {
    const early = [tokenUse('ann', 10, 's-a'), tokenUse('bob', 20, 's-b'), tokenUse('cy', 30, 's-c')];
    expect(rules(run(early))).toEqual([]); // default: armed after 12 h of watching
  });
});

describe('bounded detection state', () => {
  it('counts a future-dated event as happening now: it pins nothing past the next prune', () => {
    const d = new Detector(DEFAULT_DETECTION_CONFIG);
    const now = T0 + 60_000;
    const future = { ...auth('mallory', 'success', 0), time: '2999-01-01T00:00:00Z', id: 'future-1' };
    d.process(future as IdentityEvent, now);
    const memory = DEFAULT_DETECTION_CONFIG.memoryMs;
    d.prune(now + memory + 1);
    expect(Object.keys(d.state.lastLogin)).toEqual([]);
  });

  it('keeps at most MAX_KEYS entries per map, dropping the oldest (a tenth of the room freed at once)', () => {
    const now = T0 + 3_600_000;
    const carried = emptyState();
    for (let i = 0; i < MAX_KEYS + 10; i++)
      carried.sessions[`s${i}`] = { t: now - (MAX_KEYS + 10 - i), ip: 'x' };
    const d = new Detector(DEFAULT_DETECTION_CONFIG, carried);
    d.prune(now);
    const sessions = d.state.sessions;
    expect(Object.keys(sessions)).toHaveLength(MAX_KEYS - MAX_KEYS / 10);
    // The oldest went, the newest stayed.
    expect(sessions.s0).toBeUndefined();
    expect(sessions[`s${MAX_KEYS / 10 + 9}`]).toBeUndefined();
    expect(sessions[`s${MAX_KEYS / 10 + 10}`]).toBeDefined();
    expect(sessions[`s${MAX_KEYS + 9}`]).toBeDefined();
    // Below the cap, nothing is dropped.
    const again = new Detector(DEFAULT_DETECTION_CONFIG, {
      ...d.state,
      sessions: { ...sessions, fresh: { t: now, ip: 'y' } },
    });
    again.prune(now);
    expect(Object.keys(again.state.sessions)).toHaveLength(MAX_KEYS - MAX_KEYS / 10 + 1);
  });

  it('carries its state as plain JSON and back unchanged, odd keys included', () => {
    // Keys come from event data: JSON.parse makes `__proto__` an own key, and so must the detector.
    const text = JSON.stringify({
      ...emptyState(),
      failuresByIp: { constructor: [{ t: T0, id: 'b', user: 'bob' }] },
      lastAlert: { '12': T0 },
    }).replace('"constructor"', '"__proto__":[{"t":1,"id":"a"}],"constructor"');
    expect(text).toContain('__proto__');
    const d = new Detector(DEFAULT_DETECTION_CONFIG, JSON.parse(text) as DetectionState);
    expect(JSON.stringify(d.state)).toBe(text);
    expect(Object.getPrototypeOf(d.state.failuresByIp)).toBe(Object.prototype);
    // A copy: changing it changes nothing in the detector.
    d.state.lastAlert.x = 1;
    expect(d.state.lastAlert).toEqual({ '12': T0 });
  });
});
