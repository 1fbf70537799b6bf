/**
 * What every group of activities shares: the dependencies the worker wires in, the provider port an
 * activity asks for (a port the provider lacks is a non-retryable "not supported by <provider>"),
 * and the evidence-chain writer keyed to the activity execution.
 */
import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import type { EvidenceRef, Principal, ProviderName } from '../domain/incident';
import type { PortName } from '../domain/ports';
import type { EvidenceStore } from '../evidence/local-store';
import type { SealedTokens } from '../evidence/sealed-tokens';
import {
  IdentityProviderError,
  portOf,
  type IdentityProvider,
  type Ports,
  type RoleGrant,
} from '../providers/ports';
import type { Notifier } from './notifier';

export interface ActivityDeps {
  providers: Partial<Record<ProviderName, IdentityProvider | undefined>>;
  evidence: EvidenceStore;
  sealedTokens: SealedTokens;
  notifier: Notifier;
  /**
   * PROTECTED_PRINCIPALS: the snapshot says when an account named by another of its names (its id,
   * its e-mail) is on the list, so nothing happens to it automatically however it was named.
   */
  protectedPrincipals?: import('../domain/incident').ProtectedPrincipal[];
  /** Recovery integrity checks by name (RECOVERY_CHECKS): playbooks name them, never give URLs. */
  recoveryChecks?: Record<string, string>;
  /** "Was this you?" links to users (USER_CHALLENGE_*). */
  userChallenge?: { secret: string; webhookUrl?: string; publicApiUrl: string };
  /**
   * Investigations this worker runs at once (default 4). They read a lot from the identity
   * provider; bounded, a burst of incidents gets its containment through before the investigations
   * of the accounts already contained compete with it.
   */
  investigationConcurrency?: number;
  /**
   * The SSF transmitter's event streams (workflows/ssf-stream.ts): where security events about a
   * contained account go. `issuerOf`: the identity provider's issuer for a principal, when known
   * (subjects as issuer and subject).
   */
  ssf?: {
    client: import('@temporalio/client').Client;
    taskQueue: string;
    issuerOf?: (principal: import('../domain/incident').Principal) => string | undefined;
  };
  /**
   * Global Token Revocation (GTR_APPS): the downstream apps asked to revoke a contained user's
   * tokens, the engine's issuer (PUBLIC_API_URL) and its signing key. `backoffMs` for tests.
   */
  gtr?: {
    apps: import('../ssf/gtr').GtrApp[];
    issuer: string;
    key: () => Promise<import('../ssf/set').SigningKey>;
    backoffMs?: number;
  };
}

export class ActivityContext {
  /** Slots for investigations (see ActivityDeps.investigationConcurrency). */
  readonly investigations: Slots;

  constructor(readonly deps: ActivityDeps) {
    this.investigations = new Slots(deps.investigationConcurrency ?? 4);
  }

  /** The connector for `p`'s provider, or a non-retryable ProviderNotConfigured. */
  provider(p: Principal): IdentityProvider {
    const found = Object.hasOwn(this.deps.providers, p.provider)
      ? this.deps.providers[p.provider]
      : undefined;
    if (!found) {
      throw ApplicationFailure.nonRetryable(
        `no connector configured for provider '${p.provider}'`,
        'ProviderNotConfigured',
      );
    }
    return found;
  }

  /** Port `name` of `p`'s provider; one it does not offer is a non-retryable PortNotSupported. */
  port<N extends PortName>(p: Principal, name: N): NonNullable<Ports[N]> {
    return portOf(this.provider(p), name);
  }

  /** Writes `content` to the incident's evidence chain, once per activity execution. */
  async record(evidenceId: string, kind: string, content: unknown): Promise<EvidenceRef> {
    const { entry, entryVersion } = await this.deps.evidence.record(
      evidenceId,
      kind,
      content,
      idempotencyKey(),
    );
    return {
      kind,
      objectHash: entry.objectHash,
      entryHash: entry.entryHash,
      seq: entry.seq,
      ...(entryVersion ? { entryVersion } : {}),
      ...(entry.objectVersion ? { objectVersion: entry.objectVersion } : {}),
    };
  }
}

export function needClient(clientId: string | undefined): string {
  if (!clientId) throw new IdentityProviderError('BadActionInput', 'BadActionInput: no client given', false);
  return clientId;
}

export function needGrant(grant: RoleGrant | undefined): RoleGrant {
  if (!grant) throw new IdentityProviderError('BadActionInput', 'BadActionInput: no role given', false);
  return grant;
}

/** Same key on every retry of one activity execution, different for every other execution. */
function idempotencyKey(): string {
  const info = activityInfo();
  const run = info.workflowExecution;
  return `${run?.workflowId ?? 'standalone'}/${run?.runId ?? '-'}/${info.activityId}`;
}

/** At most `size` holders at once; the others wait in arrival order. */
export class Slots {
  private busy = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly size: number) {}

  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.busy >= this.size) await new Promise<void>((resolve) => this.waiting.push(resolve));
    else this.busy++;
    try {
      return await fn();
    } finally {
      const next = this.waiting.shift();
      if (next)
        next(); // the slot passes straight to the next waiter
      else this.busy--;
    }
  }
}
