/**
 * Every real vendor sample under shared/data/idp-events parses without an error, and the fields
 * that detection relies on come out right on known records.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { EventProvider } from './events';
import { normalizeBatch, splitRecords } from './normalize';

// A copy of shared/data/idp-events (with its licence files), so the project stands alone.
const DATA = path.resolve(__dirname, '..', 'test', 'fixtures', 'idp-events');
const FOLDERS: Record<string, EventProvider> = {
  keycloak: 'keycloak',
  okta: 'okta',
  entra: 'entra',
  auth0: 'auth0',
  'google-workspace': 'google',
};
const ctx = { receivedAt: '2026-11-29T02:14:00.000Z' };

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full) : /\.(log|json)$/.test(name) ? [full] : [];
  });
}

function records(file: string, provider: EventProvider): unknown[] {
  const text = readFileSync(file, 'utf8');
  if (file.endsWith('.json')) {
    const envelope = JSON.parse(text) as { events: { json: unknown }[] };
    return envelope.events.map((e) => e.json);
  }
  return splitRecords(text, { textLines: provider === 'keycloak' });
}

const samples = existsSync(DATA)
  ? Object.entries(FOLDERS).flatMap(([folder, provider]) =>
      files(path.join(DATA, folder)).map((file) => [path.relative(DATA, file), provider] as const),
    )
  : [];

describe('vendor samples', () => {
  it('are present (shared/ lies beside the checkout)', () => {
    expect(samples.length).toBeGreaterThanOrEqual(46);
  });

  it.each(samples)('%s parses with no rejected record', (file, provider) => {
    const recs = records(path.join(DATA, file), provider);
    const batch = normalizeBatch(provider, recs, ctx);
    expect(batch.rejected).toEqual([]);
    expect(batch.events.length).toBeGreaterThanOrEqual(recs.length);
    for (const e of batch.events) {
      expect(e.provider).toBe(provider);
      expect(e.id).toBeTruthy();
      expect(Number.isNaN(Date.parse(e.time))).toBe(false);
      expect(e.rawRef).toMatch(/^[0-9a-f]{64}$/);
    }
  });
});

const all = (folder: string, provider: EventProvider) =>
  files(path.join(DATA, folder)).flatMap((f) => normalizeBatch(provider, records(f, provider), ctx).events);

describe('normalized fields', () => {
  it('reads a Keycloak LOGIN_ERROR log line as a failed logon with user, IP and reason', () => {
    const events = all('keycloak', 'keycloak');
    const failed = events.find(
      (e) =>
        e.vendorType === 'LOGIN_ERROR' && e.reason === 'invalid_user_credentials' && e.timeSource === 'event',
    );
    expect(failed).toMatchObject({
      category: 'authentication',
      activity: 'logon',
      outcome: 'failure',
      tenant: 'test',
      sourceIp: '172.18.0.1',
      actor: { name: 'admin' },
      time: '2021-10-22T21:20:42.120Z',
    });
  });

  it('reads Okta session starts with actor, IP, user agent and geo', () => {
    const start = all('okta', 'okta').find((e) => e.vendorType === 'user.session.start');
    expect(start).toMatchObject({ category: 'authentication', activity: 'logon', outcome: 'success' });
    expect(start?.sourceIp).toBeTruthy();
    expect(start?.userAgent).toBeTruthy();
    expect(start?.geo?.country).toBeTruthy();
  });

  it('reads Okta group membership additions as privilege grants', () => {
    const grant = all('okta', 'okta').find((e) => e.vendorType === 'group.user_membership.add');
    expect(grant).toMatchObject({ category: 'privilege-change', activity: 'grant' });
  });

  it('reads Entra sign-ins whatever the key case, with failure reasons', () => {
    const signIns = all('entra', 'entra').filter((e) => e.category === 'authentication');
    expect(signIns.length).toBeGreaterThan(10);
    const failed = signIns.find((e) => e.outcome === 'failure' && e.reason?.includes('Keep me signed in'));
    expect(failed).toMatchObject({
      actor: { name: 'test@elastic.co' },
      sourceIp: '81.2.69.144',
      geo: { country: 'FR' },
    });
  });

  it('reads every Azure Monitor time format, including US-style dates with AM/PM and offsets', () => {
    const file = path.join(DATA, 'entra', 'signinlogs', 'test-time-formats-corner-cases.log');
    const times = normalizeBatch('entra', records(file, 'entra'), ctx).events.map((e) => [
      e.time,
      e.timeSource,
    ]);
    expect(times.every(([, source]) => source === 'event')).toBe(true);
    expect(new Set(times.map(([t]) => t.slice(0, 16)))).toEqual(new Set(['2007-01-09T09:41']));
  });

  it('reads Auth0 failed logins and token exchanges', () => {
    const events = all('auth0', 'auth0');
    expect(events.find((e) => e.vendorType === 'f')).toMatchObject({
      category: 'authentication',
      outcome: 'failure',
      sourceIp: '81.2.69.143',
    });
    expect(events.find((e) => e.vendorType === 'seacft')).toMatchObject({
      activity: 'token-exchange',
      outcome: 'success',
      actor: { name: 'dev@test.com' },
    });
  });

  it('splits Google activities into one event per inner event', () => {
    const events = all('google-workspace', 'google');
    // Google disabled the account because its password leaked: a risk verdict, passed through.
    expect(events.find((e) => e.vendorType === 'login:account_disabled_password_leak')).toMatchObject({
      category: 'risk',
      activity: 'detected',
      risk: { level: 'high' },
      target: { name: 'foo@elastic.co' },
    });
    // One activity with several inner events gives several events, each with its own id.
    const activity = events.filter((e) => e.rawRef === events[0].rawRef);
    expect(new Set(activity.map((e) => e.id)).size).toBe(activity.length);
  });
});

describe('batches with bad records', () => {
  it('reports each bad record with its index and keeps the good ones', () => {
    const body = [
      JSON.stringify({
        uuid: 'a',
        eventType: 'user.session.start',
        published: '2026-01-01T00:00:00Z',
        outcome: { result: 'SUCCESS' },
      }),
      '{"uuid": "b", "eventType": ',
      JSON.stringify({ uuid: 'c', published: '2026-01-01T00:00:00Z' }),
      '42',
      JSON.stringify({
        uuid: 'd',
        eventType: 'user.session.end',
        published: '2026-01-01T00:00:01Z',
        outcome: { result: 'SUCCESS' },
      }),
    ].join('\n');
    const batch = normalizeBatch('okta', splitRecords(body), ctx);
    expect(batch.events.map((e) => e.id)).toEqual(['a', 'd']);
    expect(batch.rejected).toEqual([
      { index: 1, reason: expect.stringContaining('line 2 is not valid JSON') },
      { index: 2, reason: 'an Okta System Log event needs an eventType' },
      { index: 3, reason: 'line 4 is not a JSON object' },
    ]);
  });

  it('keeps an event of a type it does not know as a generic event', () => {
    const batch = normalizeBatch(
      'okta',
      [
        {
          uuid: 'x',
          eventType: 'brand.new.event',
          published: '2026-01-01T00:00:00Z',
          outcome: { result: 'SUCCESS' },
        },
      ],
      ctx,
    );
    expect(batch.events).toEqual([
      expect.objectContaining({ category: 'other', ocsfClass: 0, vendorType: 'brand.new.event' }),
    ]);
  });

  it('accepts a JSON array body as well as NDJSON', () => {
    expect(splitRecords('[{"a":1},{"b":2}]')).toEqual([{ a: 1 }, { b: 2 }]);
    expect(splitRecords('{"a":1}\n\n{"b":2}\n')).toEqual([{ a: 1 }, { b: 2 }]);
  });
});

describe('Keycloak log lines', () => {
  const parse = (body: string) => normalizeBatch('keycloak', splitRecords(body, { textLines: true }), ctx);

  it('rejects a line that is no Keycloak record, naming its index, and keeps the good ones', () => {
    const good =
      '2026-11-29 02:14:00,000 WARN  [org.keycloak.events] (task-1) type=LOGIN_ERROR, realmId=corp, clientId=app, userId=u1, ipAddress=203.0.113.9, error=invalid_user_credentials, username=jdoe';
    const batch = parse(['x', good, 'hello world', 'xtype=LOGIN'].join('\n'));
    expect(batch.events).toHaveLength(1);
    expect(batch.events[0]).toMatchObject({ vendorType: 'LOGIN_ERROR', sourceIp: '203.0.113.9' });
    expect(batch.rejected.map((r) => r.index)).toEqual([0, 2, 3]);
    expect(batch.rejected[0].reason).toContain('not a Keycloak record');
  });

  it('reads key=value pairs whose values hold commas and equals signs', () => {
    const line =
      'type=LOGIN, realmId=corp, clientId=app, userId=u1, ipAddress=198.51.100.7, redirect_uri=http://a/?x=1,y, username=jdoe';
    const [event] = parse(line).events;
    expect(event).toMatchObject({ vendorType: 'LOGIN', sourceIp: '198.51.100.7' });
  });
});

describe('times', () => {
  it('takes canonical ISO times as they are, and rolls an impossible day over as Date does', () => {
    const { isoTime } = jest.requireActual<typeof import('./fields')>('./fields');
    expect(isoTime('2026-11-29T02:14:00.123Z')).toBe('2026-11-29T02:14:00.123Z');
    expect(isoTime('2026-02-30T00:00:00.000Z')).toBe('2026-03-02T00:00:00.000Z');
    expect(isoTime('2026-13-01T00:00:00.000Z')).toBeUndefined();
    expect(isoTime('2026-11-29T02:14:00Z')).toBe('2026-11-29T02:14:00.000Z');
    expect(isoTime('2026-11-29 02:14:00')).toBe('2026-11-29T02:14:00.000Z');
  });
});

describe("vendors' own verdicts, from the real samples", () => {
  it("carries Okta's risk (debugData.risk and logOnlySecurityData) and its AS from securityContext", () => {
    const events = all('okta', 'okta');
    const high = events.filter((e) => e.risk?.level === 'high');
    expect(high.map((e) => e.vendorType).sort()).toEqual([
      'user.authentication.verify',
      'user.session.start',
    ]);
    expect(high.find((e) => e.vendorType === 'user.session.start')).toMatchObject({
      risk: { detail: 'Anomalous Location, Anomalous Device' },
      network: { asn: 14618, org: 'amazon data services nova' },
    });
    expect(events.filter((e) => e.risk?.level === 'low').length).toBeGreaterThan(0);
  });

  it('classifies Entra risk detections and risky users as risk, with level, state and the anonymized IP', () => {
    const events = all(path.join('entra', 'identity_protection'), 'entra');
    const detections = events.filter((e) => e.vendorType === 'UserRiskEvents');
    expect(detections.length).toBeGreaterThan(0);
    for (const e of detections) {
      expect(e).toMatchObject({ category: 'risk', activity: 'detected', risk: { state: 'atRisk' } });
      expect(['low', 'medium', 'high']).toContain(e.risk?.level);
    }
    // An anonymized-IP detection says so on the network; the others do not.
    const anonymized = detections.filter((e) => e.risk?.detail?.includes('anonymizedIPAddress'));
    expect(anonymized.length).toBeGreaterThan(0);
    for (const e of anonymized) expect(e.network).toEqual({ anonymizer: 'vpn' });
    for (const e of detections.filter((d) => !anonymized.includes(d))) expect(e.network).toBeUndefined();
    expect(events.find((e) => e.vendorType === 'RiskyUsers')).toMatchObject({
      category: 'risk',
      risk: { level: 'medium', state: 'atRisk' },
    });
  });
});
