/**
 * Notifications over real HTTP to a local receiver: the generic JSON webhook gets the notification
 * as is; the Slack-compatible one gets a `text` fallback and Block Kit blocks with a link; a failing
 * channel fails the delivery (so the activity retries) without stopping the others.
 */
import { Received, startReceiver } from '../test/support/receiver';
import { FanOutNotifier, Notification, SlackNotifier, WebhookNotifier } from './notifier';

let receiver: Awaited<ReturnType<typeof startReceiver>>;
let url: string;
let received: Received[];

beforeAll(async () => {
  receiver = await startReceiver((path) => (path === '/down' ? 503 : 200));
  ({ url, received } = receiver);
});
afterAll(() => receiver.close());
beforeEach(() => (received.length = 0));

const n: Notification = {
  incidentId: 'incident-0123456789abcdef01234567',
  kind: 'approval-requested',
  severity: 'high',
  message: 'Approval disableAccount-1 needed: disable the account of jdoe',
};

it('posts the notification as JSON to a generic webhook', async () => {
  await new WebhookNotifier(`${url}/hook`).notify(n);
  expect(received).toEqual([{ path: '/hook', body: n }]);
});

it('posts Slack-compatible blocks with a link to the incident', async () => {
  const link = (id: string) => `http://ui.example/namespaces/default/workflows/${id}`;
  await new SlackNotifier(`${url}/slack`, link).notify({ ...n, kind: 'phase', phase: 'eradicate' });
  const body = received[0].body as {
    text: string;
    blocks: { type: string; text?: { text: string }; elements?: { text: string }[] }[];
  };
  expect(body.text).toBe(`:arrow_forward: ${n.message}`);
  expect(body.blocks[0]).toEqual({ type: 'section', text: { type: 'mrkdwn', text: body.text } });
  expect(body.blocks[1].elements![0].text).toBe(
    `<${link(n.incidentId)}|${n.incidentId}> · severity *high* · phase → eradicate`,
  );
});

it('tries every channel, and fails the delivery when one is down', async () => {
  const fan = new FanOutNotifier([new WebhookNotifier(`${url}/down`), new SlackNotifier(`${url}/slack`)]);
  await expect(fan.notify(n)).rejects.toThrow(
    'NotificationFailed: WebhookRejected: notification webhook answered 503',
  );
  expect(received.map((r) => r.path).sort()).toEqual(['/down', '/slack']);
});

it('retries a delivery only to the channels that failed it', async () => {
  let up = false;
  const flaky = {
    notify: async (x: Notification) =>
      (up ? new WebhookNotifier(`${url}/hook`) : new WebhookNotifier(`${url}/down`)).notify(x),
  };
  const fan = new FanOutNotifier([flaky, new SlackNotifier(`${url}/slack`)]);
  await expect(fan.notify(n, 'incident-1/run-1/7')).rejects.toThrow(/NotificationFailed/);
  up = true;
  await fan.notify(n, 'incident-1/run-1/7'); // the retry
  expect(
    received
      .map((r) => r.path)
      .slice(0, 2)
      .sort(),
  ).toEqual(['/down', '/slack']);
  expect(received.map((r) => r.path).slice(2)).toEqual(['/hook']); // Slack heard it once
  // Another delivery of the same content goes everywhere.
  await fan.notify(n, 'incident-1/run-1/8');
  expect(
    received
      .map((r) => r.path)
      .slice(3)
      .sort(),
  ).toEqual(['/hook', '/slack']);
});
