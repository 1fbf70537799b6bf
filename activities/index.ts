/**
 * Everything playbooks do to the world goes through these activities. Built by a factory so the
 * worker and the tests wire real or different dependencies without globals.
 */
import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import type { EvidenceStore } from '../evidence/local-store';
import type { SealedTokens } from '../evidence/sealed-tokens';
import type {
  ActionOutcome,
  ContainmentVerification,
  EvidenceRef,
  Principal,
  ProviderName,
} from '../domain/incident';
import { asActivityFailure } from './failures';
import type { IdentityProvider } from './identity-provider';
import type { Notification, Notifier } from './notifier';

export interface ActivityDeps {
  providers: Partial<Record<ProviderName, IdentityProvider | undefined>>;
  evidence: EvidenceStore;
  sealedTokens: SealedTokens;
  notifier: Notifier;
}

export interface PrincipalInput {
  principal: Principal;
}

/** An identity-provider action; `since` (the incident's start) lets a retry tell its own effect apart. */
export interface ActionInput extends PrincipalInput {
  since?: string;
}

/** Activities that add to an incident's evidence chain name it by `evidenceId`. */
export interface EvidenceInput {
  evidenceId: string;
}

export interface SnapshotResult {
  ref: EvidenceRef;
  counts: {
    sessions: number;
    offlineSessions: number;
    consents: number;
    credentials: number;
    loginEvents: number;
  };
}

export interface VerifyInput extends PrincipalInput, EvidenceInput {
  containedAt: string;
  accountDisabled: boolean;
  suspectTokenRefs: string[];
}

export function createActivities(deps: ActivityDeps) {
  const provider = (p: Principal): IdentityProvider => {
    const found = deps.providers[p.provider];
    if (!found) {
      throw ApplicationFailure.nonRetryable(
        `no connector configured for provider '${p.provider}'`,
        'ProviderNotConfigured',
      );
    }
    return found;
  };

  const record = async (evidenceId: string, kind: string, content: unknown): Promise<EvidenceRef> => {
    const { entry } = await deps.evidence.record(evidenceId, kind, content, idempotencyKey());
    return { kind, objectHash: entry.objectHash, entryHash: entry.entryHash, seq: entry.seq };
  };

  const act = (fn: (p: IdentityProvider, input: ActionInput) => Promise<ActionOutcome>) =>
    async function (input: ActionInput): Promise<ActionOutcome> {
      return asActivityFailure(() => fn(provider(input.principal), input));
    };

  return {
    async snapshotEvidence(
      input: PrincipalInput & EvidenceInput & { lookbackMs: number },
    ): Promise<SnapshotResult> {
      const snapshot = await asActivityFailure(() =>
        provider(input.principal).snapshot(input.principal, input.lookbackMs),
      );
      const ref = await record(input.evidenceId, 'principal-snapshot', snapshot);
      return {
        ref,
        counts: {
          sessions: snapshot.sessions.length,
          offlineSessions: snapshot.offlineSessions.length,
          consents: snapshot.consents.length,
          credentials: snapshot.credentials.length,
          loginEvents: snapshot.recentLoginEvents.length,
        },
      };
    },

    /** Records non-secret incident facts (alerts, decisions) in the evidence chain. */
    async recordEvidence(input: EvidenceInput & { kind: string; content: unknown }): Promise<EvidenceRef> {
      return record(input.evidenceId, input.kind, input.content);
    },

    revokeSessions: act((p, { principal, since }) => p.revokeSessions(principal, { since })),
    revokeOfflineAccess: act((p, { principal }) => p.revokeOfflineAccess(principal)),
    requireReauthentication: act((p, { principal }) => p.requireReauthentication(principal)),
    disableAccount: act((p, { principal }) => p.disableAccount(principal)),

    async verifyContainment(
      input: VerifyInput,
    ): Promise<{ verification: ContainmentVerification; ref: EvidenceRef }> {
      const suspectTokens = await Promise.all(
        input.suspectTokenRefs.map((ref) => deps.sealedTokens.open(ref)),
      );
      const checks = await asActivityFailure(() =>
        provider(input.principal).verifyContainment(input.principal, {
          containedAt: input.containedAt,
          accountDisabled: input.accountDisabled,
          suspectTokens,
        }),
      );
      const verification: ContainmentVerification = {
        verified: checks.length > 0 && checks.every((c) => c.ok),
        checkedAt: new Date().toISOString(),
        checks,
      };
      const ref = await record(input.evidenceId, 'containment-verification', verification);
      return { verification, ref };
    },

    async notify(notification: Notification): Promise<void> {
      await deps.notifier.notify(notification);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** Same key on every retry of one activity execution, different for every other execution. */
function idempotencyKey(): string {
  const info = activityInfo();
  const run = info.workflowExecution;
  return `${run?.workflowId ?? 'standalone'}/${run?.runId ?? '-'}/${info.activityId}`;
}
