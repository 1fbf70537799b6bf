/**
 * The permissions doctor for a provider the engine only reads (Okta, Entra ID today): one read-only
 * probe of its event API for `audit-source` (partial: events for detection, no investigation
 * connector yet), every other port not supported by that provider, said by name.
 */
import { PORTS, type PortCheck, type ProviderReport } from '../domain/ports';
import { IdentityProviderError } from './ports';

export async function collectorReport(
  provider: string,
  tenant: string,
  probe: () => Promise<unknown>,
  what: { events: string; grant: string },
): Promise<ProviderReport> {
  let audit: PortCheck;
  try {
    await probe();
    audit = {
      port: 'audit-source',
      status: 'partial',
      detail: `${what.events} readable (detection's collector); no ${provider} investigation connector yet`,
    };
  } catch (err) {
    const denied = err instanceof IdentityProviderError && !err.retryable;
    audit = {
      port: 'audit-source',
      status: 'missing',
      detail: `${what.events} ${denied ? 'refused' : 'could not be read'}: ${(err as Error).message.slice(0, 200)}`,
      ...(denied ? { grant: what.grant } : {}),
    };
  }
  const ports = PORTS.map((port) =>
    port === 'audit-source'
      ? audit
      : {
          port,
          status: 'not-supported' as const,
          detail: `not supported by ${provider}: no ${provider} containment connector yet`,
        },
  );
  return { provider, tenant, checkedAt: new Date().toISOString(), ports };
}
