/**
 * The MFA-fatigue playbook on the real Keycloak: the person is asked "was this you?" through a
 * link whose token the API checks; "no" contains the whole account, "yes" changes nothing, and no
 * answer leaves the decision to a responder (whose silence contains by default).
 */
import type { EngineConfig } from '../config/config';
import {
  decodedHistoryText,
  eventually,
  temporalClient,
  testConfig,
  TestApi,
  TestWorker,
} from './support/engine';
import { readTestEnv } from './support/env';
import { captureHistory } from './support/histories';
import { KeycloakTestClient, REALM, type TestUser } from './support/keycloak';
import { startReceiver } from './support/receiver';

const RESPONDER = 'mfa.responder';
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
let config: EngineConfig;
let worker: TestWorker;
let api: TestApi;
let users: Awaited<ReturnType<typeof startReceiver>>;

beforeAll(async () => {
  users = await startReceiver(); // stands in for the e-mail or chat gateway that reaches users
  config = {
    ...testConfig(),
    userChallenge: {
      secret: 'test-user-challenge-secret-of-32-characters-or-more',
      webhookUrl: `${users.url}/ask`,
      publicApiUrl: 'https://ir.example.com',
    },
  };
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
  await users?.close();
});

function open(user: TestUser, policy: Record<string, unknown> = {}) {
  return api.call(
    'POST',
    '/incidents',
    {
      playbook: 'mfa-fatigue',
      principal: { provider: 'keycloak', realm: REALM, username: user.username },
      severity: 'high',
      summary: `12 MFA prompts for ${user.username}, the last one accepted`,
      policy,
    },
    RESPONDER,
  );
}

/** The link the user received, pointed at the test API (PUBLIC_API_URL is the public address). */
async function linkFor(incidentId: string): Promise<{ path: string; token: string }> {
  const sent = await eventually(
    async () => users.received.find((r) => r.body.incidentId === incidentId),
    'the question sent to the user',
  );
  const link = new URL(String(sent.body.link));
  expect(link.origin).toBe('https://ir.example.com');
  return { path: `${link.pathname}${link.search}`, token: link.searchParams.get('t')! };
}

it('contains the whole account when the user says it was not them', async () => {
  const user = await kc.createUser('fatigued');
  const tokens = await kc.login(user);
  const id: string = (await open(user)).body.incidentId;
  const { path, token } = await linkFor(id);

  // The page has no effect by itself (link scanners open links), is private, and offers two answers.
  const page = await fetch(`${api.url}${path}`);
  expect(page.status).toBe(200);
  expect(page.headers.get('cache-control')).toBe('no-store');
  expect(page.headers.get('referrer-policy')).toBe('no-referrer');
  expect(await page.text()).toContain('value="not-me"');
  expect((await kc.user(user.id)).enabled).toBe(true);

  // A forged token is refused.
  const forged = await fetch(`${api.url}/incidents/${id}/was-this-you`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ t: 'A'.repeat(43), answer: 'me' }),
  });
  expect(forged.status).toBe(403);

  // The user presses "No" (an HTML form post).
  const answered = await fetch(`${api.url}/incidents/${id}/was-this-you`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ t: token, answer: 'not-me' }),
  });
  expect(answered.status).toBe(200);
  expect(await answered.text()).toContain('Your account is being secured');

  const state = await api.untilPhase(id, ['contained', 'review']);
  expect(state.userChallenge).toMatchObject({ status: 'not-me', sent: true });
  expect(state.verification?.verified).toBe(true);
  expect((await kc.user(user.id)).enabled).toBe(false);
  expect((await kc.refresh(tokens.refresh_token)).ok).toBe(false);

  // Answering twice is refused; the token never reached workflow history.
  const again = await api.call('POST', `/incidents/${id}/was-this-you`, { t: token, answer: 'me' });
  expect(again.status).toBe(410);
  expect(await decodedHistoryText(await temporalClient(config), id)).not.toContain(token);

  await api.untilPhase(id, ['review']);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  await api.untilPhase(id, ['closed']);
  captureHistory(id, 'mfa-fatigue-not-me');
});

it('changes nothing when the user confirms it was them', async () => {
  const user = await kc.createUser('confirms');
  const tokens = await kc.login(user);
  const id: string = (await open(user)).body.incidentId;
  const { token } = await linkFor(id);
  const answered = await api.call('POST', `/incidents/${id}/was-this-you`, { t: token, answer: 'me' });
  expect(answered).toMatchObject({ status: 200, body: { recorded: true, answer: 'me' } });
  const state = await api.untilPhase(id, ['review']);
  expect(state.actions).toEqual([]);
  expect((await kc.user(user.id)).enabled).toBe(true);
  expect((await kc.refresh(tokens.refresh_token)).ok).toBe(true);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
  await api.untilPhase(id, ['closed']);
  captureHistory(id, 'mfa-fatigue-confirmed');
});

it('leaves it to a responder when the user does not answer, and contains by default', async () => {
  const user = await kc.createUser('silent');
  const id: string = (
    await open(user, {
      askUserMs: 1500,
      noAnswer: { autoApproveAt: 'never', timeoutMs: 1000, escalations: 0, onTimeout: 'proceed' },
    })
  ).body.incidentId;
  const state = await api.untilPhase(id, ['contained', 'review']);
  expect(state.userChallenge?.status).toBe('no-answer');
  expect(state.approvals.find((a) => a.action === 'containWithoutAnswer')?.resolution).toBe(
    'default-proceed',
  );
  expect((await kc.user(user.id)).enabled).toBe(false);
  await api.untilPhase(id, ['review']);
  await api.call('POST', `/incidents/${id}/close`, { reason: 'test done' }, RESPONDER);
});
