/**
 * Authentication and roles on the live API with real Keycloak tokens: every endpoint refuses a
 * missing or bad token (401) and a caller without its role (403); four-eyes holds for real
 * identities, and the timeline names them.
 */
import type { EngineConfig } from '../config/config';
import type { IncidentState } from '../domain/incident';
import { eventually, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { KeycloakTestClient, REALM, TestUser } from './support/keycloak';

const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
let config: EngineConfig;
let api: TestApi;
let worker: TestWorker;
const tokens: Record<string, string> = {};
const users: Record<string, TestUser> = {};

async function as(who: string | undefined, method: string, route: string, body?: unknown) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (who) headers.authorization = `Bearer ${tokens[who] ?? who}`;
  const res = await fetch(`${api.url}${route}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

beforeAll(async () => {
  config = {
    ...testConfig(),
    auth: { mode: 'oidc', issuer: `${readTestEnv().keycloak.url}/realms/${REALM}` },
  };
  api = await TestApi.start(config);
  worker = await TestWorker.start(config);
  await kc.ensureRolesInTokens();
  const roles: Record<string, string[]> = {
    nobody: [],
    viewer: ['ir-viewer'],
    responder: ['ir-responder'],
    approver: ['ir-approver'],
    ingest: ['ir-ingest'],
    lead: ['ir-responder', 'ir-approver'],
  };
  for (const [name, r] of Object.entries(roles)) {
    users[name] = await kc.createUser(name, { roles: r });
    tokens[name] = (await kc.login(users[name])).access_token;
  }
});

afterAll(async () => {
  await worker?.stop();
  await api?.stop();
});

const ID = 'incident-000000000000000000000000';
const ENDPOINTS: [string, string, unknown, string][] = [
  ['GET', '/incidents', undefined, 'viewer'],
  ['GET', `/incidents/${ID}`, undefined, 'viewer'],
  ['GET', `/incidents/${ID}/evidence`, undefined, 'viewer'],
  ['GET', '/alerts', undefined, 'viewer'],
  [
    'POST',
    '/incidents',
    {
      playbook: 'compromised-credential',
      principal: { provider: 'keycloak', realm: REALM, username: 'x' },
      severity: 'low',
      summary: 'x',
    },
    'responder',
  ],
  ['POST', `/incidents/${ID}/approvals`, { approvalId: 'a', decision: 'approve' }, 'approver'],
  ['POST', `/incidents/${ID}/close`, { reason: 'x' }, 'responder'],
  ['POST', '/events?provider=okta', undefined, 'ingest'],
  ['POST', '/codec/decode', { payloads: [] }, 'viewer'],
  ['POST', '/codec/encode', { payloads: [] }, 'viewer'],
];

describe.each(ENDPOINTS)('%s %s', (method, route, body, role) => {
  it('refuses a call without a token (401)', async () => {
    const res = await as(undefined, method, route, body);
    expect(res.status).toBe(401);
    expect(res.body.message).toContain('bearer token is required');
  });

  it('refuses a forged or foreign token (401)', async () => {
    const forged = tokens.viewer
      .split('.')
      .map((p, i) => (i === 2 ? p.split('').reverse().join('') : p))
      .join('.');
    expect((await as(forged, method, route, body)).status).toBe(401);
    expect((await as('not-a-jwt', method, route, body)).status).toBe(401);
  });

  it(`refuses a caller without the '${role}' role (403)`, async () => {
    const res = await as('nobody', method, route, body);
    expect(res.status).toBe(403);
    expect(res.body.message).toContain(`needs the '${role}' role`);
  });

  it(`lets a caller with the '${role}' role through`, async () => {
    const res = await as(role, method, route, body);
    expect([401, 403]).not.toContain(res.status);
  });
});

it('keeps health public', async () => {
  expect((await as(undefined, 'GET', '/health')).status).toBe(200);
});

it('a viewer cannot open incidents, and a responder cannot approve', async () => {
  expect((await as('viewer', 'POST', '/incidents', ENDPOINTS[4][2])).status).toBe(403);
  expect(
    (await as('responder', 'POST', `/incidents/${ID}/approvals`, { approvalId: 'a', decision: 'approve' }))
      .status,
  ).toBe(403);
});

it('lets only an admin override a playbook policy (it could switch approvals off)', async () => {
  const body = { ...(ENDPOINTS[4][2] as object), policy: { disableAccount: { autoApproveAt: 'low' } } };
  const res = await as('responder', 'POST', '/incidents', body);
  expect(res.status).toBe(403);
  expect(res.body.message).toContain("needs the 'admin' role");
});

it('holds four-eyes for real identities and records them on the timeline', async () => {
  const victim = await kc.createUser('authvictim');
  const opened = await as('lead', 'POST', '/incidents', {
    playbook: 'compromised-credential',
    principal: { provider: 'keycloak', realm: REALM, username: victim.username },
    severity: 'high',
    summary: 'four-eyes with tokens',
  });
  expect(opened.status).toBe(201);
  const id = opened.body.incidentId;
  const approval = await eventually(async () => {
    const res = await as('viewer', 'GET', `/incidents/${id}`);
    return (res.body.approvals as { id: string; status: string; requestedBy: string }[] | undefined)?.find(
      (a) => a.status === 'pending',
    );
  }, 'the approval request');
  expect(approval.requestedBy).toBe(users.lead.username);

  const own = await as('lead', 'POST', `/incidents/${id}/approvals`, {
    approvalId: approval.id,
    decision: 'approve',
  });
  expect(own.status).toBe(403);
  expect(own.body.error).toBe('FourEyesViolation');

  const other = await as('approver', 'POST', `/incidents/${id}/approvals`, {
    approvalId: approval.id,
    decision: 'approve',
  });
  expect(other.status).toBe(200);
  const state = await eventually(async () => {
    const res = await as('viewer', 'GET', `/incidents/${id}`);
    return res.body.phase === 'contained' ? (res.body as IncidentState) : undefined;
  }, 'containment');
  expect(state.approvals[0].decisions.map((d) => d.actor)).toEqual([users.approver.username]);
  expect(state.timeline.some((t) => t.actor === users.approver.username && t.kind === 'approval')).toBe(true);
});
