/**
 * The lab identity provider (lab/idp.ts) records Keycloak-shaped login and admin events, plus one
 * type Keycloak lacks: MFA_PUSH, a push prompt and its answer (approved, denied, timeout). Events
 * are the lab's own (provider 'lab'), so alerts about them route to the lab's connector.
 */
import { identityEvent, type IdentityEvent, type MfaResult } from '../events';
import { isRecord, obj, str } from '../fields';
import type { Parser } from './common';
import { parseKeycloak } from './keycloak';

const PUSH_RESULTS: readonly MfaResult[] = ['approved', 'denied', 'timeout', 'challenged'];

export const parseLab: Parser = (raw, ctx) =>
  parseKeycloak(raw, ctx).map((e) => {
    const lab = { ...e, provider: 'lab' } as IdentityEvent;
    if (e.vendorType !== 'MFA_PUSH' || !isRecord(raw)) return lab;
    const result = str(obj(raw, 'details') ?? {}, 'result') as MfaResult | undefined;
    const mfaResult = result && PUSH_RESULTS.includes(result) ? result : 'challenged';
    // The classification below replaces the generic one the Keycloak parser gave.
    return identityEvent(
      { ...lab, outcome: mfaResult === 'approved' ? 'success' : 'failure' },
      { category: 'authentication', activity: 'mfa', factor: 'push', mfaResult },
    );
  });
