/**
 * Evidence on S3-compatible storage with Object Lock (WORM): what is written cannot be changed or
 * deleted by anyone — the engine, an administrator or an attacker with the engine's keys — until
 * the retention date.
 *   objects/<sha256>                     the canonical JSON of each item
 *   incidents/<id>/entries/<seq>.json    one object per chain entry (seq zero-padded)
 * Every PUT carries the lock (mode + retain-until) and `If-None-Match: *`, so an entry's place in
 * the chain is taken atomically: two writers can never both append entry 7, across processes.
 * The bucket must have Object Lock enabled (it can only be enabled at creation).
 */
import { createHash } from 'node:crypto';
import { canonicalJson, ChainVerification, ManifestEntry, nextEntry, sha256Hex, verifyStored } from './chain';
import { KeyedQueue } from './keyed-queue';
import { EvidenceIncidentIdInvalid, EvidenceStore, parseVerified, StoredEvidence } from './local-store';
import {
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  paginateListObjectsV2,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { s3Client, s3Error, S3Error, S3Settings, s3Status } from './s3';

export interface S3EvidenceSettings extends S3Settings {
  lockMode: 'COMPLIANCE' | 'GOVERNANCE';
  retentionDays: number;
}

const SAFE_ID = /^[A-Za-z0-9._-]{1,200}$/;
const APPEND_ATTEMPTS = 20;
/** Chain entries an append remembers (about 300 bytes each), across incidents. */
const SEEN_ENTRIES = 20_000;

export class S3EvidenceStore implements EvidenceStore {
  private readonly s3: S3Client;
  /** Appends to one chain are serialised within this process; across processes the conditional PUT decides. */
  private readonly appends = new KeyedQueue();

  constructor(private readonly settings: S3EvidenceSettings) {
    this.s3 = s3Client(settings);
  }

  /** Fails unless the bucket has Object Lock enabled: without it, "write once" is a promise, not a fact. */
  async assertLocked(): Promise<void> {
    const enabled = await this.s3
      .send(new GetObjectLockConfigurationCommand({ Bucket: this.settings.bucket }))
      .then(
        (r) => r.ObjectLockConfiguration?.ObjectLockEnabled === 'Enabled',
        (err: unknown) => {
          // No configuration at all is the answer "not enabled"; anything else is a failure to ask.
          if (s3Status(err)?.code === 'ObjectLockConfigurationNotFoundError') return false;
          throw s3Error(err, `object lock of bucket '${this.settings.bucket}'`);
        },
      );
    if (!enabled) {
      throw new S3Error(
        404,
        'ObjectLockNotEnabled',
        `S3 bucket '${this.settings.bucket}' has no Object Lock enabled; create it with Object Lock on`,
      );
    }
  }

  async record(
    incidentId: string,
    kind: string,
    content: unknown,
    idempotencyKey: string,
  ): Promise<StoredEvidence> {
    this.check(incidentId);
    return this.appends.run(incidentId, () => this.append(incidentId, kind, content, idempotencyKey));
  }

  private async append(
    incidentId: string,
    kind: string,
    content: unknown,
    idempotencyKey: string,
  ): Promise<StoredEvidence> {
    const body = canonicalJson(content);
    const objectHash = sha256Hex(body);
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      const entries = await this.chainForAppend(incidentId);
      const existing = entries.find((e) => e.idempotencyKey === idempotencyKey);
      if (existing) return { entry: existing, appended: false };
      const objectVersion =
        (await this.putOnce(`objects/${objectHash}`, body)) ??
        (await this.versionOf(`objects/${objectHash}`));
      const entry = nextEntry(entries, {
        kind,
        objectHash,
        size: Buffer.byteLength(body),
        idempotencyKey,
        ...(objectVersion ? { objectVersion } : {}),
      });
      const entryVersion = await this.putOnce(this.entryKey(incidentId, entry.seq), JSON.stringify(entry));
      if (entryVersion !== false) return { entry, appended: true, ...(entryVersion ? { entryVersion } : {}) };
      // Another writer took this place in the chain: read it again and append after it.
      await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * (attempt + 1)));
    }
    throw new Error(`evidence: could not append to '${incidentId}' after ${APPEND_ATTEMPTS} attempts`);
  }

  /**
   * The chain as an append needs it: entries this process has read before come from memory (they
   * are written once, under lock), so appending costs the list and the new entries, not a read of
   * the whole chain each time. Verification never uses this: it reads what the bucket holds.
   */
  private chainForAppend(incidentId: string): Promise<ManifestEntry[]> {
    return this.entries(incidentId, async (key) => {
      let entry = this.seenEntries.get(key);
      if (!entry) {
        entry = JSON.parse(await this.get(key)) as ManifestEntry;
        if (this.seenEntries.size >= SEEN_ENTRIES) this.seenEntries.clear();
        this.seenEntries.set(key, entry);
      }
      return entry;
    });
  }

  private readonly seenEntries = new Map<string, ManifestEntry>();

  /**
   * `pins`: the version of each entry the incident recorded at write time (its anchors): those
   * entries are read at that version, never at whatever version was put over them later.
   */
  async manifest(incidentId: string, pins: Map<number, string> = new Map()): Promise<ManifestEntry[]> {
    this.check(incidentId);
    return this.entries(
      incidentId,
      async (key, seq) => JSON.parse(await this.get(key, pins.get(seq))) as ManifestEntry,
    );
  }

  /** The chain's entries in order, each read by `read` (its key and sequence number). */
  private async entries(
    incidentId: string,
    read: (key: string, seq: number) => Promise<ManifestEntry>,
  ): Promise<ManifestEntry[]> {
    const keys = await this.list(`incidents/${incidentId}/entries/`);
    const entries = await Promise.all(keys.map((k) => read(k, Number(/(\d+)\.json$/.exec(k)?.[1]))));
    return entries.sort((a, b) => a.seq - b.seq);
  }

  /** The object at the version its entry pinned (`version`), re-hashed as read. */
  async read(objectHash: string, version?: string): Promise<unknown> {
    if (!/^[0-9a-f]{64}$/.test(objectHash))
      throw new Error(`evidence: '${objectHash}' is not an object hash`);
    return parseVerified(objectHash, await this.get(`objects/${objectHash}`, version));
  }

  async verify(incidentId: string, entries?: ManifestEntry[]): Promise<ChainVerification> {
    return verifyStored(entries ?? (await this.manifest(incidentId)), (hash, version) =>
      this.get(`objects/${hash}`, version).then(sha256Hex, () => undefined),
    );
  }

  private async versionOf(key: string): Promise<string | undefined> {
    return this.s3.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key })).then(
      (r) => r.VersionId,
      () => undefined,
    );
  }

  /** Every key under `prefix` (ListObjectsV2, all pages). */
  private async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    try {
      for await (const page of paginateListObjectsV2(
        { client: this.s3 },
        { Bucket: this.settings.bucket, Prefix: prefix },
      ))
        for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    } catch (err) {
      throw s3Error(err, `list ${prefix}`);
    }
    return keys;
  }

  async putSealed(ref: string, body: string): Promise<void> {
    await this.putOnce(this.sealedKey(ref), body);
  }

  async getSealed(ref: string): Promise<string | undefined> {
    try {
      return await this.get(this.sealedKey(ref));
    } catch (err) {
      if (err instanceof S3Error && err.status === 404) return undefined;
      throw err;
    }
  }

  private sealedKey(ref: string): string {
    if (!/^[0-9a-f]{64}$/.test(ref)) throw new Error('sealed reference must be 64 hex digits');
    return `sealed/${ref}`;
  }

  /**
   * PUT unless the key exists, under the bucket's lock. False when it already existed; otherwise
   * the version id S3 gave it (undefined if the store keeps none).
   */
  private async putOnce(key: string, body: string): Promise<string | undefined | false> {
    const retainUntil = new Date(Date.now() + this.settings.retentionDays * 86_400_000);
    try {
      const res = await this.s3.send(
        new PutObjectCommand({
          Bucket: this.settings.bucket,
          Key: key,
          Body: body,
          ContentType: 'application/json',
          ContentMD5: createHash('md5').update(body).digest('base64'), // required with Object Lock
          IfNoneMatch: '*',
          ObjectLockMode: this.settings.lockMode,
          ObjectLockRetainUntilDate: new Date(Math.floor(retainUntil.getTime() / 1000) * 1000),
        }),
      );
      return res.VersionId;
    } catch (err) {
      const status = s3Status(err)?.status;
      if (status === 412 || status === 409) return false; // exists (409: a concurrent conditional write)
      throw s3Error(err, `put ${key}`);
    }
  }

  private async get(key: string, version?: string): Promise<string> {
    try {
      const res = await this.s3.send(
        new GetObjectCommand({
          Bucket: this.settings.bucket,
          Key: key,
          ...(version ? { VersionId: version } : {}),
        }),
      );
      return await res.Body!.transformToString('utf8');
    } catch (err) {
      throw s3Error(err, `get ${key}`);
    }
  }

  private entryKey(incidentId: string, seq: number): string {
    return `incidents/${incidentId}/entries/${String(seq).padStart(8, '0')}.json`;
  }

  private check(incidentId: string): void {
    if (!SAFE_ID.test(incidentId)) throw new EvidenceIncidentIdInvalid(incidentId);
  }
}
