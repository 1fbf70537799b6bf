/**
 * The engine's side of its streams at upstream SSF transmitters (workflows/ssf-receiver.ts): make
 * sure of the stream (push to this API with an authorization only this deployment can derive, or
 * poll), and for poll delivery take the waiting SETs — each verified against the transmitter's
 * keys, its events handed to the tenant's detector, then acknowledged on the next poll. A SET that
 * does not verify is refused back (setErrs), never taken.
 */
import type { Client } from '@temporalio/client';
import { deliverTenantEvents } from '../client/detector-ingest';
import {
  eventsFromSet,
  receiverPushAuthorization,
  receiverPushUrl,
  type TransmitterSettings,
} from '../ssf/receiver';
import { SetRefused, TransmitterClient, type ReceiverStream } from '../ssf/transmitter-client';
import { VERIFICATION_EVENT } from '../ssf/events';

export interface SsfReceiverDeps {
  client: Client;
  taskQueue: string;
  transmitters: TransmitterSettings[];
  publicApiUrl?: string;
  principalKeySecret?: Buffer;
  detectionShards?: number;
}

/** One client per transmitter (metadata, keys and tokens cached), shared with the API's. */
const clients = new Map<string, TransmitterClient>();
export function transmitterClient(t: TransmitterSettings): TransmitterClient {
  let c = clients.get(t.name);
  if (!c || c.settings !== t) clients.set(t.name, (c = new TransmitterClient(t)));
  return c;
}

export function ssfReceiverActivities(deps: SsfReceiverDeps) {
  const settings = (name: string): TransmitterSettings => {
    const t = deps.transmitters.find((x) => x.name === name);
    if (!t) throw new Error(`no transmitter '${name}' in SSF_TRANSMITTERS`);
    return t;
  };
  return {
    async ensureReceiverStream(input: { name: string }): Promise<ReceiverStream> {
      const t = settings(input.name);
      const push =
        t.delivery === 'push'
          ? {
              url: receiverPushUrl(deps.publicApiUrl!, t.name),
              authorization: receiverPushAuthorization(deps.principalKeySecret!, t.name),
            }
          : undefined;
      return transmitterClient(t).ensureStream(push);
    },

    async pollSharedSignals(input: {
      name: string;
      endpoint: string;
      aud: string[];
      ack: string[];
    }): Promise<{ taken: string[]; events: number; kinds: string[]; more: boolean; verified: boolean }> {
      const t = settings(input.name);
      const client = transmitterClient(t);
      const { sets, moreAvailable } = await client.poll(input.endpoint, input.ack, {});
      const taken: string[] = [];
      const setErrs: Record<string, { err: string; description: string }> = {};
      const events = [];
      let verified = false;
      const receivedAt = new Date().toISOString();
      for (const [jti, token] of Object.entries(sets)) {
        try {
          const payload = await client.verify(token, input.aud);
          if (payload.events && VERIFICATION_EVENT in payload.events) verified = true;
          events.push(
            ...eventsFromSet(payload, { provider: t.provider, tenant: t.tenant, token, receivedAt }),
          );
          taken.push(jti);
        } catch (err) {
          if (!(err instanceof SetRefused)) throw err;
          setErrs[jti] = { err: err.err, description: err.message };
        }
      }
      let delivered = 0;
      if (events.length) {
        const r = await deliverTenantEvents(
          deps.client,
          deps.taskQueue,
          deps.detectionShards ?? 1,
          t.provider,
          t.tenant,
          events,
        );
        delivered = r.accepted;
      }
      // Refusals are told at once; what was taken is acknowledged with the next poll.
      if (Object.keys(setErrs).length) await client.poll(input.endpoint, [], setErrs);
      return {
        taken,
        events: delivered,
        kinds: [...new Set(events.map((e) => e.vendorType))],
        more: moreAvailable,
        verified,
      };
    },
  };
}

export type SsfReceiverActivities = ReturnType<typeof ssfReceiverActivities>;
