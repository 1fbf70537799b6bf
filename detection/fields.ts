/**
 * Field access for raw vendor records. Vendors differ in key case for the same field (Azure Monitor
 * sends both `Level` and `level`, `CreatedDateTime` and `createdDateTime`), so lookups try the exact
 * key first and fall back to a case-insensitive match.
 */
import * as crypto from 'node:crypto';

export type Raw = Record<string, unknown>;

export function isRecord(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function key(obj: Raw, name: string): unknown {
  if (name in obj) return obj[name];
  const lower = name.toLowerCase();
  for (const k in obj) if (k.length === name.length && k.toLowerCase() === lower) return obj[k];
  return undefined;
}

/** Paths split once: parsers ask for the same few hundred paths on every record. */
const SEGMENTS = new Map<string, string[]>();

/** Value at a dotted path, case-insensitive per segment. */
export function get(obj: unknown, path: string): unknown {
  let parts = SEGMENTS.get(path);
  if (!parts) {
    parts = path.split('.');
    // Paths are the parsers' own constants; the bound only guards a caller that builds them.
    if (SEGMENTS.size < 10_000) SEGMENTS.set(path, parts);
  }
  let cur: unknown = obj;
  for (const part of parts) {
    if (!isRecord(cur)) return undefined;
    cur = key(cur, part);
  }
  return cur;
}

/** A non-empty string at the first path that has one (numbers are turned into strings). */
export function str(obj: unknown, ...paths: string[]): string | undefined {
  for (const p of paths) {
    const v = get(obj, p);
    if (typeof v === 'string' && v.trim() !== '') return v.trim();
    if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  }
  return undefined;
}

export function num(obj: unknown, ...paths: string[]): number | undefined {
  for (const p of paths) {
    const v = get(obj, p);
    if (typeof v === 'number' && Number.isFinite(v)) return v;
    if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
  }
  return undefined;
}

export function obj(o: unknown, path: string): Raw | undefined {
  const v = get(o, path);
  return isRecord(v) ? v : undefined;
}

export function arr(o: unknown, path: string): unknown[] {
  const v = get(o, path);
  return Array.isArray(v) ? v : [];
}

/**
 * Parses the time formats vendors use into ISO-8601 UTC: ISO strings with or without zone (taken as
 * UTC), epoch seconds or milliseconds (numbers or digit strings), and RFC 2822-like dates.
 */
export function isoTime(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'number' || (typeof value === 'string' && /^\d{9,}(\.\d+)?$/.test(value.trim()))) {
    const n = Number(value);
    const ms = n < 1e11 ? n * 1000 : n; // seconds before ~5138, milliseconds after
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
  }
  if (typeof value !== 'string') return undefined;
  const utc = isoUtc(value);
  if (utc !== undefined) return utc;
  let s = value.trim();
  const us = usDate(s);
  if (us) return us;
  // ISO without a zone: vendors mean UTC.
  if (/^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s = s.replace(' ', 'T') + 'Z';
  // More than millisecond precision (Azure: 7 digits) is fine to truncate.
  s = s.replace(/(\.\d{3})\d+/, '$1');
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d.toISOString();
}

/** `YYYY-MM-DDTHH:MM:SS[.fraction]Z`, the shape nearly every vendor sends. */
const ISO_UTC = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?Z$/;

/**
 * The common case without Date: an ISO UTC time whose fields are all in range is already its own
 * canonical form, with the fraction cut or padded to milliseconds. Anything else (another shape, or
 * a field out of range, which Date rolls over or refuses) is left to the general path.
 */
function isoUtc(s: string): string | undefined {
  const m = ISO_UTC.exec(s);
  if (!m) return undefined;
  const year = +m[1];
  const month = +m[2];
  const day = +m[3];
  if (month < 1 || month > 12 || day < 1 || +m[4] > 23 || +m[5] > 59 || +m[6] > 59) return undefined;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  if (day > (month === 2 ? (leap ? 29 : 28) : DAYS[month - 1])) return undefined;
  const fraction = m[7] === undefined ? '000' : m[7].length >= 3 ? m[7].slice(0, 3) : m[7].padEnd(3, '0');
  return `${s.slice(0, 19)}.${fraction}Z`;
}

const DAYS = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

/** Azure Monitor's US-style times: M/D/YYYY h:mm:ss [AM|PM] [+hh:mm] (UTC when no offset). */
function usDate(s: string): string | undefined {
  const m =
    /^(\d{1,2})\/(\d{1,2})\/(\d{4}) (\d{1,2}):(\d{2}):(\d{2})(?: ?(AM|PM))?(?: ?([+-]\d{2}):?(\d{2}))?$/i.exec(
      s,
    );
  if (!m) return undefined;
  const [, mo, d, y, h, mi, sec, ampm, oh, om] = m;
  let hour = Number(h);
  if (ampm) hour = (hour % 12) + (ampm.toUpperCase() === 'PM' ? 12 : 0);
  const offsetMin = oh ? Math.sign(Number(oh)) * (Math.abs(Number(oh)) * 60 + Number(om)) : 0;
  const ms =
    Date.UTC(Number(y), Number(mo) - 1, Number(d), hour, Number(mi), Number(sec)) - offsetMin * 60_000;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function rawRef(raw: unknown): string {
  const text = typeof raw === 'string' ? raw : JSON.stringify(raw);
  // crypto.hash (Node ≥ 20.12): one call, no Hash object per record; createHash where it is missing.
  return oneShot ? oneShot('sha256', text, 'hex') : crypto.createHash('sha256').update(text).digest('hex');
}

const oneShot = (crypto as { hash?: (algorithm: string, data: string, encoding: 'hex') => string }).hash;

/** Thrown by a parser for a record it cannot use; the ingest reports it with its index. */
export class EventRejected extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'EventRejected';
  }
}

/**
 * A lookup in a plain-object table that only sees the table's own keys: vendor strings such as
 * `toString` or `constructor` must not find Object.prototype's members.
 */
export function own<T>(table: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(table, key) ? table[key] : undefined;
}
