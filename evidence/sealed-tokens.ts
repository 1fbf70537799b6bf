/**
 * Tokens a responder hands over as "known stolen" are secrets: they never enter workflow history or
 * logs, and never lie in clear on a disk. Each is encrypted with the payload key ring (AES-256-GCM,
 * the same keys as Temporal payloads) and kept with the evidence (local folder or S3, write-once);
 * the incident carries only a keyed reference (HMAC under the deployment's principal-key secret, so
 * the reference in history cannot confirm a guessed token), which verification uses to load it back.
 */
import { createHmac } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import type { AesGcmPayloadCodec } from '../codec/payload-codec';
import type { EvidenceStore } from './local-store';

export class SealedTokenMissing extends Error {
  constructor(ref: string) {
    super(`SealedTokenMissing: no sealed token ${ref.slice(0, 12)}… in the evidence store`);
    this.name = 'SealedTokenMissing';
  }
}

interface SealedJson {
  metadata: Record<string, string>;
  data: string;
}

export class SealedTokens {
  /**
   * `codec`: the payload codec (undefined only with PAYLOAD_ENCRYPTION=off, a trial, when tokens are
   * kept unencrypted, owner-read-only). `refKey`: the deployment's principal-key secret.
   */
  constructor(
    private readonly store: Pick<EvidenceStore, 'putSealed' | 'getSealed'>,
    private readonly codec: AesGcmPayloadCodec | undefined,
    private readonly refKey: Buffer,
  ) {}

  async seal(token: string): Promise<string> {
    const ref = createHmac('sha256', this.refKey).update('sealed-token\u0000').update(token).digest('hex');
    const plain: Payload = { metadata: {}, data: new TextEncoder().encode(token) };
    const [sealed] = this.codec ? await this.codec.encode([plain]) : [plain];
    const json: SealedJson = {
      metadata: Object.fromEntries(
        Object.entries(sealed.metadata ?? {}).map(([k, v]) => [
          k,
          Buffer.from(v ?? new Uint8Array()).toString('base64'),
        ]),
      ),
      data: Buffer.from(sealed.data ?? new Uint8Array()).toString('base64'),
    };
    await this.store.putSealed(ref, JSON.stringify(json));
    return ref;
  }

  async open(ref: string): Promise<string> {
    const text = await this.store.getSealed(ref);
    if (text === undefined) throw new SealedTokenMissing(ref);
    const json = JSON.parse(text) as SealedJson;
    const payload: Payload = {
      metadata: Object.fromEntries(
        Object.entries(json.metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
      ),
      data: Buffer.from(json.data, 'base64'),
    };
    const [plain] = this.codec ? await this.codec.decode([payload]) : [payload];
    return Buffer.from(plain.data ?? new Uint8Array()).toString('utf8');
  }
}
