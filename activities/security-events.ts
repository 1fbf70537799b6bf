/**
 * Telling relying parties (SSF receivers) what containment did: one activity per playbook step,
 * which finds the enabled event streams and gives each the event. The stream workflows sign and
 * deliver (workflows/ssf-stream.ts); each keeps which SETs its receiver acknowledged.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { DownstreamRevocation, EvidenceRef, Principal } from '../domain/incident';
import type { SecurityEventKind } from '../ssf/events';
import { requestRevocation } from '../ssf/gtr';
import { subjectOf, type SubjectFacts, type SubjectId } from '../ssf/subjects';
import { runningStreamsQuery, securityEventSignal } from '../workflows/ssf-definitions';
import type { ActivityContext } from './context';

export interface EmitSecurityEventsInput {
  principal: Principal;
  incidentId: string;
  events: { kind: SecurityEventKind; at: string }[];
  /** The one session the events are about (session hijack): a complex subject. */
  sessionId?: string;
}

export function securityEventActivities(ctx: ActivityContext) {
  return {
    async emitSecurityEvents(input: EmitSecurityEventsInput): Promise<{ streams: number; subject: string }> {
      const ssf = ctx.deps.ssf;
      if (!ssf) return { streams: 0, subject: 'none' };
      const facts = await subjectFactsOf(ctx, input.principal);
      const subject = subjectOf({ ...facts, ...(input.sessionId ? { sessionId: input.sessionId } : {}) });
      // The same person in every format known, for streams that asked for one (SSF `format`).
      const alternatives: SubjectId[] = [
        ...(facts.issuer && facts.userId
          ? [{ format: 'iss_sub' as const, iss: facts.issuer, sub: facts.userId }]
          : []),
        ...(facts.email ? [{ format: 'email' as const, email: facts.email }] : []),
        { format: 'opaque' as const, id: facts.username },
      ];
      const query = runningStreamsQuery(ssf.taskQueue);
      let streams = 0;
      const failed: string[] = [];
      for await (const wf of ssf.client.workflow.list({ query })) {
        streams++;
        const handle = ssf.client.workflow.getHandle(wf.workflowId);
        for (const e of input.events) {
          await handle
            .signal(securityEventSignal, {
              facts: { kind: e.kind, at: e.at, reasonAdmin: `contained by incident ${input.incidentId}` },
              subject,
              alternatives,
              txn: input.incidentId,
            })
            .catch((err: Error) => failed.push(`${wf.workflowId}: ${err.message}`));
        }
      }
      // A stream that could not be told is retried with the rest (signals are idempotent enough:
      // a receiver may see an event twice, never miss it).
      if (failed.length)
        throw ApplicationFailure.retryable(
          `could not reach ${failed.length} stream(s): ${failed[0]}`,
          'StreamUnreachable',
        );
      return { streams, subject: subject.format };
    },

    /**
     * Global Token Revocation at every downstream app (GTR_APPS), at once: each app's answer, after
     * up to three tries for answers that are not definitive, goes to the evidence chain and back to
     * the incident. An app that cannot be asked (no subject of its format) is an answer too.
     */
    async revokeDownstream(input: {
      principal: Principal;
      evidenceId: string;
    }): Promise<{ revocations: DownstreamRevocation[]; evidence?: EvidenceRef }> {
      const gtr = ctx.deps.gtr;
      if (!gtr?.apps.length) return { revocations: [] };
      const facts = await subjectFactsOf(ctx, input.principal);
      const key = await gtr.key();
      const revocations = await Promise.all(
        gtr.apps.map((app) => {
          const subject: SubjectId | undefined =
            app.subject === 'iss_sub'
              ? facts.issuer && facts.userId
                ? { format: 'iss_sub', iss: facts.issuer, sub: facts.userId }
                : undefined
              : facts.email
                ? { format: 'email', email: facts.email }
                : undefined;
          if (!subject)
            return {
              app: app.name,
              endpoint: app.endpoint,
              subject: app.subject,
              status: 'failed' as const,
              at: new Date().toISOString(),
              attempts: 0,
              detail: `not asked: ${input.principal.username} has no ${app.subject} identifier the engine knows`,
            };
          return requestRevocation({ app, subject, key, issuer: gtr.issuer, backoffMs: gtr.backoffMs });
        }),
      );
      const evidence = await ctx.record(input.evidenceId, 'global-token-revocation', {
        principal: input.principal,
        revocations,
      });
      return { revocations, evidence };
    },
  };
}

/** Who relying parties know: the identity provider's issuer and id, e-mail, login. */
async function subjectFactsOf(ctx: ActivityContext, principal: Principal): Promise<SubjectFacts> {
  const audit = Object.hasOwn(ctx.deps.providers, principal.provider)
    ? ctx.deps.providers[principal.provider as keyof typeof ctx.deps.providers]?.ports['audit-source']
    : undefined;
  const identity = await audit?.identify(principal).catch(() => undefined);
  const email = [principal.username, ...(identity?.aliases ?? [])].find((n) => /^[^@\s]+@[^@\s]+$/.test(n));
  return {
    issuer: ctx.deps.ssf?.issuerOf?.(principal),
    userId: identity?.id,
    ...(email ? { email } : {}),
    username: principal.username,
  };
}
