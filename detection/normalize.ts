/**
 * Raw vendor records → normalized identity events. Each record is handled on its own: a bad record
 * is reported with its index and reason, and never costs the good records of the same batch.
 */
import { EVENT_PROVIDERS, EventProvider, IdentityEvent } from './events';
import { EventRejected, rawRef } from './fields';
import type { Parser } from './parsers/common';
import { parseAuth0 } from './parsers/auth0';
import { parseEntra } from './parsers/entra';
import { parseGoogle } from './parsers/google';
import { parseKeycloak } from './parsers/keycloak';
import { parseOkta } from './parsers/okta';
import { parseLab } from './parsers/lab';
import { parseDuo } from './parsers/duo';
import { parseOneLogin } from './parsers/onelogin';
import { parseM365 } from './parsers/m365';

const PARSERS: Record<EventProvider, Parser> = {
  keycloak: parseKeycloak,
  okta: parseOkta,
  entra: parseEntra,
  auth0: parseAuth0,
  google: parseGoogle,
  duo: parseDuo,
  onelogin: parseOneLogin,
  m365: parseM365,
  lab: parseLab,
};

export function isEventProvider(value: unknown): value is EventProvider {
  return typeof value === 'string' && (EVENT_PROVIDERS as readonly string[]).includes(value);
}

export interface Rejection {
  index: number;
  reason: string;
}

export interface NormalizedBatch {
  events: IdentityEvent[];
  /** The record index each event came from (`events[i]` from record `indexes[i]`). */
  indexes: number[];
  rejected: Rejection[];
}

export interface BatchContext {
  receivedAt: string;
}

/**
 * `text` is the record as received, when the caller has it: the raw reference is then the hash of
 * the received bytes (and the record is not serialised again just to hash it).
 */
export function normalizeRecord(
  provider: EventProvider,
  raw: unknown,
  ctx: BatchContext,
  text?: string,
): IdentityEvent[] {
  return PARSERS[provider](raw, { receivedAt: ctx.receivedAt, rawRef: rawRef(text ?? raw) });
}

export function normalizeBatch(
  provider: EventProvider,
  records: unknown[],
  ctx: BatchContext,
  texts?: (string | undefined)[],
): NormalizedBatch {
  const events: IdentityEvent[] = [];
  const indexes: number[] = [];
  const rejected: Rejection[] = [];
  records.forEach((raw, index) => {
    if (raw instanceof RecordSyntaxError) {
      rejected.push({ index, reason: raw.message });
      return;
    }
    try {
      for (const e of normalizeRecord(provider, raw, ctx, texts?.[index])) {
        events.push(e);
        indexes.push(index);
      }
    } catch (err) {
      rejected.push({
        index,
        reason: err instanceof EventRejected ? err.message : `unreadable record: ${(err as Error).message}`,
      });
    }
  });
  return { events, indexes, rejected };
}

/** Stands in the record list for an NDJSON line that is not JSON, so its index is reported. */
export class RecordSyntaxError {
  constructor(readonly message: string) {}
}

/**
 * Splits a request body into records: a JSON array, a single JSON object, or NDJSON (one record a
 * line). With `textLines`, a line that is not JSON is kept as a text record (Keycloak server logs).
 */
/** The longest line (record) ingest reads; a longer one is rejected with its index. */
export const MAX_LINE_LENGTH = 64 * 1024;

export function splitRecords(
  body: string,
  opts: { textLines?: boolean; texts?: (string | undefined)[]; maxLineLength?: number } = {},
): unknown[] {
  const maxLine = opts.maxLineLength ?? MAX_LINE_LENGTH;
  const trimmed = body.trim();
  if (trimmed === '') return [];
  if (trimmed.startsWith('[')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (Array.isArray(parsed)) return parsed;
    } catch {
      /* not one JSON array: fall through to NDJSON */
    }
  }
  const lines = body.split(/\r?\n/);
  const records: unknown[] = [];
  lines.forEach((line, i) => {
    const text = line.trim();
    if (text === '') return;
    if (text.length > maxLine) {
      records.push(new RecordSyntaxError(`line ${i + 1} is longer than ${maxLine} characters`));
      opts.texts?.push(undefined);
      return;
    }
    if (text.startsWith('{') || text.startsWith('[')) {
      try {
        records.push(JSON.parse(text));
        opts.texts?.push(text);
        return;
      } catch (err) {
        if (!opts.textLines) {
          records.push(new RecordSyntaxError(`line ${i + 1} is not valid JSON: ${(err as Error).message}`));
          opts.texts?.push(undefined);
          return;
        }
      }
    }
    records.push(opts.textLines ? text : new RecordSyntaxError(`line ${i + 1} is not a JSON object`));
    opts.texts?.push(opts.textLines ? text : undefined);
  });
  return records;
}
