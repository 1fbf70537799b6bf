/**
 * The messages an SSF event stream's workflow answers (workflows/ssf-stream.ts), shared with the
 * API. Every update names the receiver that owns the stream: another receiver's request is refused
 * as if the stream did not exist.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { SecurityEventFacts } from '../ssf/events';
import type { SubjectId } from '../ssf/subjects';

export type DeliveryMethod = 'urn:ietf:rfc:8935' | 'urn:ietf:rfc:8936';
export type StreamStatus = 'enabled' | 'paused' | 'disabled';

export interface StreamConfig {
  stream_id: string;
  iss: string;
  aud: string[];
  delivery: { method: DeliveryMethod; endpoint_url?: string };
  events_supported: string[];
  events_requested: string[];
  events_delivered: string[];
  description?: string;
  min_verification_interval?: number;
  /** The subject identifier format the receiver wants (SSF 1.0 §8.1.1: `format`). */
  format?: SubjectFormat;
}

export const SUBJECT_FORMATS = ['iss_sub', 'email', 'opaque'] as const;
export type SubjectFormat = (typeof SUBJECT_FORMATS)[number];

export interface Delivery {
  jti: string;
  event: string;
  txn?: string;
  /** When the SET was made, and when the receiver acknowledged it (push 202, poll ack). */
  at: string;
  acknowledgedAt?: string;
  status: 'pending' | 'acknowledged' | 'failed';
  error?: string;
}

export interface StreamState {
  owner: string;
  config: StreamConfig;
  /** Secret: sent as the Authorization header of pushes; never returned by reads. */
  authorizationHeader?: string;
  status: StreamStatus;
  reason?: string;
  /** Subjects the receiver removed (default_subjects ALL: everyone else is included). */
  excluded: SubjectId[];
  createdAt: string;
  deleted?: boolean;
  /** The latest deliveries (bounded). */
  deliveries: Delivery[];
  /** Poll delivery: SETs waiting for the receiver to acknowledge them, by jti. */
  waiting: Record<string, string>;
  lastVerificationAt?: string;
}

export interface StreamRequest {
  owner: string;
}

export const streamStateQuery = defineQuery<StreamState>('ssfStreamState');
export const configureStreamUpdate = defineUpdate<
  StreamConfig,
  [StreamRequest & { replace: boolean; config: Partial<StreamConfig> & { authorization_header?: string } }]
>('ssfConfigure');
export const streamStatusUpdate = defineUpdate<
  { stream_id: string; status: StreamStatus; reason?: string },
  [StreamRequest & { status: StreamStatus; reason?: string }]
>('ssfStatus');
export const streamSubjectUpdate = defineUpdate<
  { ok: true },
  [StreamRequest & { op: 'add' | 'remove'; subject: SubjectId }]
>('ssfSubject');
export const verifyStreamUpdate = defineUpdate<{ jti: string }, [StreamRequest & { state?: string }]>(
  'ssfVerify',
);
export const deleteStreamUpdate = defineUpdate<{ deleted: true }, [StreamRequest]>('ssfDelete');
export const pollStreamUpdate = defineUpdate<
  { sets: Record<string, string>; moreAvailable: boolean },
  [
    StreamRequest & {
      ack: string[];
      maxEvents: number;
      setErrs?: Record<string, { err: string; description?: string }>;
    },
  ]
>('ssfPoll');
/** A security event for every stream that wants it (sent by the incident playbooks' activity). */
export const securityEventSignal = defineSignal<
  [
    {
      facts: SecurityEventFacts;
      subject: SubjectId;
      /** The same person in the other formats known (a stream that asked for one gets it). */
      alternatives?: SubjectId[];
      txn?: string;
    },
  ]
>('ssfSecurityEvent');

/** Visibility query for the running streams of a deployment (its task queue). */
export function runningStreamsQuery(taskQueue: string): string {
  return `WorkflowType = 'ssfStream' AND ExecutionStatus = 'Running' AND TaskQueue = '${taskQueue.replaceAll("'", '')}'`;
}
