/**
 * The engine as a receiver of one upstream SSF transmitter (SSF_TRANSMITTERS): keeps the engine's
 * stream there (made, checked hourly, remade if the transmitter lost it) and, for poll delivery,
 * polls it every two seconds, acknowledging what detection took. Pushes arrive at the API, which
 * verifies them, hands their events to detection and tells this workflow.
 */
import { continueAsNew, log, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { SsfReceiverActivities } from '../activities/ssf-receiver';
import {
  noteTaken,
  receiverStateQuery,
  setsTakenSignal,
  type ReceiverState,
} from './ssf-receiver-definitions';

const { ensureReceiverStream, pollSharedSignals } = proxyActivities<SsfReceiverActivities>({
  startToCloseTimeout: '1 minute',
  retry: {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: '1 minute',
    maximumAttempts: 5,
  },
});

const CHECK_EVERY_MS = 60 * 60_000;
const POLL_EVERY_MS = 2_000;

export async function ssfReceiver(input: { name: string; carried?: ReceiverState }): Promise<void> {
  const state: ReceiverState = input.carried ?? { name: input.name, sets: 0, events: 0, recent: [] };
  setHandler(receiverStateQuery, () => state);
  setHandler(setsTakenSignal, (taken) => noteTaken(state, taken));

  let ack: string[] = [];
  for (;;) {
    if (!state.stream || !state.checkedAt || Date.now() - Date.parse(state.checkedAt) >= CHECK_EVERY_MS) {
      try {
        state.stream = await ensureReceiverStream({ name: state.name });
        state.checkedAt = new Date().toISOString();
        state.error = undefined;
      } catch (err) {
        state.error = `could not hold the stream at the transmitter: ${(err as Error).message}`.slice(0, 500);
        log.warn(state.error);
        await sleep('1 minute');
        continue;
      }
    }
    if (state.stream.delivery === 'push') {
      await sleep(CHECK_EVERY_MS);
    } else {
      try {
        const polled = await pollSharedSignals({
          name: state.name,
          endpoint: state.stream.endpoint,
          aud: state.stream.aud,
          ack,
        });
        ack = polled.taken;
        if (polled.taken.length)
          noteTaken(state, {
            sets: polled.taken.length,
            events: polled.events,
            at: new Date().toISOString(),
            kinds: polled.kinds,
            verified: polled.verified,
          });
        state.error = undefined;
        if (!polled.more) await sleep(POLL_EVERY_MS);
      } catch (err) {
        state.error = `poll failed: ${(err as Error).message}`.slice(0, 500);
        state.checkedAt = undefined; // make sure of the stream again
        await sleep('10 seconds');
      }
    }
    if (workflowInfo().continueAsNewSuggested) {
      // Unacknowledged SETs are offered again by the transmitter: nothing is lost across the new run.
      await continueAsNew<typeof ssfReceiver>({ name: state.name, carried: state });
    }
  }
}
