/**
 * Authentication and roles on the live API with real Keycloak tokens: every endpoint refuses a
 * missing or bad token (401) and a caller without its role (403); four-eyes holds for real
 * identities, and the timeline names them.
 */
import { randomBytes } from 'node:crypto';
import { unfinishedPost } from './support/unfinished-post';
import { signIngest } from '../api/auth/signed-ingest';
import { DEFAULT_ROLE_NAMES, type EngineConfig } from '../config/config';
import { stopDetector } from '../worker/detectors';
import type { IncidentState } from '../domain/incident';
import { eventually, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { APP_CLIENT, KeycloakTestClient, REALM, TestUser } from './support/keycloak';

const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
let config: EngineConfig;
let api: TestApi;
let worker: TestWorker;
const tokens: Record<string, string> = {};
const users: Record<string, TestUser> = {};

async function as(who: string | undefined, method: string, route: string, body?: unknown) {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': `ir-test/${who}`,
  };
  if (who) headers.authorization = `Bearer ${tokens[who] ?? who}`;
  const res = await fetch(`${api.url}${route}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const json = res.headers.get('content-type')?.includes('json');
  return { status: res.status, body: text && json ? JSON.parse(text) : text || undefined };
}

const API_AUDIENCE = 'ir-api';
const HOOK_SECRET = `hook-${randomBytes(24).toString('hex')}`;
const HOOK_TENANT = `hmac-${randomBytes(4).toString('hex')}`;

beforeAll(async () => {
  config = {
    ...testConfig(),
    auth: {
      mode: 'oidc',
      issuer: `${readTestEnv().keycloak.url}/realms/${REALM}`,
      audience: [API_AUDIENCE],
      authorizedParties: [APP_CLIENT],
      rolesClaim: 'realm_access.roles',
      roleNames: DEFAULT_ROLE_NAMES,
    },
    ingestSources: [{ name: 'okta-hook', provider: 'okta', tenants: [HOOK_TENANT], secret: HOOK_SECRET }],
    // Medium-severity account takeovers go to incident leads only (a realm role in their tokens).
    approverRoutes: [
      { playbooks: ['compromised-credential'], severities: ['medium'], approvers: ['ir-incident-lead'] },
    ],
  };
  api = await TestApi.start(config);
  worker = await TestWorker.start(config);
  await kc.ensureRolesInTokens();
  await kc.ensureAudience(APP_CLIENT, API_AUDIENCE);
  const roles: Record<string, string[]> = {
    nobody: [],
    viewer: ['ir-viewer'],
    responder: ['ir-responder'],
    approver: ['ir-approver'],
    ingest: ['ir-ingest'],
    revoker: ['ir-token-revoker'],
    lead: ['ir-responder', 'ir-approver'],
    senior: ['ir-approver', 'ir-incident-lead'],
    admin: ['ir-admin'],
    // Role names that merely resemble the engine's: they grant nothing.
    lookalike: ['admin', 'viewer', 'IR-ADMIN'],
  };
  for (const [name, r] of Object.entries(roles)) {
    users[name] = await kc.createUser(name, { roles: r });
    tokens[name] = (await kc.login(users[name])).access_token;
  }
});

afterAll(async () => {
  await stopDetector(worker.client, { provider: 'okta', tenant: HOOK_TENANT }, 'test done').catch(
    () => undefined,
  );
  await worker?.stop();
  await api?.stop();
});

const ID = 'incident-000000000000000000000000';
const ENDPOINTS: [string, string, unknown, string][] = [
  ['GET', '/incidents', undefined, 'viewer'],
  ['GET', `/incidents/${ID}`, undefined, 'viewer'],
  ['GET', `/incidents/${ID}/evidence`, undefined, 'viewer'],
  ['GET', '/alerts', undefined, 'viewer'],
  ['GET', '/approvals', undefined, 'viewer'],
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
  ['GET', `/incidents/${ID}/investigation`, undefined, 'viewer'],
  ['GET', `/incidents/${ID}/review`, undefined, 'viewer'],
  ['POST', `/incidents/${ID}/notes`, { text: 'x' }, 'responder'],
  ['POST', `/incidents/${ID}/principals`, { username: 'y', reason: 'x' }, 'responder'],
  ['POST', '/codec/decode', { payloads: [] }, 'viewer'],
  ['GET', '/providers', undefined, 'viewer'],
  ['GET', '/metrics', undefined, 'viewer'],
  ['GET', '/playbooks', undefined, 'viewer'],
  ['POST', '/codec/encode', { payloads: [] }, 'admin'],
  ['POST', '/global-token-revocation', { sub_id: { format: 'opaque', id: 'x' } }, 'revoker'],
];
const OPEN_BODY = ENDPOINTS.find(([m, r]) => m === 'POST' && r === '/incidents')![2] as object;

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

it("grants nothing for role names that are not exactly the configured ones ('admin' is not 'ir-admin')", async () => {
  for (const route of ['/incidents', '/alerts']) {
    const res = await as('lookalike', 'GET', route);
    expect(res.status).toBe(403);
    expect(res.body.message).toContain('has: none');
  }
});

it('refuses a token without the API as audience, and one issued to another client (azp)', async () => {
  const admin = users.viewer;
  // Keycloak's own admin-cli client: a valid token of the same issuer, but not for this API.
  const noAudience = (await kc.login(admin, 'openid', { id: 'admin-cli' })).access_token;
  const refused = await as(noAudience, 'GET', '/incidents');
  expect(refused.status).toBe(401);
  expect(refused.body.message).toContain('JWTClaimValidationFailed');

  const other = await kc.createPublicClient('other-app');
  await kc.ensureAudience(other.id, API_AUDIENCE);
  const foreign = (await kc.login(admin, 'openid', other)).access_token;
  const res = await as(foreign, 'GET', '/incidents');
  expect(res.status).toBe(401);
  expect(res.body.message).toContain('azp');
});

it('answers an unauthorised large-body call before reading its body', async () => {
  expect(await unfinishedPost(`${api.url}/events?provider=okta`)).toBe(401);
  expect(await unfinishedPost(`${api.url}/events?provider=okta`, tokens.viewer)).toBe(403);
  expect(await unfinishedPost(`${api.url}/codec/decode`)).toBe(401);
  expect(await unfinishedPost(`${api.url}/codec/encode`, tokens.viewer)).toBe(403);
});

it('keeps health public', async () => {
  expect((await as(undefined, 'GET', '/health')).status).toBe(200);
});

it('a viewer (or responder) can decrypt for the Temporal UI but not encrypt: encoding forges payloads', async () => {
  for (const who of ['viewer', 'responder']) {
    expect((await as(who, 'POST', '/codec/decode', { payloads: [] })).status).toBe(200);
    expect((await as(who, 'POST', '/codec/encode', { payloads: [] })).status).toBe(403);
  }
});

it('a viewer cannot open incidents, and a responder cannot approve', async () => {
  expect((await as('viewer', 'POST', '/incidents', OPEN_BODY)).status).toBe(403);
  expect(
    (await as('responder', 'POST', `/incidents/${ID}/approvals`, { approvalId: 'a', decision: 'approve' }))
      .status,
  ).toBe(403);
});

it('lets only an admin override a playbook policy (it could switch approvals off)', async () => {
  const body = {
    ...OPEN_BODY,
    policy: { disableAccount: { autoApproveAt: 'low' } },
  };
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
    return res.body.containedAt ? (res.body as IncidentState) : undefined;
  }, 'containment');
  expect(state.approvals[0].decisions.map((d) => d.actor)).toEqual([users.approver.username]);
  // Who, what, when and from where, for every person's action.
  const approved = state.timeline.find((t) => t.actor === users.approver.username && t.kind === 'approval');
  expect(approved?.origin).toEqual({
    ip: '127.0.0.1',
    userAgent: 'ir-test/approver',
    via: 'oidc',
    actorId: `${kc.issuer}#${users.approver.id}`,
  });
  const openedEntry = state.timeline.find((t) => t.kind === 'alert' && t.actor === users.lead.username);
  expect(openedEntry?.origin).toMatchObject({ ip: '127.0.0.1', userAgent: 'ir-test/lead', via: 'oidc' });
  expect(state.approvals[0].decisions[0].origin?.ip).toBe('127.0.0.1');
});

it('routes an approval to the groups in its token, shown in the inbox and enforced', async () => {
  const victim = await kc.createUser('routedvictim');
  const opened = await as('lead', 'POST', '/incidents', {
    playbook: 'compromised-credential',
    principal: { provider: 'keycloak', realm: REALM, username: victim.username },
    severity: 'medium',
    summary: 'routed to incident leads',
  });
  expect(opened.status).toBe(201);
  const id = opened.body.incidentId;
  const entryFor = async (who: string) =>
    eventually(async () => {
      const res = await as(who, 'GET', '/approvals');
      expect(res.status).toBe(200);
      return (res.body.approvals as { incidentId: string; canDecide: boolean; whyNot?: string }[]).find(
        (a) => a.incidentId === id,
      );
    }, `the routed approval in ${who}'s inbox`);
  expect(await entryFor('senior')).toMatchObject({ canDecide: true, approvers: ['ir-incident-lead'] });
  expect(await entryFor('approver')).toMatchObject({
    canDecide: false,
    whyNot: expect.stringMatching(/routed to 'ir-incident-lead'/),
  });
  // A viewer reads the inbox but can decide nothing in it.
  expect(await entryFor('viewer')).toMatchObject({
    canDecide: false,
    whyNot: expect.stringMatching(/approver role/),
  });
  const { approvalId } = (await entryFor('senior')) as unknown as { approvalId: string };

  const refused = await as('approver', 'POST', `/incidents/${id}/approvals`, {
    approvalId,
    decision: 'approve',
  });
  expect(refused.status).toBe(403);
  expect(refused.body.error).toBe('NotAnApprover');
  const decided = await as('senior', 'POST', `/incidents/${id}/approvals`, {
    approvalId,
    decision: 'approve',
  });
  expect(decided.status).toBe(200);
  expect(decided.body.status).toBe('approved');
});

it("never lets the incident's own principal decide its approvals, and a re-posted critical alert approves nothing", async () => {
  // The victim holds the approver role: whoever holds their password must not approve their own case.
  const victim = await kc.createUser('approver-victim', { roles: ['ir-approver', 'ir-responder'] });
  const victimToken = (await kc.login(victim)).access_token;
  const open = (severity: string) =>
    as('lead', 'POST', '/incidents', {
      playbook: 'compromised-credential',
      principal: { provider: 'keycloak', realm: REALM, username: victim.username },
      severity,
      summary: `the approver's own account (${severity})`,
    });
  const opened = await open('high');
  expect(opened.status).toBe(201);
  const id = opened.body.incidentId;
  const approval = await eventually(async () => {
    const res = await as('viewer', 'GET', `/incidents/${id}`);
    return (res.body.approvals as { id: string; status: string }[] | undefined)?.find(
      (a) => a.status === 'pending',
    );
  }, 'the approval request');

  const own = await as(victimToken, 'POST', `/incidents/${id}/approvals`, {
    approvalId: approval.id,
    decision: 'approve',
  });
  expect(own.status).toBe(403);
  expect(own.body.error).toBe('InvolvedPartyRefused');

  // The requester re-posts at critical: severity rises, the pending step still waits for a second person.
  const again = await open('critical');
  expect(again.status).toBe(200);
  expect(again.body).toMatchObject({ joined: true, severity: 'critical' });
  await new Promise((r) => setTimeout(r, 1500));
  const state = (await as('viewer', 'GET', `/incidents/${id}`)).body as IncidentState;
  expect(state.approvals.find((a) => a.id === approval.id)?.status).toBe('pending');
  expect((await kc.user(victim.id)).enabled).toBe(true); // not disabled behind four-eyes' back
  await as('lead', 'POST', `/incidents/${id}/close`, { reason: 'test done' });
});

describe('signed event pushes (HMAC)', () => {
  const record = (id: string) =>
    JSON.stringify({
      uuid: id,
      published: new Date().toISOString(),
      eventType: 'user.session.start',
      outcome: { result: 'FAILURE', reason: 'INVALID_CREDENTIALS' },
      actor: { id: 'u1', alternateId: 'pat@hook.example', type: 'User' },
      client: { ipAddress: '198.51.100.4' },
      debugContext: { debugData: { orgId: HOOK_TENANT } },
    });
  const push = (
    body: string,
    {
      provider = 'okta',
      source = 'okta-hook',
      secret = HOOK_SECRET,
      ts = Math.floor(Date.now() / 1000),
      sign = body,
    } = {},
  ) =>
    fetch(`${api.url}/events?provider=${provider}`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-ndjson',
        'x-ir-source': source,
        'x-ir-timestamp': String(ts),
        'x-ir-signature': signIngest(secret, ts, sign),
      },
      body,
    });

  it('accepts a correctly signed batch without a bearer token', async () => {
    const body = `${record(`${HOOK_TENANT}-1`)}\n${record(`${HOOK_TENANT}-2`)}`;
    const res = await push(body);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ received: 2, accepted: 2 });
  });

  it.each([
    ['a wrong secret', { secret: 'x'.repeat(40) }, 401, 'does not match'],
    ['a body changed after signing', { sign: '[]' }, 401, 'does not match'],
    ['an unknown source', { source: 'nobody' }, 401, 'no configured signing source'],
    ['a stale timestamp', { ts: Math.floor(Date.now() / 1000) - 3600 }, 401, 'within 300 s'],
    ["another provider's events", { provider: 'entra' }, 403, 'may push okta events only'],
  ])('refuses %s', async (_what, opts, status, message) => {
    const res = await push(record(`${HOOK_TENANT}-x`), opts);
    expect(res.status).toBe(status);
    expect(((await res.json()) as { message: string }).message).toContain(message);
  });

  it('refuses records of a tenant the source is not bound to, keeping the good ones', async () => {
    const foreign = JSON.stringify({
      ...JSON.parse(record(`${HOOK_TENANT}-f`)),
      debugContext: { debugData: { orgId: 'someone-else' } },
    });
    const res = await push(`${record(`${HOOK_TENANT}-3`)}\n${foreign}`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { accepted: number; rejected: { index: number; reason: string }[] };
    expect(body.accepted).toBe(1);
    expect(body.rejected).toEqual([
      { index: 1, reason: expect.stringContaining(`may push events of ${HOOK_TENANT} only`) },
    ]);
  });

  it('does not let a signature stand in for a role on other routes', async () => {
    const res = await fetch(`${api.url}/incidents`, {
      headers: { 'x-ir-source': 'okta-hook', 'x-ir-signature': 'sha256=00', 'x-ir-timestamp': '1' },
    });
    expect(res.status).toBe(401);
  });
});
