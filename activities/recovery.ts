/**
 * Recovery activities: reinstatement only behind a reset, its rollback when a new detection makes
 * it unsafe, the application checks a wave must pass, and the "was this you?" question to a user.
 */
import type { Principal } from '../domain/incident';
import { challengeToken } from '../domain/user-challenge';
import { action } from './containment';
import type { ActivityContext } from './context';
import type { RecoveryCheckInput } from './inputs';

export function recoveryActivities(ctx: ActivityContext) {
  const accounts = (p: Principal) => ctx.port(p, 'account-containment');
  return {
    reinstateAccount: action(async ({ principal, containedAt, evidenceId }) => {
      const outcome = await accounts(principal).reinstate(principal, {
        containedAt: containedAt ?? new Date().toISOString(),
      });
      if (!evidenceId) return outcome;
      return {
        ...outcome,
        evidence: await ctx.record(evidenceId, 'reinstatement', { principal, ...outcome }),
      };
    }),

    /** Undoes a reinstatement a new detection made unsafe: disabled again, sessions cut again. */
    rollBackReinstatement: action(async ({ principal, evidenceId }) => {
      const disabled = await accounts(principal).disableAccount(principal);
      const sessions = await ctx.port(principal, 'sessions-and-tokens').revokeSessions(principal);
      const outcome = {
        action: 'rollBackReinstatement' as const,
        changed: disabled.changed || sessions.changed,
        detail: `${disabled.detail}; ${sessions.detail}`,
      };
      if (!evidenceId) return outcome;
      return {
        ...outcome,
        evidence: await ctx.record(evidenceId, 'reinstatement-rollback', { principal, ...outcome }),
      };
    }),

    /**
     * One application integrity check for a recovery wave: POSTs the wave to the configured URL;
     * any 2xx passes. The answer's first 200 characters are kept as the detail.
     */
    async runRecoveryCheck(
      input: RecoveryCheckInput,
    ): Promise<{ name: string; ok: boolean; detail: string }> {
      const url = ctx.deps.recoveryChecks?.[input.name];
      if (!url)
        return {
          name: input.name,
          ok: false,
          detail: `no recovery check named '${input.name}' is configured`,
        };
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            incidentId: input.incidentId,
            wave: input.wave,
            principals: input.principals,
          }),
          signal: AbortSignal.timeout(10_000),
        });
        const text = (await res.text()).slice(0, 200);
        return { name: input.name, ok: res.ok, detail: `HTTP ${res.status}${text ? `: ${text}` : ''}` };
      } catch (err) {
        // Unreachable is a failed check (the wave holds), not an activity failure to retry for minutes.
        return { name: input.name, ok: false, detail: `no answer: ${(err as Error).message}` };
      }
    },

    /**
     * Asks the user "was this you?": sends a link (its token computed here, never returned or
     * logged) to the configured channel. `sent: false` says why nobody could be asked.
     */
    async challengeUser(input: {
      incidentId: string;
      principal: Principal;
      askedAt: string;
      expiresAt: string;
    }): Promise<{ sent: boolean; reason?: string }> {
      const c = ctx.deps.userChallenge;
      if (!c?.webhookUrl)
        return { sent: false, reason: 'no channel to reach users (USER_CHALLENGE_WEBHOOK_URL)' };
      const token = challengeToken(c.secret, input.incidentId, input.askedAt);
      const res = await fetch(c.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          kind: 'was-this-you',
          incidentId: input.incidentId,
          username: input.principal.username,
          realm: input.principal.realm,
          link: `${c.publicApiUrl}/incidents/${input.incidentId}/was-this-you?t=${token}`,
          expiresAt: input.expiresAt,
        }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`UserChallengeRejected: the user channel answered ${res.status}`);
      return { sent: true };
    },
  };
}
