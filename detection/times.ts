/**
 * Times in vendor records, read without node modules (detection rules run in Temporal's workflow
 * sandbox too): every vendor format into canonical ISO-8601 UTC, and canonical times into epoch
 * milliseconds, the common shapes by hand rather than through Date and regular expressions.
 */
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

/**
 * The common case without Date or a regular expression: `YYYY-MM-DDTHH:MM:SS[.fraction]Z` (the
 * shape nearly every vendor sends) whose fields are all in range is already its own canonical form,
 * with the fraction cut or padded to milliseconds. Anything else (another shape, or a field out of
 * range, which Date rolls over or refuses) is left to the general path.
 */
function isoUtc(s: string): string | undefined {
  const n = s.length;
  if (n < 20 || s.charCodeAt(n - 1) !== 90 /* Z */) return undefined;
  if (!isoFields(s)) return undefined;
  if (n === 20) return `${s.slice(0, 19)}.000Z`;
  if (s.charCodeAt(19) !== 46 /* . */ || n === 21) return undefined;
  for (let i = 20; i < n - 1; i++) if (digit(s, i) < 0) return undefined;
  if (n === 24) return s;
  return n > 24 ? `${s.slice(0, 23)}Z` : `${s.slice(0, n - 1)}${'00'.slice(0, 24 - n)}Z`;
}

/** Whether `s` starts with `YYYY-MM-DDTHH:MM:SS`, every field in range (the day within its month). */
function isoFields(s: string): boolean {
  const year = digits(s, 0, 4);
  const month = digits(s, 5, 2);
  const day = digits(s, 8, 2);
  const hour = digits(s, 11, 2);
  const minute = digits(s, 14, 2);
  const second = digits(s, 17, 2);
  if (
    year < 0 ||
    s.charCodeAt(4) !== 45 ||
    s.charCodeAt(7) !== 45 ||
    s.charCodeAt(10) !== 84 ||
    s.charCodeAt(13) !== 58 ||
    s.charCodeAt(16) !== 58
  )
    return false;
  if (month < 1 || month > 12 || day < 1 || hour < 0 || hour > 23 || minute < 0 || minute > 59) return false;
  if (second < 0 || second > 59) return false;
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return day <= (month === 2 ? (leap ? 29 : 28) : DAYS[month - 1]);
}

/** The decimal digit at `i`, or -1. */
function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** `count` decimal digits from `at` as a number, or -1 when one is not a digit. */
function digits(s: string, at: number, count: number): number {
  let v = 0;
  for (let i = at; i < at + count; i++) {
    const d = digit(s, i);
    if (d < 0) return -1;
    v = v * 10 + d;
  }
  return v;
}

/**
 * Milliseconds since the epoch of a time in the canonical form normalized events carry
 * (`YYYY-MM-DDTHH:MM:SS.mmmZ`), without Date; NaN for anything else (the caller then asks Date).
 */
export function canonicalMillis(s: string): number {
  if (s.length !== 24 || s.charCodeAt(19) !== 46 || s.charCodeAt(23) !== 90 || !isoFields(s)) return NaN;
  const ms = digits(s, 20, 3);
  if (ms < 0) return NaN;
  // Days from the civil date (proleptic Gregorian; years before 100 too, where Date.UTC would add 1900).
  let y = digits(s, 0, 4);
  const m = digits(s, 5, 2);
  if (m <= 2) y -= 1;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + digits(s, 8, 2) - 1;
  const days = era * 146097 + yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy - 719468;
  return ((days * 24 + digits(s, 11, 2)) * 60 + digits(s, 14, 2)) * 60_000 + digits(s, 17, 2) * 1000 + ms;
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
