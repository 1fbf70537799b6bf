/**
 * The ports a provider may offer (issue "providers as ports"): what a playbook can ask of an
 * identity provider, and what the permissions doctor checks a provider's credentials allow.
 */
export const PORTS = [
  'audit-source',
  'account-containment',
  'sessions-and-tokens',
  'factors',
  'roles-and-grants',
  'client-credentials',
  'signing-keys',
] as const;
export type PortName = (typeof PORTS)[number];

/** What the credentials allow for one port: all of it, part of it, none of it, or no such port. */
export interface PortCheck {
  port: PortName;
  status: 'ok' | 'partial' | 'missing' | 'not-supported';
  detail: string;
  /** What to grant the engine for the rest, in the provider's own terms. */
  grant?: string;
}

export interface ProviderReport {
  provider: string;
  /** Realm, org or tenant checked. */
  tenant: string;
  checkedAt: string;
  ports: PortCheck[];
}

/** True when every port the provider offers is fully allowed. */
export function reportOk(report: ProviderReport): boolean {
  return report.ports.every((p) => p.status === 'ok' || p.status === 'not-supported');
}

/** The check for a port a connector does not implement: named, never left out of a report. */
export function notSupportedCheck(provider: string, port: PortName): PortCheck {
  return {
    port,
    status: 'not-supported',
    detail: `not supported by ${provider}: the ${provider} connector has no ${port} port yet`,
  };
}
