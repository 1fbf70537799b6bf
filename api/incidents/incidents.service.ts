/**
 * Incidents are Temporal workflows: this service starts or joins them (update-with-start), reads
 * them (query, visibility) and sends responders' decisions to them (updates with validators).
 */
import {
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
  ServiceUnavailableException,
} from '@nestjs/common';
import { drillFrom, NoStoryError, type Drill } from '../../exercises/drill';
import { Client, WorkflowExecutionInfo, WorkflowHandle } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { temporal } from '@temporalio/proto';
import { decodeTypedSearchAttributes } from '@temporalio/common/lib/converter/payload-search-attributes';
import { tsToDate } from '@temporalio/common/lib/time';
import { pageToken } from '../common/cursor';
import { verifyIncidentEvidence } from '../../evidence/store';
import { buildReview, ReviewReport } from '../../domain/review';
import {
  REALM_SUBJECT,
  type Alert,
  type IncidentState,
  type Principal,
  type RequestOrigin,
  isProtectedPrincipal,
} from '../../domain/incident';
import { principalKey } from '../../domain/principal-key';
import { IncidentReceipt, openOrJoinIncident } from '../../client/incidents';
import { incidentWorkflowClauses } from '../../domain/playbooks';
import { requirePrincipalKeySecret, type EngineConfig } from '../../config/config';
import type { EvidenceStore } from '../../evidence/local-store';
import type { SealedTokens } from '../../evidence/sealed-tokens';
import {
  addNoteUpdate,
  addPrincipalUpdate,
  closeIncidentUpdate,
  decideApprovalUpdate,
  incidentStateQuery,
  searchAttributes,
  userAnswerUpdate,
} from '../../workflows/definitions';
import { validChallengeToken } from '../../domain/user-challenge';
import { ENGINE_CONFIG, EVIDENCE_STORE, SEALED_TOKENS, TEMPORAL_CLIENT } from '../temporal/temporal.module';
import type {
  AddPrincipalBody,
  CloseIncidentBody,
  DecideApprovalBody,
  ListIncidentsQuery,
  OpenIncidentRequest,
} from './incident.schemas';

export type OpenedIncident = IncidentReceipt & {
  links: { self: string; temporalUi?: string };
};

/** The innermost cause's message of a workflow failure (decrypted by the client's converter). */
function causeText(err: Error): string {
  let e: Error | undefined = err;
  while ((e as { cause?: Error }).cause) e = (e as { cause?: Error }).cause;
  return (e?.message ?? err.message).slice(0, 500);
}

/** How long one read of an incident's state waits for the worker, and how many times it asks. */
const READ_DEADLINE_MS = 2_500;
const READ_TRIES = 2;

/**
 * A query no worker answered in time. Which error says so depends on who gave up first: the
 * client's deadline (DEADLINE_EXCEEDED), the frontend ("query timed out before a worker could
 * process it"), the history service's own context (CANCELLED, "context deadline exceeded") or its
 * "workflow not ready" answer; the code and words may sit on any cause in the chain.
 */
export function workerDidNotAnswer(err: unknown): boolean {
  for (
    let e = err as { code?: unknown; message?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 5;
    e = e.cause as typeof e, depth++
  ) {
    if (e.code === GRPC_DEADLINE_EXCEEDED || e.code === GRPC_CANCELLED) return true;
    if (
      /deadline exceeded|query timed out|context canceled|not ready to handle/i.test(String(e.message ?? ''))
    )
      return true;
  }
  return false;
}

const GRPC_CANCELLED = 1;
const GRPC_DEADLINE_EXCEEDED = 4;

@Injectable()
export class IncidentsService {
  constructor(
    @Inject(TEMPORAL_CLIENT) private readonly temporal: Client,
    @Inject(ENGINE_CONFIG) private readonly config: EngineConfig,
    @Inject(EVIDENCE_STORE) private readonly evidenceStore: EvidenceStore,
    @Inject(SEALED_TOKENS) private readonly sealed: SealedTokens,
  ) {}

  /** Keys list cursors (api/common/cursor.ts); the API refuses to start without the secret. */
  private get cursorKey(): Buffer {
    return requirePrincipalKeySecret(this.config);
  }

  async open(req: OpenIncidentRequest, actor: string, origin?: RequestOrigin): Promise<OpenedIncident> {
    // A signing-key compromise is about the realm, not an account: one open incident per realm.
    const principal: Principal =
      req.playbook === 'signing-key-compromise'
        ? { ...req.principal, username: REALM_SUBJECT }
        : req.principal;
    const alert: Alert = {
      id: req.alertId ?? randomUUID(),
      source: req.source,
      severity: req.severity,
      summary: req.summary,
      raisedAt: new Date().toISOString(),
      reportedBy: actor,
      ...(origin ? { origin } : {}),
    };
    const suspectTokenRefs = await Promise.all((req.suspectTokens ?? []).map((t) => this.sealed.seal(t)));
    const receipt = await openOrJoinIncident(this.temporal, this.config.temporal.taskQueue, {
      playbook: req.playbook,
      principal,
      severity: req.severity,
      summary: req.summary,
      openedBy: actor,
      alert,
      suspectTokenRefs,
      policy: req.policy,
      ...(this.config.approverRoutes?.length ? { approverRoutes: this.config.approverRoutes } : {}),
      compromisedSince: req.compromisedSince,
      tokenForgerySuspected: req.tokenForgerySuspected,
      escalation: req.escalation,
      sessionId: req.sessionId,
      clientId: req.clientId,
      ...(isProtectedPrincipal(principal, this.config.protectedPrincipals)
        ? { protectedPrincipal: true }
        : {}),
    });
    return { ...receipt, links: this.links(receipt.incidentId) };
  }

  async list(q: ListIncidentsQuery) {
    // This deployment's incidents: those on its task queue (as GET /alerts reads its detectors).
    const clauses = incidentWorkflowClauses(this.config.temporal.taskQueue);
    if (q.phase) clauses.push(`${searchAttributes.phase.name} = '${q.phase}'`);
    if (q.severity) clauses.push(`${searchAttributes.severity.name} = '${q.severity}'`);
    if (q.username && q.provider && q.realm) {
      const key = principalKey({ provider: q.provider, realm: q.realm, username: q.username });
      // The principal's own incidents and those it was added to.
      clauses.push(
        `(${searchAttributes.principal.name} = '${key}' OR ${searchAttributes.relatedPrincipals.name} = '${key}')`,
      );
    }
    if (q.status === 'open') clauses.push(`ExecutionStatus = 'Running'`);
    if (q.status === 'closed') clauses.push(`ExecutionStatus != 'Running'`);
    // One visibility page per request; its token is the cursor of the next.
    const page = await this.temporal.workflowService.listWorkflowExecutions({
      namespace: this.config.temporal.namespace,
      query: clauses.join(' AND '),
      pageSize: q.limit,
      ...(q.cursor ? { nextPageToken: pageToken.decode(q.cursor, this.cursorKey) } : {}),
    });
    const incidents = (page.executions ?? []).map((raw) => this.summariseRaw(raw));
    const next = page.nextPageToken?.length
      ? pageToken.encode(page.nextPageToken, this.cursorKey)
      : undefined;
    return { incidents, ...(next ? { nextCursor: next } : {}) };
  }

  async get(
    incidentId: string,
    runId?: string,
  ): Promise<IncidentState & { execution: { runId: string; status: string } }> {
    const handle = this.temporal.workflow.getHandle(incidentId, runId);
    const [state, description] = await Promise.all([this.readState(handle), handle.describe()]);
    const execution = { runId: description.runId, status: description.status.name };
    if (state.status === 'open' && description.status.name !== 'RUNNING') {
      // The workflow ended without closing the incident (failed, terminated, timed out): say so.
      const failure = await handle.result().then(
        () => `the workflow ended ${description.status.name.toLowerCase()}`,
        (err: Error) => causeText(err),
      );
      const status = description.status.name === 'CANCELLED' ? 'cancelled' : 'failed';
      return { ...state, status, failure, execution };
    }
    return { ...state, execution };
  }

  /**
   * The incident's state from its workflow (a query the worker answers). A read never hangs on a
   * worker that does not answer: each try is bounded, a second try goes as a new query task, and
   * then the answer is a 503 saying so — the incident itself goes on either way.
   */
  private async readState(handle: WorkflowHandle): Promise<IncidentState> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.temporal.connection.withDeadline(Date.now() + READ_DEADLINE_MS, () =>
          handle.query(incidentStateQuery),
        );
      } catch (err) {
        if (!workerDidNotAnswer(err)) throw err;
        if (attempt >= READ_TRIES) {
          throw new ServiceUnavailableException({
            error: 'WorkerNotAnswering',
            message: `no worker answered for incident ${handle.workflowId} within ${(READ_TRIES * READ_DEADLINE_MS) / 1000} s (is a worker running on its task queue?); the incident goes on, read it again`,
          });
        }
      }
    }
  }

  async decide(
    incidentId: string,
    body: DecideApprovalBody,
    actor: string,
    origin?: RequestOrigin,
    groups: string[] = [],
  ) {
    return this.temporal.workflow.getHandle(incidentId).executeUpdate(decideApprovalUpdate, {
      args: [{ ...body, actor, origin, ...(groups.length ? { groups } : {}) }],
    });
  }

  async close(incidentId: string, body: CloseIncidentBody, actor: string, origin?: RequestOrigin) {
    return this.temporal.workflow
      .getHandle(incidentId)
      .executeUpdate(closeIncidentUpdate, { args: [{ ...body, actor, origin }] });
  }

  async addNote(incidentId: string, text: string, actor: string, origin?: RequestOrigin) {
    return this.temporal.workflow
      .getHandle(incidentId)
      .executeUpdate(addNoteUpdate, { args: [{ text, actor, origin }] });
  }

  /** Proposes an account of the incident's realm for its scope; answers with the approval to decide. */
  async addPrincipal(incidentId: string, body: AddPrincipalBody, actor: string, origin?: RequestOrigin) {
    const handle = this.temporal.workflow.getHandle(incidentId);
    const { principal: own } = await this.readState(handle);
    const principal: Principal = { provider: own.provider, realm: own.realm, username: body.username };
    return handle.executeUpdate(addPrincipalUpdate, {
      args: [{ principal, principalKey: principalKey(principal), reason: body.reason, actor, origin }],
    });
  }

  /** Whether a "was this you?" token is good for the incident's open question. */
  async checkUserChallenge(
    incidentId: string,
    token: string,
  ): Promise<'ok' | 'invalid' | 'expired' | 'answered'> {
    const secret = this.config.userChallenge?.secret;
    if (!secret) return 'invalid';
    const state = await this.temporal.workflow
      .getHandle(incidentId)
      .query(incidentStateQuery)
      .catch(() => undefined);
    const c = state?.userChallenge;
    if (!c || !validChallengeToken(secret, incidentId, c.askedAt, token)) return 'invalid';
    if (c.status !== 'pending') return 'answered';
    if (Date.now() > Date.parse(c.expiresAt)) return 'expired';
    return 'ok';
  }

  async recordUserAnswer(incidentId: string, answer: 'me' | 'not-me', origin?: RequestOrigin) {
    return this.temporal.workflow
      .getHandle(incidentId)
      .executeUpdate(userAnswerUpdate, { args: [{ answer, origin }] });
  }

  /** The investigation report (from the evidence store), or 404 while none has been written. */
  async investigation(incidentId: string) {
    const state = await this.readState(this.temporal.workflow.getHandle(incidentId));
    const hash = state.investigation?.reportHash;
    if (!hash) {
      throw new NotFoundException({
        error: 'NotYetAvailable',
        message: `incident ${incidentId} has no investigation yet (phase '${state.phase}')`,
      });
    }
    return this.evidenceStore.read(hash);
  }

  /**
   * The latest post-incident review written to evidence; while the incident has not reached its
   * review, a draft built from the current state (marked `draft: true`).
   */
  async review(incidentId: string): Promise<ReviewReport & { draft?: boolean }> {
    const state = await this.readState(this.temporal.workflow.getHandle(incidentId));
    const written = [...state.evidence].reverse().find((e) => e.kind === 'post-incident-review');
    if (written) return (await this.evidenceStore.read(written.objectHash)) as ReviewReport;
    const { verification } = await verifyIncidentEvidence(
      this.evidenceStore,
      state.evidenceId,
      state.evidence,
      { running: state.status === 'open' },
    );
    return { ...buildReview(state, verification, new Date().toISOString()), draft: true };
  }

  /** A closed incident as a drill (exercises/drill.ts); 409 when there is no story to replay. */
  async drill(incidentId: string): Promise<Drill> {
    const state = await this.get(incidentId);
    try {
      return drillFrom(state);
    } catch (err) {
      if (err instanceof NoStoryError)
        throw new ConflictException({ error: 'NoStory', message: err.message });
      throw err;
    }
  }

  async evidence(incidentId: string, runId?: string) {
    const handle = this.temporal.workflow.getHandle(incidentId, runId);
    const [state, description] = await Promise.all([this.readState(handle), handle.describe()]);
    const { manifest, verification } = await verifyIncidentEvidence(
      this.evidenceStore,
      state.evidenceId,
      state.evidence,
      { running: description.status.name === 'RUNNING' },
    );
    return { incidentId, evidenceId: state.evidenceId, manifest, verification };
  }

  /** A visibility record as the list shows it (the raw page, decoded as the SDK's list would). */
  private summariseRaw(raw: temporal.api.workflow.v1.IWorkflowExecutionInfo) {
    const status = temporal.api.enums.v1.WorkflowExecutionStatus[raw.status ?? 0] ?? 'UNSPECIFIED';
    return this.summarise({
      workflowId: raw.execution?.workflowId ?? '',
      runId: raw.execution?.runId ?? '',
      status: { name: status.replace(/^WORKFLOW_EXECUTION_STATUS_/, '') },
      startTime: tsToDate(raw.startTime!),
      closeTime: raw.closeTime ? tsToDate(raw.closeTime) : undefined,
      typedSearchAttributes: decodeTypedSearchAttributes(raw.searchAttributes?.indexedFields),
    });
  }

  private summarise(
    wf: Pick<
      WorkflowExecutionInfo,
      'workflowId' | 'runId' | 'startTime' | 'closeTime' | 'typedSearchAttributes'
    > & {
      status: { name: string };
    },
  ) {
    const sa = wf.typedSearchAttributes;
    return {
      incidentId: wf.workflowId,
      runId: wf.runId,
      playbook: sa.get(searchAttributes.playbook),
      phase: sa.get(searchAttributes.phase),
      severity: sa.get(searchAttributes.severity),
      principalKey: sa.get(searchAttributes.principal),
      pendingApprovals: sa.get(searchAttributes.pendingApprovals) ?? [],
      status: wf.status.name,
      startedAt: wf.startTime.toISOString(),
      closedAt: wf.closeTime?.toISOString(),
      links: this.links(wf.workflowId),
    };
  }

  private links(incidentId: string) {
    const ui = this.config.temporal.uiUrl;
    return {
      self: `/incidents/${incidentId}`,
      temporalUi: ui
        ? `${ui}/namespaces/${this.config.temporal.namespace}/workflows/${incidentId}`
        : undefined,
    };
  }
}
