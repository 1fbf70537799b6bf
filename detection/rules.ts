/**
 * Detection rules over normalized identity events, with sliding windows keyed by user, source IP or
 * tenant. Pure and synchronous: the state is plain JSON (`DetectionState`), so whoever runs the
 * detector can persist it and resume after a restart with no lost window. While it runs, the detector
 * keeps that state in Maps (`Memory`): a plain object used as a table of thousands of keys turns
 * into a dictionary that is slow to look up and about twenty times slower to walk.
 */
import type { Severity } from '../domain/incident';
import { Anonymizer, IdentityEvent, riskAtLeast, RiskLevel } from './events';
import { stableHash } from './hash';
import { canonicalMillis } from './times';
import { REALM_SUBJECT } from '../domain/incident';

export type RuleName =
  | 'failed-login-burst'
  | 'credential-compromise-after-burst'
  | 'password-spray'
  | 'distributed-password-spray'
  | 'mfa-fatigue'
  | 'mfa-fatigue-accepted'
  | 'mfa-disabled'
  | 'impossible-travel'
  | 'new-country'
  | 'new-network'
  | 'session-reuse'
  | 'privilege-escalation'
  | 'persistence-after-suspicious-login'
  | 'watchlist-match'
  | 'client-secret-misuse'
  | 'forged-token'
  | 'persistence'
  | 'impersonation'
  | 'vendor-risk'
  | 'vendor-compromise'
  | 'lockout-burst'
  | 'anonymizer-sign-in'
  | 'phishable-flow'
  | 'token-theft'
  | 'mfa-policy-weakened';

export interface DetectionConfig {
  failedLoginBurst: { threshold: number; windowMs: number };
  passwordSpray: { distinctUsers: number; maxTriesPerUser: number; windowMs: number };
  distributedSpray: { distinctUsers: number; distinctIps: number; maxTriesPerIp: number; windowMs: number };
  mfaFatigue: { threshold: number; windowMs: number };
  impossibleTravel: { maxKmh: number; minKm: number };
  newCountry: { minBaselineLogins: number };
  /**
   * Tokens with a valid signature for sessions the provider never issued, for this many accounts
   * within the window: someone may be minting them with the realm's key. Armed only once the
   * detector has watched the tenant for `armAfterMs` (longer than a session lives), so sessions
   * from before it started are not mistaken for forged ones.
   */
  forgedToken: { distinctUsers: number; windowMs: number; armAfterMs: number };
  /** A confidential client authenticating from a new address after this many from known ones. */
  clientSource: { minBaselineLogins: number };
  /** Privileges (roles, groups) that count as administrative. */
  privilegedPattern: string;
  /**
   * Account lockouts: `distinctUsers` accounts locked in a tenant, or one account locked `perUser`
   * times, within the window.
   */
  lockoutBurst: { distinctUsers: number; perUser: number; windowMs: number };
  /**
   * Vendor risk passed through: risk detections at or above `minLevel`; a risk level attached to a
   * sign-in or other event at or above `minEventLevel`.
   */
  vendorRisk: { minLevel: RiskLevel; minEventLevel: RiskLevel };
  /** OAuth scopes and permissions that make a consent or app grant persistence on their own. */
  persistence: { powerfulScopes: string };
  /** Which anonymizing networks a successful sign-in raises an alert for. */
  anonymizer: { kinds: Anonymizer[] };
  /**
   * The rules added with vendor catalog coverage (the detector workflow turns them on through a
   * patch, so detectors started before them replay as they ran).
   */
  coverage?: boolean;
  /**
   * Housekeeping paced by the size of the state (a walk of N keys at most every N/2 events) rather
   * than every 1,000 events; the detector workflow turns it on through a patch, since pruning at
   * other moments can change which over-full or future-dated entries a rule still sees.
   */
  pacedHousekeeping?: boolean;
  /**
   * A tenant's detection split over several detectors (DETECTION_SHARDS): `principal` runs the rules
   * whose state is one account's (each shard sees all events of its accounts); `tenant` runs those
   * that count across accounts (sprays, lockout bursts, forged tokens, privilege grants) on the
   * events `tenantWideEvent` selects. Unset: one detector runs every rule.
   */
  scope?: 'principal' | 'tenant';
  persistenceWindowMs: number;
  /** An alert for the same rule and key is not repeated within this time. */
  dedupMs: number;
  /** Sessions, last logins and baselines older than this are forgotten. */
  memoryMs: number;
}

const MIN = 60_000;
export const DEFAULT_DETECTION_CONFIG: DetectionConfig = {
  failedLoginBurst: { threshold: 10, windowMs: 5 * MIN },
  passwordSpray: { distinctUsers: 10, maxTriesPerUser: 3, windowMs: 10 * MIN },
  distributedSpray: { distinctUsers: 20, distinctIps: 10, maxTriesPerIp: 5, windowMs: 30 * MIN },
  mfaFatigue: { threshold: 5, windowMs: 10 * MIN },
  impossibleTravel: { maxKmh: 900, minKm: 500 },
  newCountry: { minBaselineLogins: 5 },
  clientSource: { minBaselineLogins: 5 },
  forgedToken: { distinctUsers: 3, windowMs: 10 * MIN, armAfterMs: 12 * 60 * MIN },
  privilegedPattern:
    'admin|owner|super|root|realm-management|manage-|global administrator|privileged|impersonation',
  lockoutBurst: { distinctUsers: 5, perUser: 3, windowMs: 30 * MIN },
  vendorRisk: { minLevel: 'medium', minEventLevel: 'high' },
  persistence: {
    powerfulScopes:
      '^(Directory|RoleManagement|Application|AppRoleAssignment|Mail|MailboxSettings|Files|Sites|User|Group|Policy)\\.ReadWrite|^full_access_as_app$|^Mail\\.Read$|^(create|update|delete):|^okta\\.(users|apps|roles|groups|authorizationServers|idps|policies|factors)\\.manage$|^https://(mail\\.google\\.com/|www\\.googleapis\\.com/auth/(admin\\.directory|gmail\\.(modify|send|settings)|drive$|cloud-platform))|^\\*$',
  },
  anonymizer: { kinds: ['tor', 'vpn', 'proxy', 'hosting'] },
  coverage: true,
  pacedHousekeeping: true,
  persistenceWindowMs: 24 * 60 * MIN,
  dedupMs: 15 * MIN,
  memoryMs: 30 * 24 * 60 * MIN,
};

export interface AlertPrincipal {
  provider: IdentityEvent['provider'];
  tenant?: string;
  username: string;
}

export interface DetectionAlert {
  /** Stable for the same rule, key and triggering event: re-processing yields the same id. */
  id: string;
  rule: RuleName;
  severity: Severity;
  /** What the rule counted by: a user, a source IP, a tenant. */
  key: string;
  summary: string;
  time: string;
  principal?: AlertPrincipal;
  sourceIp?: string;
  /** The events that triggered it (ids), kept as evidence by the incident. */
  eventIds: string[];
  /**
   * `pushed` when any of its events reached the engine through push ingest (forgeable by whoever
   * holds an ingest credential) rather than from the engine's own pull of the provider: such an
   * alert never sets off an automatic destructive step. Set by the detector.
   */
  evidence?: 'pulled' | 'pushed';
}

interface Hit {
  t: number;
  id: string;
  user?: string;
  ip?: string;
}

export interface DetectionState {
  failuresByUser: Record<string, Hit[]>;
  failuresByIp: Record<string, Hit[]>;
  failuresByTenant: Record<string, Hit[]>;
  mfaByUser: Record<string, Hit[]>;
  lastLogin: Record<string, { t: number; id: string; lat: number; lon: number; country?: string }>;
  countries: Record<string, { seen: string[]; logins: number; t: number }>;
  networks: Record<string, { seen: number[]; logins: number; t: number }>;
  sessions: Record<string, { ip?: string; ua?: string; t: number }>;
  /** Per tenant: when the detector first saw it (forged-token arming). */
  watchingSince?: Record<string, number>;
  /** Per tenant: tokens presented for sessions never seen. */
  unknownSessions?: Record<string, Hit[]>;
  /** Per confidential client: the addresses its secret was used from. */
  clientSources?: Record<string, { seen: string[]; logins: number; t: number }>;
  suspiciousSince: Record<string, number>;
  /** Account lockouts per tenant (with the user) and per user. */
  lockouts?: Record<string, Hit[]>;
  grantors: Record<string, string[]>;
  lastAlert: Record<string, number>;
  /**
   * Indicators earlier incidents attributed to attackers (`ip:`, `client:`, `ua:`, `asn:` keys),
   * until when, and which incident.
   */
  watchlist?: Record<string, { until: number; incidentId: string }>;
}

/** What a post-incident review hands to detection. */
export interface Indicators {
  ips?: string[];
  clients?: string[];
  userAgents?: string[];
  asns?: number[];
}

const SEVERITY_BELOW: Record<Severity, Severity> = {
  low: 'low',
  medium: 'low',
  high: 'medium',
  critical: 'high',
};

const SEVERITY_ABOVE: Record<Severity, Severity> = {
  low: 'medium',
  medium: 'high',
  high: 'critical',
  critical: 'critical',
};

/** `DetectionState` as the detector works on it: each table a Map (optional ones stay optional). */
type Memory = { [K in keyof DetectionState]: Map<string, NonNullable<DetectionState[K]>[string]> };

/** Tables every state has; the others appear when first used. */
const ALWAYS: readonly (keyof DetectionState)[] = Object.keys(emptyState()) as (keyof DetectionState)[];

/** Plain state → Maps (tables in their order, entries in theirs). */
function toMemory(state: DetectionState): Memory {
  const m: Record<string, Map<string, unknown>> = {};
  for (const name of ALWAYS) m[name] = new Map();
  for (const [name, table] of Object.entries(state))
    if (table && typeof table === 'object' && !Array.isArray(table))
      m[name] = new Map(Object.entries(table as Record<string, unknown>));
  return m as unknown as Memory;
}

/** Maps → plain state (a key such as `__proto__` stays an own entry). */
function toState(m: Memory): DetectionState {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, map] of Object.entries(m) as [string, Map<string, unknown> | undefined][]) {
    if (!map) continue;
    const table: Record<string, unknown> = {};
    for (const [k, v] of map) {
      if (k === '__proto__')
        Object.defineProperty(table, k, { value: v, enumerable: true, writable: true, configurable: true });
      else table[k] = v;
    }
    out[name] = table;
  }
  return out as unknown as DetectionState;
}

export function emptyState(): DetectionState {
  return {
    failuresByUser: {},
    failuresByIp: {},
    failuresByTenant: {},
    mfaByUser: {},
    lastLogin: {},
    countries: {},
    networks: {},
    sessions: {},
    suspiciousSince: {},
    grantors: {},
    lastAlert: {},
  };
}

export class Detector {
  private readonly m: Memory;
  private readonly privileged: RegExp;
  private readonly powerful: RegExp;
  private processed = 0;
  /** The tenant of the last event, already in `watchingSince`. */
  private lastTenant: { provider?: string; tenant?: string } = {};

  constructor(
    readonly config: DetectionConfig = DEFAULT_DETECTION_CONFIG,
    state?: DetectionState,
  ) {
    this.m = toMemory(state ?? emptyState());
    this.privileged = new RegExp(config.privilegedPattern, 'i');
    this.powerful = new RegExp(config.persistence.powerfulScopes, 'i');
  }

  /** The state as plain JSON, to carry or persist (a copy: changing it changes nothing here). */
  get state(): DetectionState {
    return toState(this.m);
  }

  /**
   * Indicators from a post-incident review, watched until `until` (ms). A later successful login
   * from a watched address raises `watchlist-match` (high), through a watched client `watchlist-match`
   * (medium); a watched user agent or autonomous system alone is too common to alert on, so it
   * raises by one level the severity of any alert the same event raises.
   */
  addIndicators(indicators: Indicators, until: number, incidentId: string): number {
    const list = (this.m.watchlist ??= new Map());
    const keys = [
      ...(indicators.ips ?? []).map((v) => `ip:${v}`),
      ...(indicators.clients ?? []).map((v) => `client:${v}`),
      ...(indicators.userAgents ?? []).map((v) => `ua:${v}`),
      ...(indicators.asns ?? []).map((v) => `asn:${v}`),
    ];
    for (const key of keys) {
      const known = list.get(key);
      list.set(key, { until: Math.max(until, known?.until ?? 0), incidentId });
    }
    return list.size;
  }

  /**
   * Runs every rule on one event; returns the alerts it raises (after de-duplication). `now` (the
   * detector's clock, i.e. the server's): an event dated in the future counts as happening now, so
   * a forged timestamp cannot pin state in memory or push every window aside.
   */
  process(e: IdentityEvent, now?: number): DetectionAlert[] {
    // Normalized events carry canonical times (read by hand); anything else is left to Date.
    let dated = canonicalMillis(e.time);
    if (Number.isNaN(dated)) dated = Date.parse(e.time);
    if (Number.isNaN(dated)) return [];
    const t = now === undefined ? dated : Math.min(dated, now);
    const raised: DetectionAlert[] = [];
    const emit = (a: Omit<DetectionAlert, 'id' | 'time'>) => {
      if (this.quiet(a.rule, a.key, t)) return;
      this.m.lastAlert.set(`${a.rule}|${a.key}`, t);
      const alert = { ...a, time: e.time, id: alertId(a.rule, a.key, e.id) };
      if (alert.principal && SUSPICIOUS.has(alert.rule))
        this.m.suspiciousSince.set(userKeyOf(alert.principal), t);
      raised.push(alert);
    };

    // A source's events are nearly all of one tenant: its key is built only when the tenant changes.
    if (e.provider !== this.lastTenant.provider || e.tenant !== this.lastTenant.tenant) {
      const watching = (this.m.watchingSince ??= new Map());
      const tenantKey = `${e.provider}|${e.tenant ?? ''}`;
      if (!watching.has(tenantKey)) watching.set(tenantKey, t);
      this.lastTenant = { provider: e.provider, tenant: e.tenant };
    }
    if (this.config.scope === 'tenant') this.tenantWide(e, t, emit);
    else if (e.category === 'authentication') this.authentication(e, t, emit);
    else if (e.category === 'privilege-change') {
      if (this.config.scope !== 'principal') this.privilegeChange(e, emit);
    } else if (isCredentialChange(e)) this.credentialChange(e, t, emit);
    if (this.config.coverage && this.config.scope !== 'tenant') this.coverage(e, t, emit);
    if (++this.processed >= this.nextHousekeeping) this.housekeeping(now ?? t);
    if (raised.length && this.m.watchlist) this.raiseOnWeakIndicators(e, t, raised);
    return raised;
  }

  /** Whether `rule` already alerted for `key` within the dedup time: then its evidence is not even gathered. */
  private quiet(rule: RuleName, key: string, t: number): boolean {
    const k = `${rule}|${key}`;
    const last = this.m.lastAlert.get(k);
    return last !== undefined && t - last < this.config.dedupMs;
  }

  /** An event carrying a watched user agent or autonomous system makes its alerts one level worse. */
  private raiseOnWeakIndicators(e: IdentityEvent, t: number, raised: DetectionAlert[]): void {
    const hits = [
      e.userAgent
        ? this.watched(`ua:${e.userAgent}`, t) && `user agent '${e.userAgent.slice(0, 60)}'`
        : undefined,
      e.network?.asn !== undefined
        ? this.watched(`asn:${e.network.asn}`, t) && `AS${e.network.asn}`
        : undefined,
    ].filter((x): x is string => Boolean(x));
    if (!hits.length) return;
    for (const alert of raised) {
      if (alert.rule === 'watchlist-match') continue;
      alert.severity = SEVERITY_ABOVE[alert.severity];
      alert.summary = `${alert.summary} (matches a past incident's ${hits.join(' and ')})`;
    }
  }

  private authentication(e: IdentityEvent & { category: 'authentication' }, t: number, emit: Emit): void {
    const user = userOf(e);
    const uk = user ? userKeyOf(user) : undefined;
    const c = this.config;

    if (e.activity === 'mfa' && uk && user) {
      if (
        e.mfaResult === 'denied' ||
        e.mfaResult === 'challenged' ||
        e.mfaResult === 'timeout' ||
        e.outcome === 'failure'
      ) {
        const pushes = slide(this.m.mfaByUser, uk, { t, id: e.id }, c.mfaFatigue.windowMs, t);
        if (pushes.length >= c.mfaFatigue.threshold) {
          emit({
            rule: 'mfa-fatigue',
            severity: 'high',
            key: uk,
            principal: user,
            sourceIp: e.sourceIp,
            summary: `${pushes.length} MFA prompts denied or unanswered for ${user.username} within ${minutes(c.mfaFatigue.windowMs)}`,
            eventIds: pushes.map((p) => p.id),
          });
        }
      } else if (e.mfaResult === 'approved' || e.outcome === 'success') {
        this.acceptedAfterFatigue(e, t, user, uk, emit);
        if (this.config.coverage && /bypass/i.test(e.factor ?? '')) {
          emit({
            rule: 'persistence',
            severity: 'medium',
            key: `${uk}|bypass-used`,
            principal: user,
            sourceIp: e.sourceIp,
            summary: `${user.username} passed MFA with a bypass (${e.vendorType})`,
            eventIds: [e.id],
          });
        }
      }
      return;
    }

    if (e.activity === 'token-use') {
      if (this.config.scope !== 'principal') this.unknownSession(e, t, emit);
      return;
    }
    if (e.activity === 'token-reuse') {
      if (this.config.coverage) this.tokenTheft(e, emit);
      return;
    }
    if (e.activity !== 'logon' && e.activity !== 'token-refresh' && e.activity !== 'token-exchange') return;

    if (e.outcome === 'failure' && e.activity === 'logon') {
      if (uk && user) {
        const failures = slide(
          this.m.failuresByUser,
          uk,
          { t, id: e.id, ip: e.sourceIp },
          c.failedLoginBurst.windowMs,
          t,
        );
        if (failures.length >= c.failedLoginBurst.threshold) {
          emit({
            rule: 'failed-login-burst',
            severity: 'medium',
            key: uk,
            principal: user,
            sourceIp: e.sourceIp,
            summary: `${failures.length} failed logins for ${user.username} within ${minutes(c.failedLoginBurst.windowMs)}`,
            eventIds: failures.map((f) => f.id),
          });
        }
      }
      if (e.sourceIp && this.config.scope !== 'principal') this.spray(e, t, emit);
      return;
    }

    if (e.outcome !== 'success' || !uk || !user) {
      // A stolen session or token used and refused (or with no outcome) still says it was stolen.
      if (this.config.coverage && uk && user && e.activity !== 'logon')
        this.sessionReuse(e, t, user, uk, emit, false);
      return;
    }
    if (e.factor === 'client-credentials') this.clientSource(e, t, user, emit);

    // A success right after a burst: the password was probably guessed.
    const failures = live(this.m.failuresByUser.get(uk), c.failedLoginBurst.windowMs, t);
    if (e.activity === 'logon' && failures.length >= c.failedLoginBurst.threshold) {
      emit({
        rule: 'credential-compromise-after-burst',
        severity: 'critical',
        key: uk,
        principal: user,
        sourceIp: e.sourceIp,
        summary: `successful login for ${user.username} after ${failures.length} failures within ${minutes(c.failedLoginBurst.windowMs)}`,
        eventIds: [...failures.map((f) => f.id), e.id],
      });
    }
    // A login from an address, or through a client, an earlier incident attributed to an attacker.
    const byIp = e.sourceIp ? this.watched(`ip:${e.sourceIp}`, t) : undefined;
    const byClient = e.client ? this.watched(`client:${e.client}`, t) : undefined;
    if (e.activity === 'logon' && (byIp || byClient)) {
      emit({
        rule: 'watchlist-match',
        severity: byIp ? 'high' : 'medium',
        key: uk,
        principal: user,
        sourceIp: e.sourceIp,
        summary: byIp
          ? `${user.username} logged in from ${e.sourceIp}, an address ${byIp.incidentId} attributed to an attacker`
          : `${user.username} logged in through client '${e.client}', which ${byClient!.incidentId} found the attacker using`,
        eventIds: [e.id],
      });
    }
    if (this.config.scope !== 'principal') this.sprayVictim(e, t, user, uk, emit);
    this.acceptedAfterFatigue(e, t, user, uk, emit);
    if (e.activity === 'logon') this.travel(e, t, user, uk, emit);
    this.sessionReuse(e, t, user, uk, emit);
  }

  /** A success from an IP that was spraying: this account fell to the spray. */
  private sprayVictim(e: IdentityEvent, t: number, user: AlertPrincipal, uk: string, emit: Emit): void {
    const c = this.config;
    if (e.activity === 'logon' && e.sourceIp) {
      const fromIp = live(this.m.failuresByIp.get(e.sourceIp), c.passwordSpray.windowMs, t);
      const users = new Set(fromIp.map((f) => f.user));
      if (users.size >= c.passwordSpray.distinctUsers) {
        emit({
          rule: 'password-spray',
          severity: 'high',
          key: uk,
          principal: user,
          sourceIp: e.sourceIp,
          summary: `${user.username} logged in from ${e.sourceIp}, which failed against ${users.size} accounts within ${minutes(c.passwordSpray.windowMs)}`,
          eventIds: [e.id],
        });
      }
    }
  }

  /**
   * The rules that count across accounts, for the tenant-wide detector of a sharded source: sprays
   * and their victims, forged tokens (with the sessions the tenant issued), privilege grants, and
   * tenant lockout bursts. The per-account rules run in the principal shards.
   */
  private tenantWide(e: IdentityEvent, t: number, emit: Emit): void {
    if (e.category === 'privilege-change') return this.privilegeChange(e, emit);
    if (this.config.coverage && isLockout(e)) this.lockout(e, t, emit);
    if (isCredentialChange(e)) return this.credentialChange(e, t, emit);
    if (e.category !== 'authentication') return;
    const user = userOf(e);
    if (e.activity === 'token-use') return this.unknownSession(e, t, emit);
    if (e.activity === 'logon' && e.outcome === 'failure') {
      if (e.sourceIp) this.spray(e, t, emit);
      return;
    }
    if (e.outcome !== 'success' || !user) return;
    if (e.sessionId) {
      // The tenant issued this session: a later refusal for it is not a forged token.
      const key = `${e.provider}|${e.tenant ?? ''}|${e.sessionId}`;
      if (!this.m.sessions.has(key)) this.m.sessions.set(key, { ip: e.sourceIp, ua: e.userAgent, t });
    }
    this.sprayVictim(e, t, user, userKeyOf(user), emit);
  }

  /**
   * A token the provider refused only because its session does not exist, for a session this
   * detector never saw begin: counted per tenant by account.
   */
  private unknownSession(e: IdentityEvent, t: number, emit: Emit): void {
    const c = this.config.forgedToken;
    if (e.outcome !== 'failure' || !e.sessionId || !/session_not_found/i.test(e.reason ?? '')) return;
    const tenant = `${e.provider}|${e.tenant ?? ''}`;
    if (this.m.sessions.has(`${tenant}|${e.sessionId}`)) return; // a real session that ended
    if (t - (this.m.watchingSince?.get(tenant) ?? t) < c.armAfterMs) return;
    const user = userOf(e)?.username ?? '?';
    const hits = slide((this.m.unknownSessions ??= new Map()), tenant, { t, id: e.id, user }, c.windowMs, t);
    const users = new Set(hits.map((h) => h.user));
    if (users.size < c.distinctUsers) return;
    emit({
      rule: 'forged-token',
      severity: 'critical',
      key: tenant,
      principal: { provider: e.provider, tenant: e.tenant, username: REALM_SUBJECT },
      sourceIp: e.sourceIp,
      summary: `validly signed tokens for ${users.size} accounts (${[...users].slice(0, 5).join(', ')}) whose sessions ${e.provider} ${e.tenant ?? ''} never issued, within ${minutes(c.windowMs)}: its signing key may be compromised`,
      eventIds: hits.map((h) => h.id),
    });
  }

  /**
   * A confidential client's secret used from an address it never came from, once it has a
   * baseline: the secret has probably leaked (the client's service account is the principal).
   */
  private clientSource(e: IdentityEvent, t: number, account: AlertPrincipal, emit: Emit): void {
    if (!e.client || !e.sourceIp) return;
    const key = `${e.provider}|${e.tenant ?? ''}|${e.client}`;
    const sources = (this.m.clientSources ??= new Map());
    let baseline = sources.get(key);
    if (!baseline) sources.set(key, (baseline = { seen: [], logins: 0, t }));
    if (!baseline.seen.includes(e.sourceIp)) {
      if (baseline.logins >= this.config.clientSource.minBaselineLogins) {
        // Keycloak names a client's service account so; an event may carry only its id.
        const named = /^service-account-/.test(account.username);
        emit({
          rule: 'client-secret-misuse',
          severity: 'high',
          key,
          principal: named ? account : { ...account, username: `service-account-${e.client}` },
          sourceIp: e.sourceIp,
          summary: `the secret of client '${e.client}' was used from ${e.sourceIp}, never seen in its ${baseline.logins} earlier logins (from ${baseline.seen.slice(-3).join(', ')})`,
          eventIds: [e.id],
        });
      }
      baseline.seen.push(e.sourceIp);
      if (baseline.seen.length > 50) baseline.seen.shift();
    }
    baseline.logins += 1;
    baseline.t = t;
  }

  private acceptedAfterFatigue(
    e: IdentityEvent,
    t: number,
    user: AlertPrincipal,
    uk: string,
    emit: Emit,
  ): void {
    const pushes = live(this.m.mfaByUser.get(uk), this.config.mfaFatigue.windowMs, t);
    if (pushes.length >= this.config.mfaFatigue.threshold) {
      emit({
        rule: 'mfa-fatigue-accepted',
        severity: 'critical',
        key: uk,
        principal: user,
        sourceIp: e.sourceIp,
        summary: `${user.username} accepted an MFA prompt after ${pushes.length} denied or unanswered ones`,
        eventIds: [...pushes.map((p) => p.id), e.id],
      });
      this.m.mfaByUser.delete(uk);
    }
  }

  private spray(e: IdentityEvent, t: number, emit: Emit): void {
    const c = this.config;
    const user = userOf(e)?.username ?? '?';
    const ip = e.sourceIp!;
    const fromIp = slide(this.m.failuresByIp, ip, { t, id: e.id, user }, c.passwordSpray.windowMs, t);
    // Fewer failures than accounts needed, or alerted already: nothing to count.
    const perUser =
      fromIp.length >= c.passwordSpray.distinctUsers && !this.quiet('password-spray', `ip|${ip}`, t)
        ? countBy(fromIp, (h) => h.user ?? '?')
        : undefined;
    if (
      perUser &&
      perUser.size >= c.passwordSpray.distinctUsers &&
      average(perUser) <= c.passwordSpray.maxTriesPerUser
    ) {
      emit({
        rule: 'password-spray',
        severity: 'high',
        key: `ip|${ip}`,
        sourceIp: ip,
        summary: `password spray from ${ip}: ${perUser.size} accounts, ${average(perUser).toFixed(1)} tries each, within ${minutes(c.passwordSpray.windowMs)}`,
        eventIds: fromIp.map((h) => h.id),
      });
    }
    const tenant = `${e.provider}|${e.tenant ?? ''}`;
    const d = c.distributedSpray;
    const window = this.tenantWindow(tenant, { t, id: e.id, user, ip }, d.windowMs, t);
    const { users, ips } = window;
    if (
      users.size >= d.distinctUsers &&
      ips.size >= d.distinctIps &&
      !this.quiet('distributed-password-spray', `tenant|${tenant}`, t)
    ) {
      let most = 0;
      for (const n of ips.values()) if (n > most) most = n;
      if (most <= d.maxTriesPerIp) {
        emit({
          rule: 'distributed-password-spray',
          severity: 'high',
          key: `tenant|${tenant}`,
          summary: `distributed password spray on ${e.provider} ${e.tenant ?? ''}: ${users.size} accounts from ${ips.size} IPs within ${minutes(d.windowMs)}`,
          eventIds: window.hits.map((h) => h.id),
        });
      }
    }
  }

  /**
   * A tenant's failures in the distributed-spray window, kept in time order with running counts per
   * account and per address, so a failure costs the hits it adds and expires, not a walk of the
   * whole window (a tenant under attack holds thousands). The counts are derived, never persisted:
   * after a restart, or when housekeeping replaced the window, they are rebuilt once from it.
   */
  private readonly tenantCounts = new Map<string, CountedWindow>();

  private tenantWindow(key: string, hit: Hit, windowMs: number, now: number): CountedWindow {
    const map = this.m.failuresByTenant;
    const held = map.get(key);
    let hits = Array.isArray(held) ? held : undefined;
    let w = this.tenantCounts.get(key);
    if (!hits || !w || w.hits !== hits) {
      hits = (hits ?? []).filter((h) => now - h.t <= windowMs && h.t <= now).sort((a, b) => a.t - b.t);
      map.set(key, hits);
      w = { hits, users: new Map(), ips: new Map() };
      for (const h of hits) count(w, h, 1);
      this.tenantCounts.set(key, w);
    }
    // Expired hits leave from the front (the window is in time order)…
    let expired = 0;
    while (expired < hits.length && now - hits[expired].t > windowMs) count(w, hits[expired++], -1);
    if (expired) hits.splice(0, expired);
    // …and the new one goes in at its time (nearly always the end), unless it is already there.
    let at = hits.length;
    while (at > 0 && hits[at - 1].t > hit.t) at--;
    for (let k = at - 1; k >= 0 && hits[k].t === hit.t; k--) if (hits[k].id === hit.id) return w;
    if (now - hit.t <= windowMs) {
      hits.splice(at, 0, hit);
      count(w, hit, 1);
    }
    if (this.tenantCounts.size > MAX_KEYS) this.tenantCounts.clear();
    return w;
  }

  private travel(e: IdentityEvent, t: number, user: AlertPrincipal, uk: string, emit: Emit): void {
    const c = this.config;
    const country = e.geo?.country;
    if (country) {
      let baseline = this.m.countries.get(uk);
      if (!baseline) this.m.countries.set(uk, (baseline = { seen: [], logins: 0, t }));
      if (!baseline.seen.includes(country)) {
        if (baseline.logins >= c.newCountry.minBaselineLogins) {
          emit({
            rule: 'new-country',
            severity: 'medium',
            key: uk,
            principal: user,
            sourceIp: e.sourceIp,
            summary: `first login for ${user.username} from ${country} (seen before: ${baseline.seen.join(', ') || 'none'})`,
            eventIds: [e.id],
          });
        }
        baseline.seen.push(country);
      }
      baseline.logins += 1;
      baseline.t = t;
    }
    const asn = e.network?.asn;
    if (asn !== undefined) {
      let baseline = this.m.networks.get(uk);
      if (!baseline) this.m.networks.set(uk, (baseline = { seen: [], logins: 0, t }));
      if (!baseline.seen.includes(asn)) {
        if (baseline.logins >= c.newCountry.minBaselineLogins) {
          emit({
            rule: 'new-network',
            severity: 'medium',
            key: uk,
            principal: user,
            sourceIp: e.sourceIp,
            summary: `first login for ${user.username} from AS${asn}${e.network?.org ? ` (${e.network.org})` : ''}`,
            eventIds: [e.id],
          });
        }
        baseline.seen.push(asn);
        if (baseline.seen.length > 50) baseline.seen.shift();
      }
      baseline.logins += 1;
      baseline.t = t;
    }
    const lat = e.geo?.lat;
    const lon = e.geo?.lon;
    if (lat === undefined || lon === undefined) return;
    const prev = this.m.lastLogin.get(uk);
    this.m.lastLogin.set(uk, { t, id: e.id, lat, lon, country });
    if (!prev || t <= prev.t) return;
    const km = haversineKm(prev.lat, prev.lon, lat, lon);
    const hours = (t - prev.t) / 3_600_000;
    const kmh = km / Math.max(hours, 1 / 3600);
    if (km >= c.impossibleTravel.minKm && kmh > c.impossibleTravel.maxKmh) {
      emit({
        rule: 'impossible-travel',
        severity: 'high',
        key: uk,
        principal: user,
        sourceIp: e.sourceIp,
        summary: `${user.username} logged in ${Math.round(km)} km away ${Math.round((t - prev.t) / MIN)} min after the previous login (${Math.round(kmh)} km/h)`,
        eventIds: [prev.id, e.id],
      });
    }
  }

  private sessionReuse(
    e: IdentityEvent,
    t: number,
    user: AlertPrincipal,
    uk: string,
    emit: Emit,
    learn = true,
  ): void {
    if (!e.sessionId) return;
    const key = `${e.provider}|${e.tenant ?? ''}|${e.sessionId}`;
    const seen = this.m.sessions.get(key);
    if (!seen && !learn) return;
    if (!seen) {
      this.m.sessions.set(key, { ip: e.sourceIp, ua: e.userAgent, t });
      return;
    }
    if (learn) seen.t = t;
    const newIp = Boolean(e.sourceIp && seen.ip && e.sourceIp !== seen.ip);
    const newAgent = Boolean(e.userAgent && seen.ua && e.userAgent !== seen.ua);
    // A session first seen without an address or agent (Keycloak's own events carry no agent)
    // learns them from the next event that has them.
    if (learn) {
      seen.ip ??= e.sourceIp;
      seen.ua ??= e.userAgent;
    }
    if (newIp && newAgent) {
      emit({
        rule: 'session-reuse',
        severity: 'high',
        key: `${uk}|${e.sessionId}`,
        principal: user,
        sourceIp: e.sourceIp,
        summary: `session of ${user.username} used from a new IP (${e.sourceIp}, was ${seen.ip}) and a new user agent${e.outcome === 'success' ? '' : ` (${e.outcome === 'failure' ? 'refused' : 'outcome unknown'})`}`,
        eventIds: [e.id],
      });
    }
  }

  private privilegeChange(e: IdentityEvent & { category: 'privilege-change' }, emit: Emit): void {
    if (e.activity !== 'grant' || e.outcome === 'failure') return;
    const tenant = `${e.provider}|${e.tenant ?? ''}`;
    const grantor = (e.actor?.name ?? e.actor?.id ?? '').toLowerCase();
    let known = this.m.grantors.get(tenant);
    if (!known) this.m.grantors.set(tenant, (known = []));
    const unusualActor = grantor !== '' && known.length > 0 && !known.includes(grantor);
    if (grantor && !known.includes(grantor)) known.push(grantor);
    if (!e.privilege || !this.privileged.test(e.privilege)) return;
    const target = e.target?.name ?? e.target?.id;
    const self = samePerson(e);
    const grantee: AlertPrincipal | undefined = target
      ? { provider: e.provider, tenant: e.tenant, username: target }
      : undefined;
    emit({
      rule: 'privilege-escalation',
      severity: self ? 'critical' : 'high',
      key: `${tenant}|${target ?? '?'}|${e.privilege}`,
      principal: grantee,
      sourceIp: e.sourceIp,
      summary:
        `${e.privilege} granted to ${target ?? 'unknown'} by ${grantor || 'unknown'}` +
        (self ? ' (self-granted)' : unusualActor ? ' (grantor never granted before)' : ''),
      eventIds: [e.id],
    });
  }

  private credentialChange(e: IdentityEvent, t: number, emit: Emit): void {
    const user = userOf(e);
    if (!user) return;
    const uk = userKeyOf(user);
    if (this.config.scope === 'tenant') return this.afterSuspicion(e, t, user, uk, emit);
    const removedFactor =
      this.config.coverage && e.category === 'credential-change' && e.activity === 'factor-removed';
    const byOther = onAnother(e) && e.actor?.type !== 'system';
    const allFactors = removedFactor && (e.credentialType === 'all' || byOther);
    if (e.category === 'account-change' || allFactors) {
      emit({
        rule: 'mfa-disabled',
        severity: 'medium',
        key: uk,
        principal: user,
        sourceIp: e.sourceIp,
        summary: `MFA disabled for ${user.username}${e.actor?.name && e.actor.name !== user.username ? ` by ${e.actor.name}` : ''}`,
        eventIds: [e.id],
      });
    }
    this.afterSuspicion(e, t, user, uk, emit);
  }

  /**
   * A credential change soon after a suspicious login is persistence. A sharded source's tenant-wide
   * detector raises it for the suspicion it saw itself (a spray's victim); the shard for the rest.
   */
  private afterSuspicion(e: IdentityEvent, t: number, user: AlertPrincipal, uk: string, emit: Emit): void {
    const since = this.m.suspiciousSince.get(uk);
    if (since !== undefined && t - since <= this.config.persistenceWindowMs && e.outcome !== 'failure') {
      emit({
        rule: 'persistence-after-suspicious-login',
        severity: 'critical',
        key: `${uk}|${e.vendorType}`,
        principal: user,
        sourceIp: e.sourceIp,
        summary: `${e.category === 'credential-change' ? e.activity : 'mfa-disabled'} for ${user.username} ${Math.round((t - since) / MIN)} min after a suspicious login`,
        eventIds: [e.id],
      });
    }
  }

  /** The rules that read one event on its own, or vendor verdicts (config.coverage). */
  private coverage(e: IdentityEvent, t: number, emit: Emit): void {
    if (e.category === 'risk') this.vendorRisk(e, emit);
    else if (e.risk && riskAtLeast(e.risk.level, this.config.vendorRisk.minEventLevel))
      this.vendorRisk(e, emit);
    if (e.category === 'policy-change') this.policyWeakened(e, emit);
    else if (e.category === 'credential-change') this.persistence(e, emit);
    else if (e.category === 'account-change' && e.activity === 'impersonate') this.impersonation(e, emit);
    if (isLockout(e)) this.lockout(e, t, emit);
    if (e.category === 'authentication' && e.activity === 'logon' && e.outcome === 'success')
      this.signInFrom(e, emit);
  }

  /** The vendor's own verdict: risk detections, threat detection, user reports, risky sign-ins. */
  private vendorRisk(e: IdentityEvent, emit: Emit): void {
    const user = userOf(e);
    const tenant = `${e.provider}|${e.tenant ?? ''}`;
    const detail = e.risk?.detail ? ` (${e.risk.detail})` : '';
    const who = user?.username ?? e.sourceIp ?? 'the tenant';
    if (e.category === 'risk' && (e.activity === 'confirmed-compromised' || e.activity === 'user-reported')) {
      emit({
        rule: 'vendor-compromise',
        severity: e.activity === 'confirmed-compromised' ? 'critical' : 'high',
        key: user ? userKeyOf(user) : `${tenant}|${e.vendorType}`,
        principal: user,
        sourceIp: e.sourceIp,
        summary:
          e.activity === 'confirmed-compromised'
            ? `${e.provider} says ${who} is compromised${detail}`
            : `${who} reported activity on their account as not theirs (${e.vendorType})`,
        eventIds: [e.id],
      });
      return;
    }
    if (e.category === 'risk' && e.activity === 'dismissed') return;
    const level = e.risk?.level ?? (e.category === 'risk' ? 'high' : undefined);
    const min =
      e.category === 'risk' ? this.config.vendorRisk.minLevel : this.config.vendorRisk.minEventLevel;
    if (!level || !riskAtLeast(level, min)) return;
    // A risky attempt that failed (blocked by policy, MFA refused) still says the password is known:
    // one level lower.
    const failed = e.category !== 'risk' && e.outcome === 'failure';
    const severity: Severity = level === 'none' ? 'low' : failed ? SEVERITY_BELOW[level] : level;
    emit({
      rule: 'vendor-risk',
      severity,
      key: `${user ? userKeyOf(user) : tenant}|${e.category === 'risk' ? e.vendorType : 'event-risk'}`,
      principal: user,
      sourceIp: e.sourceIp,
      summary: `${e.provider} rates ${e.category === 'risk' ? 'a detection' : `a ${failed ? 'refused ' : ''}${e.vendorType} event`} for ${who} ${level} risk${detail}`,
      eventIds: [e.id],
    });
  }

  /** MFA, sign-on or attack-protection policy turned off or weakened. */
  private policyWeakened(e: IdentityEvent & { category: 'policy-change' }, emit: Emit): void {
    if (e.activity === 'changed' || e.outcome === 'failure') return;
    const tenant = `${e.provider}|${e.tenant ?? ''}`;
    const actor = e.actor?.name ?? e.actor?.id ?? 'unknown';
    emit({
      rule: 'mfa-policy-weakened',
      severity: 'high',
      key: `${tenant}|${e.policy ?? e.vendorType}`,
      principal: e.actor?.name
        ? { provider: e.provider, tenant: e.tenant, username: e.actor.name }
        : undefined,
      sourceIp: e.sourceIp,
      summary: `${e.activity === 'protection-disabled' ? 'attack protection disabled' : 'MFA weakened'}: ${e.policy ?? e.vendorType} by ${actor}`,
      eventIds: [e.id],
    });
  }

  /**
   * What an attacker leaves to come back: new apps and consents to powerful scopes, API tokens,
   * IdP trust, app credentials, MFA bypass, a factor an admin enrolled for someone else, a stored
   * secret read by someone else. Alerted on their own, not only after a suspicious login.
   */
  private persistence(e: IdentityEvent & { category: 'credential-change' }, emit: Emit): void {
    if (e.outcome === 'failure') return;
    const tenant = `${e.provider}|${e.tenant ?? ''}`;
    const actor = e.actor?.name ?? e.actor?.id;
    const target = e.target?.name ?? e.target?.id;
    const other = onAnother(e);
    const strongScopes = (e.scopes ?? []).filter((s) => this.powerful.test(s));
    let severity: Severity | undefined;
    let what: string;
    switch (e.activity) {
      case 'api-token-created':
      case 'idp-trust-changed':
      case 'bypass-created':
        severity = 'high';
        what =
          e.activity === 'api-token-created'
            ? 'API token created'
            : e.activity === 'bypass-created'
              ? 'MFA bypass created'
              : 'identity provider or federation trust changed';
        break;
      case 'consent-granted':
        if (strongScopes.length || /domain-wide|management-api/.test(e.credentialType ?? ''))
          severity = 'high';
        what = `consent granted to ${e.client ?? 'an app'}${strongScopes.length ? ` for ${strongScopes.slice(0, 5).join(', ')}` : e.credentialType ? ` (${e.credentialType})` : ''}`;
        break;
      case 'app-created':
        severity = 'medium';
        what = `application created${e.client ? ` (${e.client})` : ''}`;
        break;
      case 'client-secret-changed':
        severity = 'medium';
        what = `credential added to an application${e.client ? ` (${e.client})` : ''}`;
        break;
      case 'factor-enrolled':
        if (other && e.actor?.type !== 'system') severity = 'medium';
        what = `MFA factor enrolled for ${target} by ${actor}`;
        break;
      case 'secret-viewed':
        if (!target || other) severity = 'medium';
        what = `stored secret read${target ? ` for ${target}` : ''}`;
        break;
      default:
        return;
    }
    if (!severity) return;
    emit({
      rule: 'persistence',
      severity,
      key: `${tenant}|${e.activity}|${target ?? e.client ?? ''}`,
      principal: actor ? { provider: e.provider, tenant: e.tenant, username: actor } : undefined,
      sourceIp: e.sourceIp,
      summary: `${what}${actor && e.activity !== 'factor-enrolled' ? ` by ${actor}` : ''} (${e.vendorType})`,
      eventIds: [e.id],
    });
  }

  /** One person acting as another (OneLogin assume user, Okta impersonation). */
  private impersonation(e: IdentityEvent, emit: Emit): void {
    const actor = e.actor?.name ?? e.actor?.id;
    const target = e.target?.name ?? e.target?.id;
    if (!actor || !target || !onAnother(e) || e.outcome === 'failure') return;
    emit({
      rule: 'impersonation',
      severity: 'medium',
      key: `${e.provider}|${e.tenant ?? ''}|${actor}|${target}`,
      principal: { provider: e.provider, tenant: e.tenant, username: target },
      sourceIp: e.sourceIp,
      summary: `${actor} acted as ${target} (${e.vendorType})`,
      eventIds: [e.id],
    });
  }

  /** Lockouts: many accounts in a tenant (a spray or a lockout attack), or one account again and again. */
  private lockout(e: IdentityEvent, t: number, emit: Emit): void {
    const c = this.config.lockoutBurst;
    const user = userOf(e);
    const tenant = `${e.provider}|${e.tenant ?? ''}`;
    const map = (this.m.lockouts ??= new Map());
    // A sharded source counts the tenant in its tenant-wide detector, each account in its shard.
    const inTenant =
      this.config.scope === 'principal'
        ? []
        : slide(
            map,
            `tenant|${tenant}`,
            { t, id: e.id, user: user?.username.toLowerCase(), ip: e.sourceIp },
            c.windowMs,
            t,
          );
    const users = new Set(inTenant.map((h) => h.user).filter(Boolean));
    if (users.size >= c.distinctUsers) {
      emit({
        rule: 'lockout-burst',
        severity: 'high',
        key: `tenant|${tenant}`,
        sourceIp: e.sourceIp,
        summary: `${users.size} accounts locked out on ${e.provider} ${e.tenant ?? ''} within ${minutes(c.windowMs)}`,
        eventIds: inTenant.map((h) => h.id),
      });
    }
    if (!user || this.config.scope === 'tenant') return;
    const uk = userKeyOf(user);
    const mine = slide(map, `user|${uk}`, { t, id: e.id, ip: e.sourceIp }, c.windowMs, t);
    if (mine.length >= c.perUser) {
      emit({
        rule: 'lockout-burst',
        severity: 'medium',
        key: uk,
        principal: user,
        sourceIp: e.sourceIp,
        summary: `${user.username} locked out ${mine.length} times within ${minutes(c.windowMs)}`,
        eventIds: mine.map((h) => h.id),
      });
    }
  }

  /** A successful sign-in through an anonymizing network or a phishable flow. */
  private signInFrom(e: IdentityEvent, emit: Emit): void {
    const user = userOf(e);
    if (!user || e.actor?.type === 'service') return;
    const uk = userKeyOf(user);
    const hidden = e.network?.anonymizer;
    if (hidden && this.config.anonymizer.kinds.includes(hidden)) {
      emit({
        rule: 'anonymizer-sign-in',
        severity: hidden === 'tor' ? 'high' : 'medium',
        key: `${uk}|${hidden}`,
        principal: user,
        sourceIp: e.sourceIp,
        summary: `${user.username} signed in through ${hidden === 'hosting' ? `a hosting network${e.network?.org ? ` (${e.network.org})` : ''}` : `a ${hidden === 'tor' ? 'Tor exit' : hidden}`} from ${e.sourceIp ?? 'an unknown address'}`,
        eventIds: [e.id],
      });
    }
    if (e.flow === 'device-code' || e.flow === 'legacy' || e.flow === 'ropc') {
      emit({
        rule: 'phishable-flow',
        severity: e.flow === 'device-code' ? 'medium' : 'low',
        key: `${uk}|${e.flow}`,
        principal: user,
        sourceIp: e.sourceIp,
        summary: `${user.username} signed in with ${e.flow === 'device-code' ? 'the device code flow (a common phishing path)' : e.flow === 'ropc' ? 'a password grant (no MFA)' : 'legacy authentication (no MFA)'}${e.client ? ` to ${e.client}` : ''}`,
        eventIds: [e.id],
      });
    }
  }

  /** The vendor saw a token or session reused: refresh-token replay, a session roaming to another client. */
  private tokenTheft(e: IdentityEvent, emit: Emit): void {
    const user = userOf(e);
    emit({
      rule: 'token-theft',
      severity: 'high',
      key: user
        ? `${userKeyOf(user)}|${e.vendorType}`
        : `${e.provider}|${e.tenant ?? ''}|${e.sessionId ?? e.id}`,
      principal: user,
      sourceIp: e.sourceIp,
      summary: `${e.provider} saw a token or session of ${user?.username ?? 'an unknown user'} reused (${e.vendorType})${e.sourceIp ? ` from ${e.sourceIp}` : ''}`,
      eventIds: [e.id],
    });
  }

  /**
   * Forgets the oldest `fraction` of every memory (first recorded first) and of every window, so the
   * state fits what one workflow can carry (Temporal refuses a continue-as-new input over 2 MB). The
   * watchlist stays. With sessions forgotten, a refusal for one of them would look like a forged
   * token: that rule re-arms from `now`, as for a tenant first watched then.
   */
  trim(fraction: number, now: number): void {
    for (const [name, map] of Object.entries(this.m) as [string, Map<string, unknown> | undefined][]) {
      if (name === 'watchlist' || name === 'watchingSince' || !map) continue;
      let drop = Math.ceil(map.size * fraction);
      for (const key of map.keys()) {
        if (drop-- <= 0) break;
        map.delete(key);
      }
      for (const value of map.values())
        if (Array.isArray(value) && value.length > 100) value.splice(0, Math.ceil(value.length * fraction));
    }
    const watching = this.m.watchingSince;
    if (watching) for (const tenant of watching.keys()) watching.set(tenant, now);
    this.tenantCounts.clear();
  }

  /** Drops windows and memories that can no longer matter, bounding the state. */
  prune(now: number): void {
    this.pruneWindows(now);
    this.pruneMemories(now);
  }

  private lastMemoryPrune?: { t: number; processed: number; walked: number };
  private nextHousekeeping = 1000;

  /**
   * Every 1,000 events the windows are trimmed; the long memories (30 days of sessions, baselines,
   * last logins: one entry per user) only once per 10 minutes of the detector's clock or 5,000
   * events, whichever comes first — walking them is the expensive part, and they age in days.
   * Paced (`pacedHousekeeping`), a walk that found N keys waits N/2 events more (at least 1,000 for
   * windows, 5,000 for memories): the walks cost a bounded amount per event however large the state,
   * and between two walks a map grows by at most half of what it held after the last.
   */
  private housekeeping(now: number): void {
    const paced = this.config.pacedHousekeeping === true;
    const windows = this.pruneWindows(now);
    this.nextHousekeeping = this.processed + (paced ? Math.max(1000, windows >> 1) : 1000);
    const last = this.lastMemoryPrune;
    const every = paced && last ? Math.max(5_000, last.walked >> 1) : 5_000;
    if (!last || now - last.t >= 10 * MIN || now < last.t || this.processed - last.processed >= every) {
      this.lastMemoryPrune = { t: now, processed: this.processed, walked: this.pruneMemories(now) };
    }
  }

  /** Returns how many keys it walked. */
  private pruneWindows(now: number): number {
    const c = this.config;
    let walked = 0;
    const longest = Math.max(
      c.failedLoginBurst.windowMs,
      c.passwordSpray.windowMs,
      c.distributedSpray.windowMs,
      c.mfaFatigue.windowMs,
    );
    for (const map of [
      this.m.failuresByUser,
      this.m.failuresByIp,
      this.m.failuresByTenant,
      this.m.mfaByUser,
    ]) {
      walked += trim(map, longest, now);
    }
    if (this.m.unknownSessions) walked += trim(this.m.unknownSessions, c.forgedToken.windowMs, now);
    if (this.m.lockouts) walked += trim(this.m.lockouts, c.lockoutBurst.windowMs, now);
    let suspicious = 0;
    for (const [k, t] of this.m.suspiciousSince) {
      if (now - t > c.persistenceWindowMs || t > now) this.m.suspiciousSince.delete(k);
      else suspicious++;
    }
    let alerts = 0;
    for (const [k, t] of this.m.lastAlert) {
      if (now - t > c.dedupMs || t > now) this.m.lastAlert.delete(k);
      else alerts++;
    }
    if (suspicious > MAX_KEYS) capKeys(this.m.suspiciousSince, (t) => t);
    if (alerts > MAX_KEYS) capKeys(this.m.lastAlert, (t) => t);
    const watchlist = this.m.watchlist;
    if (watchlist) for (const [k, v] of watchlist) if (now > v.until) watchlist.delete(k);
    return walked + suspicious + alerts;
  }

  /** Returns how many keys it kept. */
  private pruneMemories(now: number): number {
    const c = this.config;
    // Aged by the detector's clock, and bounded: the oldest go first past MAX_KEYS per map.
    const forget = <T extends { t: number }>(m: Map<string, T>, age: number) => {
      let kept = 0;
      for (const [k, v] of m) {
        if (now - v.t > age || v.t > now) m.delete(k);
        else kept++;
      }
      if (kept > MAX_KEYS) capKeys(m, (v) => v.t);
      return kept;
    };
    return (
      forget(this.m.lastLogin, c.memoryMs) +
      forget(this.m.countries, c.memoryMs) +
      forget(this.m.networks, c.memoryMs) +
      forget(this.m.sessions, c.memoryMs) +
      (this.m.clientSources ? forget(this.m.clientSources, c.memoryMs) : 0)
    );
  }

  private watched(key: string, t: number): { incidentId: string } | undefined {
    const entry = this.m.watchlist?.get(key);
    return entry && t <= entry.until ? entry : undefined;
  }
}

type Emit = (a: Omit<DetectionAlert, 'id' | 'time'>) => void;

/** Alerts whose principal is then watched for persistence. */
const SUSPICIOUS = new Set<RuleName>([
  'credential-compromise-after-burst',
  'password-spray',
  'mfa-fatigue-accepted',
  'impossible-travel',
  'new-country',
  'new-network',
  'session-reuse',
  'vendor-risk',
  'vendor-compromise',
  'anonymizer-sign-in',
  'phishable-flow',
  'token-theft',
]);

/** The actor and the target are one person: the same id, or the same name (any case). */
function samePerson(e: IdentityEvent): boolean {
  if (e.actor?.id && e.actor.id === e.target?.id) return true;
  const actor = (e.actor?.name ?? e.actor?.id)?.toLowerCase();
  const target = (e.target?.name ?? e.target?.id)?.toLowerCase();
  return Boolean(actor && target && actor === target);
}

/** Someone acted on another person's account: both named, and not the same person. */
function onAnother(e: IdentityEvent): boolean {
  return Boolean((e.actor?.name ?? e.actor?.id) && (e.target?.name ?? e.target?.id)) && !samePerson(e);
}

function isCredentialChange(e: IdentityEvent): boolean {
  return (
    e.category === 'credential-change' || (e.category === 'account-change' && e.activity === 'mfa-disabled')
  );
}

function isLockout(e: IdentityEvent): boolean {
  return (
    (e.category === 'account-change' && e.activity === 'lock' && e.outcome !== 'failure') ||
    (e.category === 'authentication' && e.lockedOut === true)
  );
}

/**
 * Whether a sharded source's tenant-wide detector needs this event (config `scope: 'tenant'`):
 * sign-ins and token uses (sprays, their victims, the sessions a forged token lacks), privilege
 * grants, lockouts, and credential changes (persistence after a spray's success). Every event also goes to the principal shard of its account.
 */
export function tenantWideEvent(e: IdentityEvent): boolean {
  return (
    e.category === 'authentication' ||
    e.category === 'privilege-change' ||
    isLockout(e) ||
    // A credential change after a suspicion the tenant-wide detector raised (a spray's victim).
    isCredentialChange(e)
  );
}

/** The account a sharded source routes an event by (its principal shard); none for tenant-level events. */
export function shardKeyOf(e: IdentityEvent): string | undefined {
  const user = userOf(e);
  return user ? userKeyOf(user) : undefined;
}

function userOf(e: IdentityEvent): AlertPrincipal | undefined {
  const party = e.category === 'authentication' ? (e.target ?? e.actor) : (e.target ?? e.actor);
  const username = party?.name ?? party?.id;
  return username ? { provider: e.provider, tenant: e.tenant, username } : undefined;
}

export function userKeyOf(p: AlertPrincipal): string {
  return `${p.provider}|${p.tenant ?? ''}|${p.username.toLowerCase()}`;
}

/** Keys one state map keeps at most (users, addresses, sessions): the state a detector carries stays bounded. */
export const MAX_KEYS = 50_000;

/**
 * Past MAX_KEYS, the oldest go until a tenth of the room is free again: the sort that finds them
 * then runs once per many prunes, not at every prune of a map that stays full.
 */
function capKeys<T>(m: Map<string, T>, time: (v: T) => number): void {
  if (m.size <= MAX_KEYS) return;
  const keys = [...m.keys()];
  const times = new Map(keys.map((k) => [k, time(m.get(k)!)]));
  keys.sort((a, b) => times.get(a)! - times.get(b)!);
  for (const k of keys.slice(0, keys.length - (MAX_KEYS - MAX_KEYS / 10))) m.delete(k);
}

/**
 * Drops what fell out of every window of `map` (replacing a window only when something did) and
 * keeps at most MAX_KEYS windows, the most recently hit.
 */
function trim(map: Map<string, Hit[]>, windowMs: number, now: number): number {
  let count = 0;
  for (const [k, hits] of map) {
    let expired = !Array.isArray(hits);
    if (!expired) for (const h of hits) if (now - h.t > windowMs || h.t > now) expired = true;
    if (!expired) {
      count++;
      continue;
    }
    const kept = live(hits, windowMs, now);
    if (kept.length) {
      map.set(k, kept);
      count++;
    } else map.delete(k);
  }
  if (count > MAX_KEYS) capKeys(map, (hits) => hits[hits.length - 1]?.t ?? 0);
  return count;
}

function live(hits: Hit[] | undefined, windowMs: number, now: number): Hit[] {
  return (Array.isArray(hits) ? hits : []).filter((h) => now - h.t <= windowMs && h.t <= now);
}

/**
 * Adds a hit to the window under `key`, drops what fell out of it, and returns the window. The
 * window is kept in place while nothing fell out (the usual case): no copy per event.
 */
function slide(map: Map<string, Hit[]>, key: string, hit: Hit, windowMs: number, now: number): Hit[] {
  const held = map.get(key);
  const current = Array.isArray(held) ? held : undefined;
  let expired = false;
  let duplicate = false;
  for (const h of current ?? []) {
    if (now - h.t > windowMs || h.t > now) expired = true;
    else if (h.id === hit.id) duplicate = true;
  }
  const hits = !current ? [] : expired ? live(current, windowMs, now) : current;
  if (!duplicate) hits.push(hit);
  if (hits !== current) map.set(key, hits);
  return hits;
}

interface CountedWindow {
  hits: Hit[];
  users: Map<string | undefined, number>;
  ips: Map<string, number>;
}

function count(w: CountedWindow, h: Hit, by: 1 | -1): void {
  const bump = <K>(m: Map<K, number>, k: K) => {
    const n = (m.get(k) ?? 0) + by;
    if (n > 0) m.set(k, n);
    else m.delete(k);
  };
  bump(w.users, h.user);
  bump(w.ips, h.ip ?? '?');
}

function countBy(hits: Hit[], by: (h: Hit) => string): Map<string, number> {
  const m = new Map<string, number>();
  for (const h of hits) m.set(by(h), (m.get(by(h)) ?? 0) + 1);
  return m;
}

function average(m: Map<string, number>): number {
  let sum = 0;
  for (const v of m.values()) sum += v;
  return m.size ? sum / m.size : 0;
}

function minutes(ms: number): string {
  return ms % MIN === 0 ? `${ms / MIN} min` : `${ms / 1000} s`;
}

export function haversineKm(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const a = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371 * Math.asin(Math.min(1, Math.sqrt(a)));
}

function alertId(rule: string, key: string, eventId: string): string {
  return `${rule}-${stableHash(`${rule}|${key}|${eventId}`)}`;
}

const RISK_LEVELS: readonly RiskLevel[] = ['none', 'low', 'medium', 'high', 'critical'];
const ANONYMIZERS: readonly Anonymizer[] = ['tor', 'vpn', 'proxy', 'hosting'];

/**
 * A deployment's rule settings (`DETECTION_RULES`), checked and merged over the defaults: every key
 * must be a known setting and every value of the default's type, so a typo is an error at start-up,
 * never a threshold silently left at its default. Returns the settings to hand the detector.
 */
/** Settings the detector workflow sets through patches, never a deployment. */
const PATCH_SWITCHES = new Set(['coverage', 'pacedHousekeeping']);

export function detectionTuning(input: unknown): Partial<DetectionConfig> {
  if (typeof input !== 'object' || input === null || Array.isArray(input))
    throw new Error('must be a JSON object of rule settings');
  const out: Record<string, unknown> = {};
  const defaults = DEFAULT_DETECTION_CONFIG as unknown as Record<string, unknown>;
  for (const [key, value] of Object.entries(input)) {
    if (PATCH_SWITCHES.has(key) || !Object.hasOwn(defaults, key))
      throw new Error(
        `unknown setting '${key}' (known: ${Object.keys(defaults)
          .filter((k) => !PATCH_SWITCHES.has(k))
          .join(', ')})`,
      );
    out[key] = checked(key, defaults[key], value);
  }
  return out as Partial<DetectionConfig>;
}

function checked(path: string, fallback: unknown, value: unknown): unknown {
  if (typeof fallback === 'number') {
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0)
      throw new Error(`${path} must be a positive number (got ${JSON.stringify(value)})`);
    return value;
  }
  if (typeof fallback === 'string') {
    if (typeof value !== 'string') throw new Error(`${path} must be a string`);
    if (RISK_LEVELS.includes(fallback as RiskLevel)) {
      if (!RISK_LEVELS.includes(value as RiskLevel))
        throw new Error(`${path} must be one of ${RISK_LEVELS.join(', ')}`);
      return value;
    }
    try {
      new RegExp(value, 'i');
    } catch (err) {
      throw new Error(`${path} is not a regular expression: ${(err as Error).message}`);
    }
    return value;
  }
  if (Array.isArray(fallback)) {
    if (!Array.isArray(value) || value.some((v) => !ANONYMIZERS.includes(v as Anonymizer)))
      throw new Error(`${path} must be a list of ${ANONYMIZERS.join(', ')}`);
    return value;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new Error(`${path} must be an object`);
  const merged: Record<string, unknown> = { ...(fallback as Record<string, unknown>) };
  for (const [k, v] of Object.entries(value)) {
    if (!Object.hasOwn(merged, k))
      throw new Error(`unknown setting '${path}.${k}' (known: ${Object.keys(merged).join(', ')})`);
    merged[k] = checked(`${path}.${k}`, merged[k], v);
  }
  return merged;
}
