/**
 * Tells people what the engine is doing: phase changes, approval requests, escalations.
 * The log notifier always runs; a JSON webhook is added when configured.
 */
export interface Notification {
  incidentId: string;
  kind: 'phase' | 'approval-requested' | 'approval-escalated' | 'contained' | 'containment-unverified';
  severity: string;
  message: string;
}

export interface Notifier {
  notify(notification: Notification): Promise<void>;
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

export class FanOutNotifier implements Notifier {
  constructor(private readonly notifiers: Notifier[]) {}
  async notify(n: Notification): Promise<void> {
    await Promise.all(this.notifiers.map((x) => x.notify(n)));
  }
}
