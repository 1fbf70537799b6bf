/**
 * One SSF event stream (OpenID Shared Signals Framework 1.0 §8): a receiver's configuration,
 * status and subjects, kept durably by this workflow, and the delivery of its security events —
 * pushed (RFC 8935, an activity with retries; acknowledged by the receiver's 202) or held for the
 * receiver to poll (RFC 8936; acknowledged by `ack`). Events are signed in an activity (workflow
 * code holds no key). Paused streams hold their events; disabled ones drop them.
 */
import {
  ApplicationFailure,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  setHandler,
  uuid4,
  workflowInfo,
} from '@temporalio/workflow';
import type { SsfActivities } from '../activities/ssf';
import { EVENT_TYPES, EVENTS_SUPPORTED, eventsClaim, VERIFICATION_EVENT } from '../ssf/events';
import { sameSubject, type SubjectId } from '../ssf/subjects';
import {
  configureStreamUpdate,
  deleteStreamUpdate,
  type Delivery,
  pollStreamUpdate,
  securityEventSignal,
  streamStateQuery,
  streamStatusUpdate,
  streamSubjectUpdate,
  type StreamRequest,
  type StreamState,
  verifyStreamUpdate,
} from './ssf-definitions';
import { ssfDeliverySignal } from './definitions';

const { deliverSet, signSetForPoll } = proxyActivities<SsfActivities>({
  startToCloseTimeout: '30 seconds',
  scheduleToCloseTimeout: '15 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

const MAX_DELIVERIES = 200;
const MAX_WAITING = 1000;

interface Queued {
  jti: string;
  event: string;
  txn?: string;
  sub_id: SubjectId;
  events: Record<string, Record<string, unknown>>;
}

export interface SsfStreamInput {
  state: StreamState;
  queue?: Queued[];
}

export async function ssfStream(input: SsfStreamInput): Promise<void> {
  const s = input.state;
  const queue: Queued[] = input.queue ?? [];
  const record = (d: Delivery) => {
    s.deliveries.push(d);
    if (s.deliveries.length > MAX_DELIVERIES) s.deliveries.splice(0, s.deliveries.length - MAX_DELIVERIES);
  };
  // The incident a SET is about hears what became of it (a closed incident no longer listens).
  const report = (d: Delivery) => {
    if (!d.txn?.startsWith('incident-')) return;
    void getExternalWorkflowHandle(d.txn)
      .signal(ssfDeliverySignal, {
        streamId: s.config.stream_id,
        aud: s.config.aud,
        event: d.event,
        jti: d.jti,
        status: d.status,
        at: d.at,
        ...(d.acknowledgedAt ? { acknowledgedAt: d.acknowledgedAt } : {}),
        ...(d.error ? { error: d.error } : {}),
      })
      .catch(() => undefined);
  };
  const mine = (req: StreamRequest) => {
    if (req.owner !== s.owner || s.deleted)
      throw ApplicationFailure.nonRetryable(`no stream '${s.config.stream_id}'`, 'StreamNotFound');
  };

  setHandler(streamStateQuery, () => s);

  setHandler(
    configureStreamUpdate,
    ({ replace, config }) => {
      const delivery = config.delivery ?? (replace ? undefined : s.config.delivery);
      const requested = config.events_requested ?? (replace ? [] : s.config.events_requested);
      s.config = {
        ...s.config,
        ...(delivery
          ? {
              delivery: {
                method: delivery.method,
                ...(delivery.endpoint_url ? { endpoint_url: delivery.endpoint_url } : {}),
              },
            }
          : {}),
        events_requested: requested,
        events_delivered: EVENTS_SUPPORTED.filter((e) => requested.includes(e)),
        ...(config.description !== undefined || replace ? { description: config.description } : {}),
        ...(config.format !== undefined || replace ? { format: config.format } : {}),
      };
      if (config.authorization_header !== undefined || replace)
        s.authorizationHeader = config.authorization_header;
      return s.config;
    },
    { validator: (req) => mine(req) },
  );

  setHandler(
    streamStatusUpdate,
    ({ status, reason }) => {
      s.status = status;
      s.reason = reason;
      // Disabled: what was held is dropped, as SSF says.
      if (status === 'disabled') queue.length = 0;
      return { stream_id: s.config.stream_id, status, ...(reason ? { reason } : {}) };
    },
    { validator: (req) => mine(req) },
  );

  setHandler(
    streamSubjectUpdate,
    ({ op, subject }) => {
      s.excluded = s.excluded.filter((x) => !sameSubject(x, subject));
      if (op === 'remove') s.excluded.push(subject);
      return { ok: true as const };
    },
    { validator: (req) => mine(req) },
  );

  setHandler(
    verifyStreamUpdate,
    ({ state }) => {
      const jti = uuid4();
      s.lastVerificationAt = new Date().toISOString();
      queue.push({
        jti,
        event: VERIFICATION_EVENT,
        sub_id: { format: 'opaque', id: s.config.stream_id },
        events: { [VERIFICATION_EVENT]: state ? { state } : {} },
      });
      return { jti };
    },
    {
      validator: (req) => {
        mine(req);
        const min = s.config.min_verification_interval ?? 0;
        if (s.lastVerificationAt && Date.now() - Date.parse(s.lastVerificationAt) < min * 1000)
          throw ApplicationFailure.nonRetryable(
            `verification was asked less than ${min} s ago (min_verification_interval)`,
            'TooManyVerifications',
          );
      },
    },
  );

  setHandler(
    deleteStreamUpdate,
    () => {
      s.deleted = true;
      return { deleted: true as const };
    },
    { validator: (req) => mine(req) },
  );

  setHandler(
    pollStreamUpdate,
    ({ ack, maxEvents, setErrs }) => {
      const at = new Date().toISOString();
      for (const jti of ack) {
        if (!(jti in s.waiting)) continue;
        delete s.waiting[jti];
        const d = s.deliveries.find((x) => x.jti === jti);
        if (d) {
          Object.assign(d, { status: 'acknowledged', acknowledgedAt: at });
          report(d);
        }
      }
      for (const [jti, e] of Object.entries(setErrs ?? {})) {
        if (!(jti in s.waiting)) continue;
        delete s.waiting[jti];
        const d = s.deliveries.find((x) => x.jti === jti);
        if (d) {
          Object.assign(d, {
            status: 'failed',
            error: `receiver: ${e.err}${e.description ? ` (${e.description})` : ''}`,
          });
          report(d);
        }
      }
      const jtis = Object.keys(s.waiting);
      const sets = Object.fromEntries(jtis.slice(0, maxEvents).map((j) => [j, s.waiting[j]]));
      return { sets, moreAvailable: jtis.length > maxEvents };
    },
    {
      validator: (req) => {
        mine(req);
        if (s.config.delivery.method !== 'urn:ietf:rfc:8936')
          throw ApplicationFailure.nonRetryable('this stream delivers by push, not poll', 'NotPollDelivery');
      },
    },
  );

  setHandler(securityEventSignal, ({ facts, subject, alternatives, txn }) => {
    if (s.deleted || s.status === 'disabled') return;
    const event = EVENT_TYPES[facts.kind];
    if (!s.config.events_delivered.includes(event)) return;
    const known = [subject, ...(alternatives ?? [])];
    if (s.excluded.some((x) => known.some((k) => sameSubject(x, k)))) return;
    const sub_id = inFormat(subject, alternatives ?? [], s.config.format);
    if (!sub_id) {
      // The receiver asked for a format this person has no identifier in: said, not skipped silently.
      const d: Delivery = {
        jti: uuid4(),
        event,
        ...(txn ? { txn } : {}),
        at: new Date().toISOString(),
        status: 'failed',
        error: `no ${s.config.format} identifier for the subject (the stream's format)`,
      };
      record(d);
      report(d);
      return;
    }
    queue.push({ jti: uuid4(), event, ...(txn ? { txn } : {}), sub_id, events: eventsClaim(facts) });
  });

  for (;;) {
    await condition(() => s.deleted === true || (queue.length > 0 && s.status === 'enabled'));
    if (s.deleted) return;
    const item = queue.shift()!;
    const claims = {
      iss: s.config.iss,
      aud: s.config.aud,
      jti: item.jti,
      sub_id: item.sub_id,
      events: item.events,
      ...(item.txn ? { txn: item.txn } : {}),
    };
    const delivery: Delivery = {
      jti: item.jti,
      event: item.event,
      ...(item.txn ? { txn: item.txn } : {}),
      at: new Date().toISOString(),
      status: 'pending',
    };
    record(delivery);
    try {
      if (s.config.delivery.method === 'urn:ietf:rfc:8935') {
        await deliverSet({
          streamId: s.config.stream_id,
          endpoint: s.config.delivery.endpoint_url!,
          ...(s.authorizationHeader ? { authorizationHeader: s.authorizationHeader } : {}),
          claims,
        });
        Object.assign(delivery, { status: 'acknowledged', acknowledgedAt: new Date().toISOString() });
      } else {
        s.waiting[item.jti] = await signSetForPoll({ claims });
        const oldest = Object.keys(s.waiting);
        if (oldest.length > MAX_WAITING) {
          delete s.waiting[oldest[0]];
          const d = s.deliveries.find((x) => x.jti === oldest[0]);
          if (d)
            Object.assign(d, { status: 'failed', error: 'never polled: dropped to keep the stream bounded' });
        }
      }
    } catch (err) {
      Object.assign(delivery, {
        status: 'failed',
        error: (err as Error).cause instanceof Error ? ((err as Error).cause as Error).message : String(err),
      });
    }
    // Pushed (acknowledged or failed) or waiting for the receiver's poll: the incident hears it.
    report(delivery);
    if (workflowInfo().continueAsNewSuggested && queue.length === 0)
      await continueAsNew<typeof ssfStream>({ state: s, queue });
  }
}

/** The subject in the stream's format (the user part of a complex subject), when there is one. */
function inFormat(subject: SubjectId, alternatives: SubjectId[], format?: string): SubjectId | undefined {
  if (!format) return subject;
  if (subject.format === 'complex') {
    const user = inFormat(subject.user, alternatives, format);
    return user ? { ...subject, user } : undefined;
  }
  return [subject, ...alternatives].find((x) => x.format === format);
}
