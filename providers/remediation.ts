/**
 * Eradication, the same for every provider: each finding's remedy goes to the port that applies
 * it. A refused step (permissions, a conflict) or a port the provider does not offer is recorded as
 * NOT done and the others still run; a retryable failure fails the activity, whose retry finds what
 * is already done (every port method reads before it writes).
 */
import type { Finding, Principal } from '../domain/incident';
import {
  IdentityProviderError,
  PortNotSupported,
  portOf,
  type EradicateOptions,
  type EradicationOutcome,
  type EradicationStep,
  type IdentityProvider,
} from './ports';

export async function eradicate(
  provider: IdentityProvider,
  principal: Principal,
  findings: Finding[],
  opts: EradicateOptions,
): Promise<EradicationOutcome> {
  const { since } = opts;
  const steps: EradicationStep[] = [];
  const attempt = async (f: Finding, step: () => Promise<EradicationStep>) => {
    try {
      steps.push(await step());
    } catch (err) {
      const final =
        err instanceof PortNotSupported || (err instanceof IdentityProviderError && !err.retryable);
      if (!final) throw err;
      steps.push({
        finding: f,
        changed: false,
        failed: true,
        before: '',
        after: `NOT done: ${(err as Error).message}`,
      });
    }
  };
  const notSupported = (what: string) => {
    throw new PortNotSupported(provider.name, 'client-credentials', what);
  };
  for (const f of findings) {
    if (f.kind === 'role-grant' && f.remedy === 'remove-grant')
      await attempt(f, () => portOf(provider, 'roles-and-grants').removeGrant(principal, f));
    else if (f.kind === 'factor' && f.remedy === 'remove-factor')
      await attempt(f, () => portOf(provider, 'factors').removeFactor(principal, f));
    else if (f.kind === 'client-used' && f.remedy === 'rotate-secret')
      await attempt(f, () => portOf(provider, 'client-credentials').rotateSecret(principal, f, { since }));
    else if (f.kind === 'client-used' && f.remedy === 'rotate-client-key')
      await attempt(f, async () => {
        const clients = portOf(provider, 'client-credentials');
        return clients.rotateKey ? clients.rotateKey(principal, f) : notSupported('client key rotation');
      });
    else if (f.kind === 'realm-setting' && f.remedy === 'harden-realm')
      await attempt(f, async () => {
        const keys = portOf(provider, 'signing-keys');
        if (!keys.harden) throw new PortNotSupported(provider.name, 'signing-keys', 'tenant hardening');
        return keys.harden(principal.realm, f);
      });
  }
  const keys = findings.filter(
    (f): f is Extract<Finding, { kind: 'signing-key' }> =>
      f.kind === 'signing-key' && f.remedy === 'rotate-signing-key',
  );
  if (keys.length)
    await attempt(keys[0], () =>
      portOf(provider, 'signing-keys').rotateSigningKeys(principal.realm, keys, {
        since,
        oldKeys: opts.oldSigningKeys ?? 'disable',
      }),
    );
  const changed = steps.filter((s) => s.changed).length;
  const failed = steps.filter((s) => s.failed).length;
  return {
    action: 'eradicate',
    changed: changed > 0,
    ...(failed ? { incomplete: true } : {}),
    detail: `${steps.length} remed${steps.length === 1 ? 'y' : 'ies'}${failed ? ` (${failed} FAILED)` : ''}: ${steps
      .map((s) => `${s.after}${s.changed || s.failed ? '' : ' (already)'}`)
      .join('; ')}`,
    steps,
  };
}
