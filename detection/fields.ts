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
  // One lookup for the exact key (an own `undefined`, which JSON never holds, is found by the walk);
  // the walk is a function of its own, so this one stays small enough to be inlined.
  const exact = obj[name];
  return exact !== undefined ? exact : anyCase(obj, name);
}

function anyCase(obj: Raw, name: string): unknown {
  for (const k in obj) if (k.length === name.length && sameIgnoringCase(k, name)) return obj[k];
  return undefined;
}

/** `a.toLowerCase() === b.toLowerCase()` for strings of one length, without new strings for ASCII. */
function sameIgnoringCase(a: string, b: string): boolean {
  for (let i = 0; i < a.length; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    if (x > 127 || y > 127) return a.toLowerCase() === b.toLowerCase();
    if (x >= 65 && x <= 90) x += 32;
    if (y >= 65 && y <= 90) y += 32;
    if (x !== y) return false;
  }
  return true;
}

/** Paths split once: parsers ask for the same few hundred paths on every record. */
const SEGMENTS = new Map<string, string[]>();

/**
 * The same text as a property key V8 has already internalized: a segment cut from a path by `split`
 * is a fresh string, and every property lookup with one looks it up in the string table first
 * (about three times the cost of the lookup itself).
 */
function internalized(segment: string): string {
  return Object.keys({ [segment]: 0 })[0];
}

/** Value at a dotted path, case-insensitive per segment. */
export function get(obj: unknown, path: string): unknown {
  if (!isRecord(obj)) return undefined;
  let parts = SEGMENTS.get(path);
  if (parts === undefined) {
    parts = path.split('.').map(internalized);
    // Paths are the parsers' own constants; the bound only guards a caller that builds them.
    if (SEGMENTS.size < 10_000) SEGMENTS.set(path, parts);
  }
  let cur = key(obj, parts[0]);
  for (let i = 1; i < parts.length; i++) {
    if (!isRecord(cur)) return undefined;
    cur = key(cur, parts[i]);
  }
  return cur;
}

/** `v.trim()`, without the call when both ends are printable ASCII (nothing to trim). */
function trimmed(v: string): string {
  const n = v.length;
  if (n === 0) return v;
  const a = v.charCodeAt(0);
  const b = v.charCodeAt(n - 1);
  return a > 32 && a < 127 && b > 32 && b < 127 ? v : v.trim();
}

/** A non-empty string at the first path that has one (numbers are turned into strings). */
export function str(obj: unknown, a: string, b?: string, c?: string, d?: string): string | undefined {
  // Up to four paths as parameters, not a rest array: parsers call this a few dozen times a record.
  let v = text(get(obj, a));
  if (v === undefined && b !== undefined) v = text(get(obj, b));
  if (v === undefined && c !== undefined) v = text(get(obj, c));
  if (v === undefined && d !== undefined) v = text(get(obj, d));
  return v;
}

/** A non-empty trimmed string, a finite number as text, or nothing. */
function text(v: unknown): string | undefined {
  if (typeof v === 'string') {
    const t = trimmed(v);
    return t !== '' ? t : undefined;
  }
  return typeof v === 'number' && Number.isFinite(v) ? String(v) : undefined;
}

export function num(obj: unknown, a: string, b?: string, c?: string): number | undefined {
  let v = number(get(obj, a));
  if (v === undefined && b !== undefined) v = number(get(obj, b));
  if (v === undefined && c !== undefined) v = number(get(obj, c));
  return v;
}

function number(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) return Number(v);
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

export { canonicalMillis, isoTime } from './times';

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
