/**
 * The evidence manifest is an append-only hash chain: every entry names the hash of the entry before
 * it, and its own hash covers its content hash and that link. Changing, dropping or reordering any
 * entry, or any stored object, breaks verification at that entry.
 */
import { createHash } from 'node:crypto';

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted, so equal content always hashes the same. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(
      Object.keys(value as Record<string, unknown>)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

export interface ManifestEntry {
  seq: number;
  kind: string;
  objectHash: string;
  size: number;
  recordedAt: string;
  /** Makes a retried append a no-op: the same key never produces a second entry. */
  idempotencyKey: string;
  prevHash: string;
  entryHash: string;
  /** S3: the version the object was written as; reads pin it (a later version is never read). */
  objectVersion?: string;
}

export type UnsealedEntry = Omit<ManifestEntry, 'entryHash'>;

export function entryHash(entry: UnsealedEntry): string {
  const { seq, kind, objectHash, size, recordedAt, idempotencyKey, prevHash, objectVersion } = entry;
  return sha256Hex(
    canonicalJson({
      seq,
      kind,
      objectHash,
      size,
      recordedAt,
      idempotencyKey,
      prevHash,
      ...(objectVersion ? { objectVersion } : {}),
    }),
  );
}

export function seal(entry: UnsealedEntry): ManifestEntry {
  return { ...entry, entryHash: entryHash(entry) };
}

export interface ChainProblem {
  seq: number;
  reason: string;
}

export interface ChainVerification {
  ok: boolean;
  entries: number;
  headHash: string;
  problems: ChainProblem[];
}

/**
 * Recomputes the chain. `objectHashOf(hash)` returns the SHA-256 of the object stored under `hash`
 * (or undefined when it is missing), so the check covers the stored content as well as the manifest.
 */
export function verifyChain(
  entries: ManifestEntry[],
  objectHashOf: (objectHash: string) => string | undefined,
): ChainVerification {
  const problems: ChainProblem[] = [];
  let prev = GENESIS_HASH;
  entries.forEach((entry, index) => {
    if (entry.seq !== index)
      problems.push({ seq: entry.seq, reason: `expected seq ${index}, found ${entry.seq}` });
    if (entry.prevHash !== prev)
      problems.push({ seq: entry.seq, reason: 'does not link to the previous entry' });
    if (entryHash(entry) !== entry.entryHash)
      problems.push({ seq: entry.seq, reason: 'entry content was altered' });
    const actual = objectHashOf(entry.objectHash);
    if (actual === undefined)
      problems.push({ seq: entry.seq, reason: `object ${entry.objectHash} is missing` });
    else if (actual !== entry.objectHash) {
      problems.push({
        seq: entry.seq,
        reason: `object ${entry.objectHash} was altered (now hashes to ${actual})`,
      });
    }
    prev = entry.entryHash;
  });
  return { ok: problems.length === 0, entries: entries.length, headHash: prev, problems };
}

/**
 * A hash chain alone cannot tell that its last entries were cut off. The incident's workflow keeps
 * the hash of every entry it recorded (in Temporal history, outside the store): each must still be
 * in the manifest, unchanged, at its place.
 */
export function checkAnchors(
  entries: ManifestEntry[],
  anchors: { seq: number; entryHash: string; kind?: string }[],
): ChainProblem[] {
  const problems: ChainProblem[] = [];
  for (const a of anchors) {
    const entry = entries[a.seq];
    if (!entry) {
      problems.push({
        seq: a.seq,
        reason: `entry ${a.seq}${a.kind ? ` (${a.kind})` : ''} recorded by the incident is missing from the manifest`,
      });
    } else if (entry.entryHash !== a.entryHash) {
      problems.push({ seq: a.seq, reason: `entry ${a.seq} differs from the one the incident recorded` });
    }
  }
  return problems;
}

/** The entry that appends an object after `entries` (the chain link and the seal included). */
export function nextEntry(
  entries: ManifestEntry[],
  item: { kind: string; objectHash: string; size: number; idempotencyKey: string; objectVersion?: string },
): ManifestEntry {
  const prev = entries[entries.length - 1];
  return seal({
    seq: entries.length,
    ...item,
    recordedAt: new Date().toISOString(),
    prevHash: prev ? prev.entryHash : GENESIS_HASH,
  });
}

/**
 * Verifies `entries`, reading each distinct object once (at the version the entry pinned, where the
 * store keeps versions); `hashOf` is undefined for a missing object.
 */
export async function verifyStored(
  entries: ManifestEntry[],
  hashOf: (objectHash: string, version?: string) => Promise<string | undefined>,
): Promise<ChainVerification> {
  const first = new Map<string, ManifestEntry>();
  for (const e of entries) if (!first.has(e.objectHash)) first.set(e.objectHash, e);
  const actual = new Map<string, string | undefined>();
  await Promise.all(
    [...first.values()].map(async (e) =>
      actual.set(e.objectHash, await hashOf(e.objectHash, e.objectVersion)),
    ),
  );
  return verifyChain(entries, (hash) => actual.get(hash));
}
