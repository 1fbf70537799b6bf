/**
 * Telling relying parties (SSF receivers) what containment did: one activity per playbook step,
 * which finds the enabled event streams and gives each the event. The stream workflows sign and
 * deliver (workflows/ssf-stream.ts); each keeps which SETs its receiver acknowledged.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Principal } from '../domain/incident';
import type { SecurityEventKind } from '../ssf/events';
import { subjectOf } from '../ssf/subjects';
import { runningStreamsQuery, securityEventSignal } from '../workflows/ssf-definitions';
import type { ActivityContext } from './context';

export interface EmitSecurityEventsInput {
  principal: Principal;
  incidentId: string;
  events: { kind: SecurityEventKind; at: string }[];
}

export function securityEventActivities(ctx: ActivityContext) {
  return {
    async emitSecurityEvents(input: EmitSecurityEventsInput): Promise<{ streams: number; subject: string }> {
      const ssf = ctx.deps.ssf;
      if (!ssf) return { streams: 0, subject: 'none' };
      // Who the receivers know: issuer and subject, else an e-mail, else the login.
      const audit = Object.hasOwn(ctx.deps.providers, input.principal.provider)
        ? ctx.deps.providers[input.principal.provider as keyof typeof ctx.deps.providers]?.ports[
            'audit-source'
          ]
        : undefined;
      const identity = await audit?.identify(input.principal).catch(() => undefined);
      const subject = subjectOf({
        issuer: ssf.issuerOf?.(input.principal),
        userId: identity?.id,
        email: [input.principal.username, ...(identity?.aliases ?? [])].find((n) => n.includes('@')),
        username: input.principal.username,
      });
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
  };
}
