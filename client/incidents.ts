/**
 * Opening incidents from outside a workflow: the REST API (responders) and the detection
 * activities (alerts) both come through here, so an alert and a responder open or join the same
 * incident the same way.
 */
import { Client, WithStartWorkflowOperation } from '@temporalio/client';
import type { Alert, IncidentState, PlaybookId, Principal, Severity } from '../domain/incident';
import { workflowTypeOf } from '../domain/playbooks';
import type { ApproverRoute, PolicyOverrides } from '../domain/policy';
import { incidentIdFor, principalKey } from '../domain/principal-key';
import {
  AlertReceipt,
  Escalation,
  IncidentInput,
  raiseAlertUpdate,
  searchAttributes,
} from '../workflows/definitions';

/** Every playbook's workflow has this shape (named by type, so this module imports no workflow code). */
type Playbook = (input: IncidentInput) => Promise<IncidentState>;

export interface OpenIncidentCommand {
  playbook: PlaybookId;
  principal: Principal;
  severity: Severity;
  summary: string;
  openedBy: string;
  alert: Alert;
  suspectTokenRefs?: string[];
  policy?: PolicyOverrides;
  /** The deployment's approver routing (config APPROVER_ROUTES). */
  approverRoutes?: ApproverRoute[];
  escalation?: Escalation;
  /** When the compromise is believed to have started (ISO); the investigation window opens there. */
  compromisedSince?: string;
  tokenForgerySuspected?: boolean;
  sessionId?: string;
  clientId?: string;
  /** On the deployment's protected list (isProtectedPrincipal): nothing automatic, two approvers. */
  protectedPrincipal?: boolean;
}

/**
 * The incident the alert went to. `unconfirmed`: the incident is running (the alert started it, or
 * it was open) but no worker confirmed the alert in time; re-sending the same alert id is safe.
 */
export type IncidentReceipt = { incidentId: string; runId: string } & (
  AlertReceipt | { unconfirmed: true; joined?: undefined; severity?: undefined; phase?: undefined }
);

/**
 * Starts the playbook for the principal, or — when an incident about that principal is open —
 * delivers the alert to it (it joins, and raises the severity when higher). Atomic on the server:
 * update-with-start on the principal's incident id. Re-sending the same alert id counts once.
 */
export async function openOrJoinIncident(
  client: Client,
  taskQueue: string,
  cmd: OpenIncidentCommand,
): Promise<IncidentReceipt> {
  // An account a responder added to another incident: its alerts go there.
  const joined = await joinHoldingIncident(client, cmd.principal, cmd.alert);
  if (joined) return joined;
  const incidentId = incidentIdFor(cmd.principal);
  const input: IncidentInput = {
    ...cmd,
    principalKey: principalKey(cmd.principal),
    suspectTokenRefs: cmd.suspectTokenRefs ?? [],
  };
  const start = new WithStartWorkflowOperation<Playbook>(workflowTypeOf(cmd.playbook), {
    workflowId: incidentId,
    taskQueue,
    args: [input],
    workflowIdConflictPolicy: 'USE_EXISTING',
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    typedSearchAttributes: [
      { key: searchAttributes.principal, value: input.principalKey },
      { key: searchAttributes.playbook, value: cmd.playbook },
      { key: searchAttributes.severity, value: cmd.severity },
      { key: searchAttributes.phase, value: 'triage' },
    ],
    staticSummary: `${cmd.playbook}: ${cmd.summary}`.slice(0, 200),
  });
  try {
    // The start is durable at once; the receipt needs a worker. Wait for it a bounded time only:
    // with every worker down (crashed, deploying) the caller still gets an answer.
    const receipt = await client.withDeadline(Date.now() + RECEIPT_WAIT_MS, () =>
      client.workflow.executeUpdateWithStart(raiseAlertUpdate, {
        args: [cmd.alert],
        updateId: `alert-${cmd.alert.id}`,
        startWorkflowOperation: start,
      }),
    );
    const { runId } = await (await start.workflowHandle()).describe();
    return { incidentId, runId, ...receipt };
  } catch (err) {
    // Did the incident start (or was it open) anyway? Then the engine has it: say so, unconfirmed.
    const described = await client.workflow
      .getHandle(incidentId)
      .describe()
      .catch(() => undefined);
    if (described?.status.name !== 'RUNNING') throw err;
    return { incidentId, runId: described.runId, unconfirmed: true };
  }
}

/**
 * The open incident this principal was added to (search attribute IncidentRelatedPrincipals), with
 * the alert delivered to it, marked `about` the principal. Undefined when there is none, or when it
 * is closing (the principal then gets an incident of its own).
 */
async function joinHoldingIncident(
  client: Client,
  principal: Principal,
  alert: Alert,
): Promise<IncidentReceipt | undefined> {
  const key = principalKey(principal);
  const query = `${searchAttributes.relatedPrincipals.name} = '${key}' AND ExecutionStatus = 'Running'`;
  for await (const wf of client.workflow.list({ query, pageSize: 1 })) {
    try {
      const receipt = await client.workflow.getHandle(wf.workflowId).executeUpdate(raiseAlertUpdate, {
        args: [{ ...alert, about: principal.username }],
        updateId: `alert-${alert.id}`,
      });
      return { incidentId: wf.workflowId, runId: wf.runId, ...receipt };
    } catch (err) {
      const e = err as Error & { cause?: { type?: string } };
      const gone =
        e.name === 'WorkflowNotFoundError' ||
        ['IncidentClosing', 'IncidentClosed'].includes(e.cause?.type ?? '');
      if (gone) return undefined;
      throw err;
    }
  }
  return undefined;
}

/** How long an API call waits for a worker to confirm an alert before answering 202. */
export const RECEIPT_WAIT_MS = 10_000;

/**
 * Delivers an alert to the principal's incident only if one is open; returns undefined otherwise.
 * For alerts that should raise an open incident's severity but never open one by themselves.
 */
export async function joinOpenIncident(
  client: Client,
  principal: Principal,
  alert: Alert,
): Promise<AlertReceipt | undefined> {
  const held = await joinHoldingIncident(client, principal, alert);
  if (held)
    return {
      joined: held.joined ?? true,
      severity: held.severity ?? alert.severity,
      phase: held.phase ?? 'triage',
    };
  const handle = client.workflow.getHandle(incidentIdFor(principal));
  try {
    const { status } = await handle.describe();
    if (status.name !== 'RUNNING') return undefined;
    return await handle.executeUpdate(raiseAlertUpdate, { args: [alert], updateId: `alert-${alert.id}` });
  } catch (err) {
    if ((err as Error).name === 'WorkflowNotFoundError') return undefined;
    throw err;
  }
}
