/**
 * Slack interactive approvals on a real incident (Keycloak, Temporal), against a local receiver
 * standing in for Slack: the approval message carries Approve/Reject buttons; a click is accepted
 * only when signed with the app's signing secret and fresh, only from a mapped person, under the
 * same four-eyes rules as the API; the message is then updated with the outcome. Teams gets an
 * Adaptive Card with a link.
 */
import { slackSignature } from '../api/integrations/slack';
import { eventually, testConfig } from './support/engine';
import { useEngine } from './support/use-engine';
import { KeycloakTestClient } from './support/keycloak';
import { readTestEnv } from './support/env';
import { startReceiver } from './support/receiver';

const SECRET = 'slack-signing-secret-0123456789abcdef';
const RESPONDER = 'slack.responder';
const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
let receiver: Awaited<ReturnType<typeof startReceiver>>;

const engine = useEngine(async () => {
  receiver = await startReceiver();
  return {
    ...testConfig(),
    notifySlackWebhookUrl: `${receiver.url}/slack-webhook`,
    notifyTeamsWebhookUrl: `${receiver.url}/teams-webhook`,
    temporal: { ...testConfig().temporal, uiUrl: 'http://127.0.0.1:8233' },
    slack: {
      signingSecret: SECRET,
      responseUrlPrefix: `${receiver.url}/response/`,
      users: {
        'T0001:U0LEAD': { actor: 'slack.lead', actorId: 'https://idp.example/realms/corp#lead', groups: [] },
        // The responder who opened the incident, in Slack too: four-eyes holds across channels.
        'T0001:U0RESP': { actor: RESPONDER, actorId: `dev:${RESPONDER}`, groups: [] },
      },
    },
  };
});

afterAll(() => receiver?.close());

let clicks = 0;
async function click(
  user: string,
  action: 'approve' | 'reject',
  value: string,
  sign: { secret?: string; at?: number } = {},
) {
  const responseUrl = `${receiver.url}/response/${++clicks}`;
  const payload = {
    type: 'block_actions',
    user: { id: user, team_id: 'T0001' },
    team: { id: 'T0001' },
    response_url: responseUrl,
    actions: [{ action_id: action, value, type: 'button' }],
  };
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  const ts = String(sign.at ?? Math.floor(Date.now() / 1000));
  const res = await fetch(`${engine.api.url}/integrations/slack/interactions`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': ts,
      'x-slack-signature': slackSignature(sign.secret ?? SECRET, ts, body),
    },
    body,
  });
  return { status: res.status, responsePath: new URL(responseUrl).pathname };
}

const replyTo = (path: string) =>
  eventually(async () => receiver.received.find((r) => r.path === path)?.body, `Slack reply at ${path}`);

it('decides an approval from its Slack buttons, for mapped people and signed clicks only', async () => {
  const victim = await kc.createUser('slack');
  const opened = await engine.api.openIncident(victim.username, RESPONDER, { severity: 'high' });
  const id: string = opened.body.incidentId;
  const approval = await engine.api.pendingApproval(id, 'disableAccount');

  // The request in Slack, with its buttons.
  const message = await eventually(
    async () =>
      receiver.received.find(
        (r) =>
          r.path === '/slack-webhook' && JSON.stringify(r.body).includes(`"approvalId\\":\\"${approval.id}`),
      )?.body,
    'the approval message in Slack',
  );
  const actions = (
    message.blocks as { type: string; elements?: { action_id: string; value: string }[] }[]
  ).find((b) => b.type === 'actions')!;
  expect(actions.elements!.map((e) => e.action_id)).toEqual(['approve', 'reject']);
  const value = actions.elements![0].value;
  expect(JSON.parse(value)).toEqual({ incidentId: id, approvalId: approval.id });
  // Teams: an Adaptive Card linking to the incident.
  const card = await eventually(
    async () =>
      receiver.received.find(
        (r) => r.path === '/teams-webhook' && JSON.stringify(r.body).includes(approval.id),
      )?.body,
    'the Teams card',
  );
  expect(JSON.stringify(card)).toContain('application/vnd.microsoft.card.adaptive');
  expect(JSON.stringify(card)).toContain(`http://127.0.0.1:8233/namespaces/default/workflows/${id}`);

  // Forged, stale or unsigned clicks are refused before anything is read.
  expect((await click('U0LEAD', 'approve', value, { secret: 'not-the-secret-0123456789' })).status).toBe(401);
  expect((await click('U0LEAD', 'approve', value, { at: Math.floor(Date.now() / 1000) - 600 })).status).toBe(
    401,
  );
  const unsigned = await fetch(`${engine.api.url}/integrations/slack/interactions`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: 'payload=%7B%7D',
  });
  expect(unsigned.status).toBe(401);

  // A Slack person nobody mapped is told so, alone; nothing is decided.
  const stranger = await click('U0NOBODY', 'approve', value);
  expect(stranger.status).toBe(200);
  expect(await replyTo(stranger.responsePath)).toMatchObject({
    response_type: 'ephemeral',
    text: expect.stringMatching(/not mapped to an identity/),
  });
  // The requester cannot approve their own request from Slack either.
  const own = await click('U0RESP', 'approve', value);
  expect(await replyTo(own.responsePath)).toMatchObject({
    response_type: 'ephemeral',
    text: expect.stringMatching(/four-eyes/),
  });
  expect((await engine.api.incident(id)).approvals.find((a) => a.id === approval.id)?.status).toBe('pending');

  const lead = await click('U0LEAD', 'approve', value);
  expect(lead.status).toBe(200);
  expect(await replyTo(lead.responsePath)).toMatchObject({
    replace_original: true,
    text: expect.stringMatching(/^:white_check_mark: .* approved by slack\.lead in Slack \(approved\)/),
  });
  const state = await engine.api.untilPhase(id, ['contained']);
  const decided = state.approvals.find((a) => a.id === approval.id)!;
  expect(decided.decisions[0]).toMatchObject({
    actor: 'slack.lead',
    comment: 'via Slack',
    origin: { via: 'slack', actorId: 'https://idp.example/realms/corp#lead' },
  });
  expect((await kc.user(victim.id)).enabled).toBe(false);
  // A second click on the old message: told it is already decided.
  const late = await click('U0LEAD', 'reject', value);
  expect((await replyTo(late.responsePath)).text).toMatch(/already approved/);
});
