/**
 * Containment activities: snapshot first, then cut every way in (password, sessions, offline
 * tokens, the account), verify that it holds, and the compensations that undo a step.
 */
import {
  isProtectedPrincipal,
  type ActionOutcome,
  type ContainmentVerification,
  type Principal,
} from '../domain/incident';
import { IdentityProviderError, type AccessState, type RoleGrant } from '../providers/ports';
import { ActivityContext } from './context';
import { asActivityFailure } from './failures';
import type { ActionInput, EvidenceInput, PrincipalInput, SnapshotResult, VerifyInput } from './inputs';

/** One provider action: its failures become the Temporal failures they mean. */
export function action(fn: (input: ActionInput) => Promise<ActionOutcome>) {
  return async function (input: ActionInput): Promise<ActionOutcome> {
    return asActivityFailure(() => fn(input));
  };
}

export function containmentActivities(ctx: ActivityContext) {
  const accounts = (p: Principal) => ctx.port(p, 'account-containment');
  const sessions = (p: Principal) => ctx.port(p, 'sessions-and-tokens');
  return {
    async snapshotEvidence(
      input: PrincipalInput & EvidenceInput & { lookbackMs: number },
    ): Promise<SnapshotResult> {
      const snapshot = await asActivityFailure(() =>
        ctx.port(input.principal, 'audit-source').snapshot(input.principal, input.lookbackMs),
      );
      const ref = await ctx.record(input.evidenceId, 'principal-snapshot', snapshot);
      // Named by its id or e-mail, a protected account would not match the list by that name.
      const identity = ctx.deps.protectedPrincipals?.length
        ? await ctx.port(input.principal, 'audit-source').identify(input.principal)
        : undefined;
      const names = identity ? [identity.username, ...identity.aliases] : [];
      const isProtected = names.some((username) =>
        isProtectedPrincipal({ ...input.principal, username }, ctx.deps.protectedPrincipals),
      );
      return {
        ...(isProtected ? { protectedPrincipal: true } : {}),
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

    revokeSessions: action(async ({ principal, since, evidenceId }) => {
      const outcome = await sessions(principal).revokeSessions(principal, { since });
      // Which relying parties the identity provider told (back-channel logout) is evidence.
      if (!outcome.loggedOutClients?.length || !evidenceId) return outcome;
      const evidence = await ctx.record(evidenceId, 'backchannel-logout', {
        principal,
        clients: outcome.loggedOutClients,
      });
      return { ...outcome, evidence };
    }),
    revokeOfflineAccess: action(({ principal }) => sessions(principal).revokeOfflineAccess(principal)),
    requireReauthentication: action(({ principal, since }) =>
      accounts(principal).requireReauthentication(principal, { since }),
    ),
    disableAccount: action(({ principal }) => accounts(principal).disableAccount(principal)),

    /** Suspends an account (disabled, sessions cut); `changed` says it was enabled before. */
    suspendAccount: action(async ({ principal }) => {
      const disabled = await accounts(principal).disableAccount(principal);
      const cut = await sessions(principal).revokeSessions(principal);
      return {
        action: 'suspendAccount' as const,
        changed: disabled.changed,
        detail: `${disabled.detail}; ${cut.detail}`,
      };
    }),

    /** Ends one (stolen) session, leaving the principal's others alone. */
    revokeSession: action(({ principal, sessionId }) => {
      if (!sessionId)
        throw new IdentityProviderError('BadActionInput', 'BadActionInput: no session given', false);
      return sessions(principal).revokeSession(principal, sessionId);
    }),

    /** Read-only access state for a playbook's own verification. */
    async inspectAccess(
      input: PrincipalInput & { grant?: RoleGrant; sessionId?: string },
    ): Promise<AccessState> {
      return asActivityFailure(() =>
        accounts(input.principal).inspect(input.principal, input.grant, input.sessionId),
      );
    },

    /** Compensation: the account enabled again as it was, nothing demanded at next login. */
    restoreAccount: action(({ principal }) => accounts(principal).enableAccount(principal)),

    async verifyContainment(input: VerifyInput): Promise<{
      verification: ContainmentVerification;
      ref: Awaited<ReturnType<ActivityContext['record']>>;
    }> {
      const suspectTokens = await Promise.all(
        input.suspectTokenRefs.map((ref) => ctx.deps.sealedTokens.open(ref)),
      );
      const checks = await asActivityFailure(() =>
        accounts(input.principal).verifyContainment(input.principal, {
          containedAt: input.containedAt,
          accountDisabled: input.accountDisabled,
          cutFrom: input.cutFrom,
          suspectTokens,
        }),
      );
      const verification: ContainmentVerification = {
        verified: checks.length > 0 && checks.every((c) => c.ok),
        checkedAt: new Date().toISOString(),
        checks,
      };
      const ref = await ctx.record(input.evidenceId, 'containment-verification', verification);
      return { verification, ref };
    },
  };
}
