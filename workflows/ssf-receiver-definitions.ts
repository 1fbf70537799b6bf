/**
 * The messages of an SSF receiver's workflow (workflows/ssf-receiver.ts), shared with the API that
 * takes the transmitter's pushes: the stream it holds at the transmitter (the audience SETs must
 * carry) and what it has received.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ReceiverStream } from '../ssf/transmitter-client';

export interface ReceiverState {
  name: string;
  stream?: ReceiverStream;
  /** When the stream was last made sure of at the transmitter. */
  checkedAt?: string;
  /** SETs taken (pushed or polled), events handed to detection, and when the last came. */
  sets: number;
  events: number;
  lastSetAt?: string;
  /** The latest SETs taken: when, and the event types they carried (no subjects). */
  recent: { at: string; kinds: string[] }[];
  /** The transmitter's last verification event, and the last problem reaching it. */
  verifiedAt?: string;
  error?: string;
}

export const receiverStateQuery = defineQuery<ReceiverState>('receiverState');
/** The API took pushed SETs (already verified and handed to detection). */
export const setsTakenSignal = defineSignal<[SetsTaken]>('setsTaken');

export interface SetsTaken {
  sets: number;
  events: number;
  at: string;
  /** The events' types as detection reads them (`ssf:caep:session-revoked`, …). */
  kinds: string[];
  verified?: boolean;
}

/** Counts a take and keeps the latest twenty. */
export function noteTaken(state: ReceiverState, taken: SetsTaken): void {
  state.sets += taken.sets;
  state.events += taken.events;
  state.lastSetAt = taken.at;
  if (taken.verified) state.verifiedAt = taken.at;
  if (taken.kinds.length)
    state.recent = [...(state.recent ?? []), { at: taken.at, kinds: taken.kinds }].slice(-20);
}

export function receiverWorkflowId(name: string): string {
  return `ssf-receiver-${name}`;
}
