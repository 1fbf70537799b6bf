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
}

export interface EvidenceStore {
  record(incidentId: string, kind: string, content: unknown, idempotencyKey: string): Promise<StoredEvidence>;
  manifest(incidentId: string): Promise<ManifestEntry[]>;
  read(objectHash: string): Promise<unknown>;
  /** Verifies the chain; pass `entries` when the manifest was just read, to read it once. */
  verify(incidentId: string, entries?: ManifestEntry[]): Promise<ChainVerification>;
}

const SAFE_ID = /^[A-Za-z0-9._-]{1,200}$/;

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
      await fs.mkdir(this.incidentDir(incidentId), { recursive: true });
      await appendLine(this.manifestPath(incidentId), JSON.stringify(entry), 0o644);
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

  async read(objectHash: string): Promise<unknown> {
    return JSON.parse(await fs.readFile(this.objectPath(objectHash), 'utf8'));
  }

  async verify(incidentId: string, entries?: ManifestEntry[]): Promise<ChainVerification> {
    return verifyStored(entries ?? (await this.manifest(incidentId)), (hash) =>
      fs.readFile(this.objectPath(hash)).then(sha256Hex, () => undefined),
    );
  }

  private async writeObject(objectHash: string, body: string): Promise<void> {
    const file = this.objectPath(objectHash);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // Content-addressed and write-once: an existing object already holds these exact bytes
    // (writeOnce never leaves a partial file under the final name).
    await writeOnce(file, body, 0o444);
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
