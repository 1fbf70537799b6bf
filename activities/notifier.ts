/**
 * Tells people what the engine is doing: phase changes, approval requests, escalations.
 * The log notifier always runs; a generic JSON webhook and a Slack incoming webhook are added when
 * configured (NOTIFY_WEBHOOK_URL, NOTIFY_SLACK_WEBHOOK_URL).
 */
export interface Notification {
  incidentId: string;
  kind:
    | 'phase'
    | 'approval-requested'
    | 'approval-escalated'
    | 'contained'
    | 'containment-unverified'
    /** Something needs a person now: a recovery wave held or rolled back, a check failed. */
    | 'escalation';
  severity: string;
  message: string;
  /** For `phase`: the phase entered. */
  phase?: string;
  /** For approval requests and escalations: the approval to decide. */
  approvalId?: string;
}

export interface Notifier {
  /** `deliveryKey`: the same delivery retried (notifiers that fan out use it to skip done channels). */
  notify(notification: Notification, deliveryKey?: string): Promise<void>;
}

/**
 * Notifications on stdout, without the message: logs are shipped to places responders do not
 * control, and the message names the principal. The incident id leads to the rest (GET /incidents/:id).
 */
export class LogNotifier implements Notifier {
  constructor(private readonly write: (line: string) => void = (line) => process.stdout.write(line + '\n')) {}
  async notify({ incidentId, kind, severity }: Notification): Promise<void> {
    this.write(
      JSON.stringify({ at: new Date().toISOString(), notification: { incidentId, kind, severity } }),
    );
  }
}

export class WebhookNotifier implements Notifier {
  constructor(private readonly url: string) {}
  async notify(n: Notification): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(n),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`WebhookRejected: notification webhook answered ${res.status}`);
  }
}

const ICON: Record<Notification['kind'], string> = {
  phase: ':arrow_forward:',
  'approval-requested': ':raised_hand:',
  'approval-escalated': ':rotating_light:',
  contained: ':white_check_mark:',
  'containment-unverified': ':warning:',
  escalation: ':rotating_light:',
};

/**
 * Slack (and Mattermost, Rocket.Chat…) incoming webhook: a `text` fallback and Block Kit blocks.
 * `incidentUrl` turns the incident id into a link (e.g. the Temporal UI or the API).
 */
export class SlackNotifier implements Notifier {
  constructor(
    private readonly url: string,
    private readonly incidentUrl?: (incidentId: string) => string,
    private readonly interactive = false,
  ) {}

  static payload(n: Notification, incidentUrl?: (incidentId: string) => string, interactive = false) {
    const id = incidentUrl ? `<${incidentUrl(n.incidentId)}|${n.incidentId}>` : n.incidentId;
    const text = `${ICON[n.kind]} ${n.message}`;
    // With the Slack app's interactivity pointed at the API (SLACK_SIGNING_SECRET), approvals get
    // buttons; each click is verified, mapped to a person and decided like any other decision.
    const buttons =
      interactive && n.approvalId
        ? [
            {
              type: 'actions',
              block_id: 'ir-approval',
              elements: [
                {
                  type: 'button',
                  action_id: 'approve',
                  style: 'primary',
                  text: { type: 'plain_text', text: 'Approve' },
                  value: JSON.stringify({ incidentId: n.incidentId, approvalId: n.approvalId }),
                  confirm: {
                    title: { type: 'plain_text', text: 'Approve?' },
                    text: { type: 'mrkdwn', text: n.message.slice(0, 300) },
                    confirm: { type: 'plain_text', text: 'Approve' },
                    deny: { type: 'plain_text', text: 'Cancel' },
                  },
                },
                {
                  type: 'button',
                  action_id: 'reject',
                  style: 'danger',
                  text: { type: 'plain_text', text: 'Reject' },
                  value: JSON.stringify({ incidentId: n.incidentId, approvalId: n.approvalId }),
                },
              ],
            },
          ]
        : [];
    return {
      text,
      blocks: [
        { type: 'section', text: { type: 'mrkdwn', text } },
        {
          type: 'context',
          elements: [
            {
              type: 'mrkdwn',
              text: `${id} · severity *${n.severity}* · ${n.kind}${n.phase ? ` → ${n.phase}` : ''}`,
            },
          ],
        },
        ...buttons,
      ],
    };
  }

  async notify(n: Notification): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(SlackNotifier.payload(n, this.incidentUrl, this.interactive)),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`SlackRejected: Slack webhook answered ${res.status}`);
  }
}

/**
 * Microsoft Teams through a Workflows (Power Automate) webhook: an Adaptive Card with the message
 * and a button to the incident (the console, or whatever `incidentUrl` gives). Decisions are made
 * there, not in Teams.
 */
export class TeamsNotifier implements Notifier {
  constructor(
    private readonly url: string,
    private readonly incidentUrl?: (incidentId: string) => string,
  ) {}

  static payload(n: Notification, incidentUrl?: (incidentId: string) => string) {
    return {
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              {
                type: 'TextBlock',
                text: n.message,
                wrap: true,
                weight: 'Bolder',
                ...(n.kind === 'approval-requested' ||
                n.kind === 'approval-escalated' ||
                n.kind === 'escalation'
                  ? { color: 'Attention' }
                  : {}),
              },
              {
                type: 'FactSet',
                facts: [
                  { title: 'Incident', value: n.incidentId },
                  { title: 'Severity', value: n.severity },
                  { title: 'Event', value: n.phase ? `${n.kind} → ${n.phase}` : n.kind },
                  ...(n.approvalId ? [{ title: 'Approval', value: n.approvalId }] : []),
                ],
              },
            ],
            ...(incidentUrl
              ? {
                  actions: [
                    {
                      type: 'Action.OpenUrl',
                      title: n.approvalId ? 'Decide in the console' : 'Open the incident',
                      url: incidentUrl(n.incidentId),
                    },
                  ],
                }
              : {}),
          },
        },
      ],
    };
  }

  async notify(n: Notification): Promise<void> {
    const res = await fetch(this.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(TeamsNotifier.payload(n, this.incidentUrl)),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok) throw new Error(`TeamsRejected: Teams webhook answered ${res.status}`);
  }
}

export class FanOutNotifier implements Notifier {
  /** Per delivery (one activity's attempts): the channels that already took it. */
  private readonly delivered = new Map<string, Set<number>>();

  constructor(private readonly notifiers: Notifier[]) {}

  /**
   * Every channel is tried; a failure of any fails the activity, which Temporal retries. With a
   * `deliveryKey` (the activity's identity), a retry in this process goes only to the channels that
   * failed: a chat room hears of an approval once even while the webhook is down. (A retry on
   * another worker sends to all again: at least once, not exactly once.)
   */
  async notify(n: Notification, deliveryKey?: string): Promise<void> {
    const done = deliveryKey ? (this.delivered.get(deliveryKey) ?? new Set<number>()) : new Set<number>();
    const results = await Promise.allSettled(
      this.notifiers.map(async (x, i) => {
        if (done.has(i)) return;
        await x.notify(n);
        done.add(i);
      }),
    );
    const failed = results.flatMap((r) =>
      r.status === 'rejected' ? [String(r.reason?.message ?? r.reason)] : [],
    );
    if (deliveryKey) {
      this.delivered.delete(deliveryKey);
      if (failed.length) {
        this.delivered.set(deliveryKey, done);
        // Bounded: the oldest deliveries still failing are forgotten first.
        if (this.delivered.size > 10_000) this.delivered.delete(this.delivered.keys().next().value!);
      }
    }
    if (failed.length) throw new Error(`NotificationFailed: ${failed.join('; ')}`);
  }
}
