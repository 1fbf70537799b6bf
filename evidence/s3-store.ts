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
import { S3Client, S3Error, S3Settings } from './s3';

export interface S3EvidenceSettings extends S3Settings {
  lockMode: 'COMPLIANCE' | 'GOVERNANCE';
  retentionDays: number;
}

const SAFE_ID = /^[A-Za-z0-9._-]{1,200}$/;
const APPEND_ATTEMPTS = 20;

export class S3EvidenceStore implements EvidenceStore {
  private readonly s3: S3Client;
  /** Appends to one chain are serialised within this process; across processes the conditional PUT decides. */
  private readonly appends = new KeyedQueue();

  constructor(private readonly settings: S3EvidenceSettings) {
    this.s3 = new S3Client(settings);
  }

  /** Fails unless the bucket has Object Lock enabled: without it, "write once" is a promise, not a fact. */
  async assertLocked(): Promise<void> {
    const res = await this.s3.request('GET', '', { query: { 'object-lock': '' } });
    const xml = res.ok ? await res.text() : '';
    if (!/<ObjectLockEnabled>Enabled<\/ObjectLockEnabled>/.test(xml)) {
      throw new S3Error(
        res.status,
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
      const entries = await this.manifest(incidentId);
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
   * `pins`: the version of each entry the incident recorded at write time (its anchors): those
   * entries are read at that version, never at whatever version was put over them later.
   */
  async manifest(incidentId: string, pins: Map<number, string> = new Map()): Promise<ManifestEntry[]> {
    this.check(incidentId);
    const keys = (await this.s3.list(`incidents/${incidentId}/entries/`)).sort();
    const entries = await Promise.all(
      keys.map(async (k) => {
        const seq = Number(/(\d+)\.json$/.exec(k)?.[1]);
        return JSON.parse(await this.get(k, pins.get(seq))) as ManifestEntry;
      }),
    );
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
    const res = await this.s3.request('HEAD', key);
    return res.ok ? (res.headers.get('x-amz-version-id') ?? undefined) : undefined;
  }

  async putSealed(ref: string, body: string): Promise<void> {
    await this.putOnce(this.sealedKey(ref), body);
  }

  async getSealed(ref: string): Promise<string | undefined> {
    const res = await this.s3.request('GET', this.sealedKey(ref));
    if (res.status === 404) return undefined;
    return (await (await this.s3.ok(res, `get sealed ${ref.slice(0, 12)}…`)).text()) as string;
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
    const res = await this.s3.request('PUT', key, {
      body,
      headers: {
        'content-type': 'application/json',
        'content-md5': createHash('md5').update(body).digest('base64'), // required with Object Lock
        'if-none-match': '*',
        'x-amz-object-lock-mode': this.settings.lockMode,
        'x-amz-object-lock-retain-until-date': retainUntil.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      },
    });
    if (res.status === 412 || res.status === 409) return false; // exists (409: a concurrent conditional write)
    await this.s3.ok(res, `put ${key}`);
    return res.headers.get('x-amz-version-id') ?? undefined;
  }

  private async get(key: string, version?: string): Promise<string> {
    const res = await this.s3.request('GET', key, version ? { query: { versionId: version } } : {});
    return (await (await this.s3.ok(res, `get ${key}`)).text()) as string;
  }

  private entryKey(incidentId: string, seq: number): string {
    return `incidents/${incidentId}/entries/${String(seq).padStart(8, '0')}.json`;
  }

  private check(incidentId: string): void {
    if (!SAFE_ID.test(incidentId)) throw new EvidenceIncidentIdInvalid(incidentId);
  }
}
