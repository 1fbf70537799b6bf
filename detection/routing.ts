/**
 * Which playbook each rule's alert starts. Alerts that say "someone is attacking" but not "someone
 * got in" stay alerts: they raise the severity of an open incident about the same principal, but
 * never open one by themselves (a spray against 500 accounts is one alert, not 500 incidents).
 */
import type { PlaybookId } from '../domain/incident';
import type { RuleName } from './rules';

export type Route = PlaybookId | 'alert-only';

export const ROUTES: Record<RuleName, Route> = {
  'credential-compromise-after-burst': 'compromised-credential',
  'password-spray': 'compromised-credential', // with a principal: the sprayed account then logged in
  'mfa-fatigue-accepted': 'mfa-fatigue',
  'impossible-travel': 'compromised-credential',
  'session-reuse': 'session-hijack',
  'persistence-after-suspicious-login': 'compromised-credential',
  'privilege-escalation': 'privilege-escalation',
  'watchlist-match': 'compromised-credential',
  'client-secret-misuse': 'leaked-client-secret',
  'forged-token': 'signing-key-compromise',
  // The vendor (or the user) says the account is compromised, or saw its token replayed.
  'vendor-compromise': 'compromised-credential',
  'token-theft': 'compromised-credential',
  'failed-login-burst': 'alert-only',
  'distributed-password-spray': 'alert-only',
  'mfa-fatigue': 'alert-only',
  'mfa-disabled': 'alert-only',
  'new-country': 'alert-only',
  'new-network': 'alert-only',
  persistence: 'alert-only',
  impersonation: 'alert-only',
  'vendor-risk': 'alert-only',
  'lockout-burst': 'alert-only',
  'anonymizer-sign-in': 'alert-only',
  'phishable-flow': 'alert-only',
  'mfa-policy-weakened': 'alert-only',
};
