/**
 * The approval inbox and approver routing on a real incident (Keycloak, Temporal): GET /approvals
 * lists a pending approval from visibility with its deadline, escalation and quorum, says who may
 * decide it and why others may not, and the routing in APPROVER_ROUTES is enforced by the
 * incident's update validator — not only shown. The inbox rides in the workflow's memo, encrypted.
 */
import { testConfig, rawTemporalClient } from './support/engine';
import { eventually } from './support/engine';
import { useEngine } from './support/use-engine';
import { KeycloakTestClient } from './support/keycloak';
import { readTestEnv } from './support/env';
import type { InboxEntry } from '../domain/inbox';

const RESPONDER = 'inbox.responder';
const LEAD = 'inbox.lead';
const OTHER = 'inbox.other';
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);

const engine = useEngine(() => ({
  ...testConfig(),
  approverRoutes: [
    {
      playbooks: ['compromised-credential'],
      actions: ['disableAccount'],
      severities: ['high', 'critical'],
      approvers: ['ir-leads'],
    },
  ],
}));

async function as(actor: string, groups: string[], method: string, route: string, body?: unknown) {
  const res = await fetch(`${engine.api.url}${route}`, {
    method,
    headers: {
      'content-type': 'application/json',
      'x-actor': actor,
      ...(groups.length ? { 'x-actor-groups': groups.join(',') } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  return { status: res.status, body: (await res.json()) as any };
}

const inbox = async (actor: string, groups: string[], query = ''): Promise<InboxEntry[]> => {
  const res = await as(actor, groups, 'GET', `/approvals${query}`);
  expect(res.status).toBe(200);
  return res.body.approvals as InboxEntry[];
};

it('lists the pending approval with who may decide it, and enforces the routing', async () => {
  const victim = await kc.createUser('inbox');
  const opened = await engine.api.openIncident(victim.username, RESPONDER, { severity: 'high' });
  expect(opened.status).toBe(201);
  const id: string = opened.body.incidentId;
  const approval = await engine.api.pendingApproval(id, 'disableAccount');
  expect(approval.approvers).toEqual(['ir-leads']);

  // The lead sees it as theirs to decide, with everything a decision needs.
  const [mine] = await eventually(async () => {
    const list = (await inbox(LEAD, ['ir-leads'], '?status=pending&mine=true')).filter(
      (e) => e.incidentId === id,
    );
    return list.length ? list : undefined;
  }, 'the approval in the lead inbox');
  expect(mine).toMatchObject({
    approvalId: approval.id,
    incidentId: id,
    playbook: 'compromised-credential',
    severity: 'high',
    action: 'disableAccount',
    summary: approval.summary,
    requestedBy: RESPONDER,
    requestedAt: approval.requestedAt,
    deadline: approval.deadline,
    escalation: { level: 0, of: 1, onTimeout: 'proceed' },
    quorum: { required: 1, approved: 0 },
    approvers: ['ir-leads'],
    decisions: [],
    canDecide: true,
  });
  expect(mine.whyNot).toBeUndefined();

  // The requester (four-eyes) and someone outside the group see it, each told why not; not "mine".
  const forRequester = (await inbox(RESPONDER, ['ir-leads'])).find((e) => e.incidentId === id);
  expect(forRequester).toMatchObject({ canDecide: false, whyNot: expect.stringMatching(/four-eyes/) });
  const forOther = (await inbox(OTHER, [])).find((e) => e.incidentId === id);
  expect(forOther).toMatchObject({ canDecide: false, whyNot: expect.stringMatching(/routed to 'ir-leads'/) });
  expect((await inbox(OTHER, [], '?mine=true')).some((e) => e.incidentId === id)).toBe(false);
  expect((await inbox(RESPONDER, ['ir-leads'], '?mine=true')).some((e) => e.incidentId === id)).toBe(false);
  // The principal of the incident is refused whatever groups it claims.
  const forVictim = (await inbox(victim.username, ['ir-leads'])).find((e) => e.incidentId === id);
  expect(forVictim).toMatchObject({
    canDecide: false,
    whyNot: expect.stringMatching(/party to this incident/),
  });

  // The memo that carries the inbox is encrypted at rest (as every payload).
  const raw = await rawTemporalClient(engine.config);
  try {
    const desc = await raw.workflowService.describeWorkflowExecution({
      namespace: 'default',
      execution: { workflowId: id },
    });
    const field = desc.workflowExecutionInfo?.memo?.fields?.inbox;
    expect(Buffer.from(field?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
    expect(Buffer.from(field?.data ?? []).toString('latin1')).not.toContain(victim.username);
  } finally {
    await raw.connection.close();
  }

  // Routing is enforced by the workflow's validator, not only shown: outside the group → 403.
  const refused = await as(OTHER, [], 'POST', `/incidents/${id}/approvals`, {
    approvalId: approval.id,
    decision: 'approve',
  });
  expect(refused.status).toBe(403);
  expect(refused.body).toMatchObject({ error: 'NotAnApprover' });
  // A group that merely contains the name does not match (exact names only).
  const nearly = await as(OTHER, ['ir-leads-emea', 'IR-LEADS'], 'POST', `/incidents/${id}/approvals`, {
    approvalId: approval.id,
    decision: 'approve',
  });
  expect(nearly.status).toBe(403);

  const decided = await as(LEAD, ['ir-leads'], 'POST', `/incidents/${id}/approvals`, {
    approvalId: approval.id,
    decision: 'approve',
    comment: 'lead on call',
  });
  expect(decided.status).toBe(200);
  expect(decided.body.status).toBe('approved');
  await engine.api.untilPhase(id, ['contained']);
  expect((await kc.user(victim.id)).enabled).toBe(false);
  // Decided: gone from everyone's inbox.
  await eventually(
    async () =>
      !(await inbox(LEAD, ['ir-leads'])).some((e) => e.incidentId === id && e.approvalId === approval.id),
    'the decided approval to leave the inbox',
  );
});

it('says what is wrong with a bad inbox query', async () => {
  const decided = await as(LEAD, [], 'GET', '/approvals?status=decided');
  expect(decided.status).toBe(400);
  expect(JSON.stringify(decided.body)).toMatch(/only 'pending'/);
  expect((await as(LEAD, [], 'GET', '/approvals?mine=yes')).status).toBe(400);
  expect((await as(LEAD, [], 'GET', '/approvals?limit=5')).status).toBe(400);
  const badGroup = await as(LEAD, ['bad;group<'], 'GET', '/approvals');
  expect(badGroup.status).toBe(400);
});
