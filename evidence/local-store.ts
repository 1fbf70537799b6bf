/**
 * Write-once, content-addressed evidence on a local folder:
 *   objects/<aa>/<sha256>           the canonical JSON of each item, read-only
 *   incidents/<id>/manifest.ndjson  the append-only hash chain (see chain.ts)
 * Production deployments point this at storage with object lock; the interface stays the same.
 */
import { promises as fs } from 'node:fs';
import { appendLine, completeLines, writeOnce } from './durable-files';
import * as path from 'node:path';
import { canonicalJson, ChainVerification, ManifestEntry, nextEntry, sha256Hex, verifyStored } from './chain';
import { KeyedQueue } from './keyed-queue';

export interface StoredEvidence {
  entry: ManifestEntry;
  /** False when the idempotency key had already been recorded (a retried activity). */
  appended: boolean;
  /** S3: the version the entry was written as (the incident anchors it; reads pin it). */
  entryVersion?: string;
}

export interface EvidenceStore {
  record(incidentId: string, kind: string, content: unknown, idempotencyKey: string): Promise<StoredEvidence>;
  /** `pins`: entry versions recorded at write time (stores that keep versions read those). */
  manifest(incidentId: string, pins?: Map<number, string>): Promise<ManifestEntry[]>;
  /** `version`: the object version its entry pinned (stores that keep versions). */
  read(objectHash: string, version?: string): Promise<unknown>;
  /** Verifies the chain; pass `entries` when the manifest was just read, to read it once. */
  verify(incidentId: string, entries?: ManifestEntry[]): Promise<ChainVerification>;
  /** A sealed secret (already encrypted by the caller) kept with the evidence, write-once. */
  putSealed(ref: string, body: string): Promise<void>;
  getSealed(ref: string): Promise<string | undefined>;
}

const SAFE_ID = /^[A-Za-z0-9._-]{1,200}$/;

export class EvidenceTampered extends Error {
  constructor(objectHash: string) {
    super(`EvidenceTampered: object ${objectHash.slice(0, 12)}… no longer hashes to its name`);
    this.name = 'EvidenceTampered';
  }
}

/** Parses an object read from a store after checking its bytes still hash to its name. */
export function parseVerified(objectHash: string, body: string): unknown {
  if (sha256Hex(body) !== objectHash) throw new EvidenceTampered(objectHash);
  return JSON.parse(body);
}

export class EvidenceIncidentIdInvalid extends Error {
  constructor(id: string) {
    super(`evidence: incident id '${id}' may only contain letters, digits, '.', '_' and '-'`);
    this.name = 'EvidenceIncidentIdInvalid';
  }
}

export class LocalEvidenceStore implements EvidenceStore {
  /** Appends to one manifest are serialised within this process. */
  private readonly appends = new KeyedQueue();

  constructor(private readonly root: string) {}

  async record(
    incidentId: string,
    kind: string,
    content: unknown,
    idempotencyKey: string,
  ): Promise<StoredEvidence> {
    return this.appends.run(incidentId, async () => {
      const entries = await this.manifest(incidentId);
      const existing = entries.find((e) => e.idempotencyKey === idempotencyKey);
      if (existing) return { entry: existing, appended: false };

      const body = canonicalJson(content);
      const objectHash = sha256Hex(body);
      await this.writeObject(objectHash, body);
      const entry = nextEntry(entries, { kind, objectHash, size: Buffer.byteLength(body), idempotencyKey });
      await fs.mkdir(this.incidentDir(incidentId), { recursive: true, mode: 0o700 });
      // Evidence names people and what happened to them: for the engine's account only.
      await appendLine(this.manifestPath(incidentId), JSON.stringify(entry), 0o600);
      return { entry, appended: true };
    });
  }

  async manifest(incidentId: string): Promise<ManifestEntry[]> {
    let text: string;
    try {
      text = await fs.readFile(this.manifestPath(incidentId), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    return completeLines(text).map((line) => JSON.parse(line) as ManifestEntry);
  }

  /** The object, re-hashed as read: changed bytes are refused, never returned. */
  async read(objectHash: string): Promise<unknown> {
    return parseVerified(objectHash, await fs.readFile(this.objectPath(objectHash), 'utf8'));
  }

  async verify(incidentId: string, entries?: ManifestEntry[]): Promise<ChainVerification> {
    return verifyStored(entries ?? (await this.manifest(incidentId)), (hash) =>
      fs.readFile(this.objectPath(hash)).then(sha256Hex, () => undefined),
    );
  }

  async putSealed(ref: string, body: string): Promise<void> {
    const file = this.sealedPath(ref);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    await writeOnce(file, body, 0o400);
  }

  async getSealed(ref: string): Promise<string | undefined> {
    try {
      return await fs.readFile(this.sealedPath(ref), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  private sealedPath(ref: string): string {
    if (!/^[0-9a-f]{64}$/.test(ref)) throw new Error('sealed reference must be 64 hex digits');
    return path.join(this.root, 'sealed', ref);
  }

  private async writeObject(objectHash: string, body: string): Promise<void> {
    const file = this.objectPath(objectHash);
    await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
    // Content-addressed and write-once: an existing object already holds these exact bytes
    // (writeOnce never leaves a partial file under the final name). Owner-read only.
    await writeOnce(file, body, 0o400);
  }

  private incidentDir(incidentId: string): string {
    if (!SAFE_ID.test(incidentId)) throw new EvidenceIncidentIdInvalid(incidentId);
    return path.join(this.root, 'incidents', incidentId);
  }

  private manifestPath(incidentId: string): string {
    return path.join(this.incidentDir(incidentId), 'manifest.ndjson');
  }

  private objectPath(objectHash: string): string {
    if (!/^[0-9a-f]{64}$/.test(objectHash))
      throw new Error(`evidence: '${objectHash}' is not a SHA-256 hex digest`);
    return path.join(this.root, 'objects', objectHash.slice(0, 2), objectHash);
  }
}
