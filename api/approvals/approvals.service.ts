/**
 * The responders' inbox: every approval still waiting, across this deployment's incidents, read
 * from visibility (each incident keeps its pending approvals in its memo) in one listing — never a
 * query per workflow. `canDecide` applies the same rules as the incident's update validator.
 */
import { Inject, Injectable } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import type { EngineConfig } from '../../config/config';
import { inboxEntries, INBOX_MEMO_KEY, type InboxEntry } from '../../domain/inbox';
import type { Phase, Severity } from '../../domain/incident';
import { incidentWorkflowClauses } from '../../domain/playbooks';
import { searchAttributes } from '../../workflows/definitions';
import type { Caller } from '../auth/auth';
import { ENGINE_CONFIG, TEMPORAL_CLIENT } from '../temporal/temporal.module';

/** Incidents with pending approvals read per request at most (an inbox longer than this is an outage of its own). */
export const INBOX_MAX_INCIDENTS = 1000;

@Injectable()
export class ApprovalsService {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(ENGINE_CONFIG) private readonly config: EngineConfig,
  ) {}

  async inbox(
    caller: Caller,
    opts: { mine: boolean },
  ): Promise<{ approvals: InboxEntry[]; truncated?: true }> {
    const query = [
      ...incidentWorkflowClauses(this.config.temporal.taskQueue),
      `ExecutionStatus = 'Running'`,
      `${searchAttributes.approvalsPendingSince.name} IS NOT NULL`,
    ].join(' AND ');
    const decider = { actor: caller.actor, id: caller.id, groups: caller.groups };
    const mayApprove = caller.roles.includes('approver');
    const approvals: InboxEntry[] = [];
    let seen = 0;
    let truncated = false;
    for await (const wf of this.temporal.workflow.list({ query, pageSize: 200 })) {
      if (++seen > INBOX_MAX_INCIDENTS) {
        truncated = true;
        break;
      }
      const attrs = wf.typedSearchAttributes;
      const entries = inboxEntries(
        {
          incidentId: wf.workflowId,
          playbook: attrs.get(searchAttributes.playbook),
          severity: attrs.get(searchAttributes.severity) as Severity | undefined,
          phase: attrs.get(searchAttributes.phase) as Phase | undefined,
        },
        wf.memo?.[INBOX_MEMO_KEY],
        decider,
        mayApprove,
      );
      approvals.push(...(opts.mine ? entries.filter((e) => e.canDecide) : entries));
    }
    // What runs out first comes first.
    approvals.sort((a, b) => (a.deadline < b.deadline ? -1 : a.deadline > b.deadline ? 1 : 0));
    return { approvals, ...(truncated ? { truncated: true as const } : {}) };
  }
}
