/**
 * What each rule reads and how it is tuned: the one table of rules, thresholds and defaults in
 * `docs/detection-coverage.md` is generated from this, together with the vendor catalogs.
 */
import type { Classified } from './events';
import type { DetectionConfig, RuleName } from './rules';

export interface RuleDoc {
  rule: RuleName;
  what: string;
  /** The event classes the rule reads (a catalog entry so classified feeds it). */
  reads: (c: Classified) => boolean;
  /** Its settings in DetectionConfig, with their values in `config`. */
  settings: (c: DetectionConfig) => string;
  /** Needs several events (a window), not one. */
  window?: boolean;
}

const MIN = 60_000;
const min = (ms: number) => (ms % (60 * MIN) === 0 ? `${ms / (60 * MIN)} h` : `${ms / MIN} min`);
const is =
  (category: Classified['category'], ...activities: string[]) =>
  (c: Classified) =>
    c.category === category && (activities.length === 0 || activities.includes(c.activity));
const logon = is('authentication', 'logon');

export const RULE_DOCS: RuleDoc[] = [
  {
    rule: 'failed-login-burst',
    what: 'many failed logins for one account',
    reads: logon,
    window: true,
    settings: (c) =>
      `failedLoginBurst: ${c.failedLoginBurst.threshold} in ${min(c.failedLoginBurst.windowMs)}`,
  },
  {
    rule: 'credential-compromise-after-burst',
    what: 'a successful login right after a burst of failures',
    reads: logon,
    window: true,
    settings: (c) =>
      `failedLoginBurst: ${c.failedLoginBurst.threshold} in ${min(c.failedLoginBurst.windowMs)}`,
  },
  {
    rule: 'password-spray',
    what: 'one address failing against many accounts, few tries each (and an account that then logs in from it)',
    reads: logon,
    window: true,
    settings: (c) =>
      `passwordSpray: ${c.passwordSpray.distinctUsers} accounts, ≤ ${c.passwordSpray.maxTriesPerUser} tries each, in ${min(c.passwordSpray.windowMs)}`,
  },
  {
    rule: 'distributed-password-spray',
    what: 'many accounts failing from many addresses, few tries per address',
    reads: logon,
    window: true,
    settings: (c) =>
      `distributedSpray: ${c.distributedSpray.distinctUsers} accounts from ${c.distributedSpray.distinctIps} IPs, ≤ ${c.distributedSpray.maxTriesPerIp} per IP, in ${min(c.distributedSpray.windowMs)}`,
  },
  {
    rule: 'mfa-fatigue',
    what: 'MFA prompts denied or unanswered, again and again',
    reads: is('authentication', 'mfa'),
    window: true,
    settings: (c) => `mfaFatigue: ${c.mfaFatigue.threshold} in ${min(c.mfaFatigue.windowMs)}`,
  },
  {
    rule: 'mfa-fatigue-accepted',
    what: 'a prompt accepted after fatigue',
    reads: (c) => is('authentication', 'mfa')(c) || logon(c),
    window: true,
    settings: (c) => `mfaFatigue: ${c.mfaFatigue.threshold} in ${min(c.mfaFatigue.windowMs)}`,
  },
  {
    rule: 'mfa-disabled',
    what: 'MFA turned off for an account, all of its factors reset, or a factor removed by someone else',
    reads: (c) => is('account-change', 'mfa-disabled')(c) || is('credential-change', 'factor-removed')(c),
    settings: () => '—',
  },
  {
    rule: 'impossible-travel',
    what: 'two logins farther apart than anyone can travel in the time between',
    reads: logon,
    window: true,
    settings: (c) =>
      `impossibleTravel: > ${c.impossibleTravel.maxKmh} km/h and ≥ ${c.impossibleTravel.minKm} km`,
  },
  {
    rule: 'new-country',
    what: 'first login from a country after a baseline',
    reads: logon,
    window: true,
    settings: (c) => `newCountry: baseline ${c.newCountry.minBaselineLogins} logins`,
  },
  {
    rule: 'new-network',
    what: 'first login from an autonomous system after a baseline',
    reads: logon,
    window: true,
    settings: (c) => `newCountry: baseline ${c.newCountry.minBaselineLogins} logins`,
  },
  {
    rule: 'session-reuse',
    what: 'one session used from a new address and a new user agent (refused or unknown-outcome uses too)',
    reads: (c) =>
      c.category === 'authentication' && ['logon', 'token-refresh', 'token-exchange'].includes(c.activity),
    window: true,
    settings: (c) => `memoryMs: ${min(c.memoryMs)}`,
  },
  {
    rule: 'token-theft',
    what: 'the vendor saw a token or session replayed (refresh-token reuse, session roaming)',
    reads: is('authentication', 'token-reuse'),
    settings: () => '—',
  },
  {
    rule: 'privilege-escalation',
    what: 'an administrative role or group granted (self-granted: critical)',
    reads: is('privilege-change', 'grant'),
    settings: (c) => `privilegedPattern: \`${c.privilegedPattern}\``,
  },
  {
    rule: 'persistence',
    what: 'new app, consent to powerful scopes, API token, IdP/federation trust, app credential, MFA bypass, factor enrolled by an admin for someone else, a stored secret read, MFA passed with a bypass',
    reads: (c) =>
      is(
        'credential-change',
        'app-created',
        'consent-granted',
        'api-token-created',
        'idp-trust-changed',
        'client-secret-changed',
        'bypass-created',
        'factor-enrolled',
        'secret-viewed',
      )(c) ||
      (c.category === 'authentication' && c.activity === 'mfa' && /bypass/.test(c.factor ?? '')),
    settings: () => 'persistence.powerfulScopes (see below)',
  },
  {
    rule: 'persistence-after-suspicious-login',
    what: 'a credential change or MFA disabled soon after a suspicious login',
    reads: (c) => c.category === 'credential-change' || is('account-change', 'mfa-disabled')(c),
    window: true,
    settings: (c) => `persistenceWindowMs: ${min(c.persistenceWindowMs)}`,
  },
  {
    rule: 'impersonation',
    what: 'one person acting as another (assume user, support impersonation)',
    reads: is('account-change', 'impersonate'),
    settings: () => '—',
  },
  {
    rule: 'mfa-policy-weakened',
    what: 'an MFA, sign-on or attack-protection policy turned off or weakened',
    reads: is('policy-change', 'mfa-weakened', 'protection-disabled'),
    settings: () => '—',
  },
  {
    rule: 'vendor-risk',
    what: "the vendor's own risk verdict passed through, severity = the vendor's level",
    reads: (c) => is('risk', 'detected')(c) || logon(c),
    settings: (c) =>
      `vendorRisk: detections ≥ ${c.vendorRisk.minLevel}, risk on other events ≥ ${c.vendorRisk.minEventLevel}`,
  },
  {
    rule: 'vendor-compromise',
    what: 'the vendor confirmed the account compromised, or the user reported the activity as not theirs',
    reads: is('risk', 'confirmed-compromised', 'user-reported'),
    settings: () => '—',
  },
  {
    rule: 'lockout-burst',
    what: 'many accounts locked out in a tenant, or one account locked again and again',
    reads: (c) =>
      is('account-change', 'lock')(c) || (c.category === 'authentication' && Boolean(c.lockedOut)),
    window: true,
    settings: (c) =>
      `lockoutBurst: ${c.lockoutBurst.distinctUsers} accounts or ${c.lockoutBurst.perUser} times one account in ${min(c.lockoutBurst.windowMs)}`,
  },
  {
    rule: 'anonymizer-sign-in',
    what: 'a successful sign-in through Tor, a VPN, a proxy or a hosting network',
    reads: logon,
    settings: (c) => `anonymizer.kinds: ${c.anonymizer.kinds.join(', ')}`,
  },
  {
    rule: 'phishable-flow',
    what: 'a successful sign-in by device code (a phishing path), legacy authentication or a password grant',
    reads: logon,
    settings: () => '—',
  },
  {
    rule: 'client-secret-misuse',
    what: "a confidential client's secret used from a new address after a baseline",
    reads: logon,
    window: true,
    settings: (c) => `clientSource: baseline ${c.clientSource.minBaselineLogins} logins`,
  },
  {
    rule: 'forged-token',
    what: 'valid tokens for sessions the provider never issued, for several accounts',
    reads: is('authentication', 'token-use'),
    window: true,
    settings: (c) =>
      `forgedToken: ${c.forgedToken.distinctUsers} accounts in ${min(c.forgedToken.windowMs)}, armed after ${min(c.forgedToken.armAfterMs)}`,
  },
  {
    rule: 'watchlist-match',
    what: 'a login from an address or client an earlier incident attributed to the attacker',
    reads: logon,
    settings: () => 'indicators from post-incident reviews',
  },
];
