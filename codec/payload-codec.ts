/**
 * Payload encryption for everything the engine puts in Temporal: workflow and activity inputs and
 * results, updates, queries, activity summaries and (through the failure converter) error messages
 * and stack traces. AES-256-GCM with a fresh 96-bit IV per payload; each payload names the key that
 * sealed it, so keys rotate by putting a new key first and keeping the old ones for decryption.
 *
 * Runs outside the workflow sandbox: in the client (API, worker's client) and the worker's codec
 * runner. Wire format: metadata `encoding: binary/encrypted`, `encryption-key-id: <id>`;
 * data = IV (12 bytes) | ciphertext | GCM tag (16 bytes) over the original Payload's protobuf bytes.
 */
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

export const ENCRYPTED_ENCODING = 'binary/encrypted';
export const KEY_ID_METADATA = 'encryption-key-id';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const utf8 = new TextEncoder();
const text = new TextDecoder();

export interface PayloadKey {
  /** Short, non-secret name stored with every payload (e.g. `2026-11`). */
  id: string;
  /** 32 random bytes. */
  key: Buffer;
}

export class PayloadKeyError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PayloadKeyError';
  }
}

/**
 * A payload that should have been encrypted was not: someone wrote it to Temporal without the
 * engine's key (a direct connection starting a workflow, a CLI signal). Never decoded, never acted on.
 */
export class UnencryptedPayload extends Error {
  constructor() {
    super(
      "UnencryptedPayload: refused a payload that is not encrypted with the engine's keys (written to Temporal by something other than the engine)",
    );
    this.name = 'UnencryptedPayload';
  }
}

export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly current: PayloadKey;
  private readonly byId: Map<string, Buffer>;

  /**
   * `keys[0]` encrypts; every key decrypts. `plaintext: 'pass'` lets unencrypted payloads through
   * on decode — only for showing histories to people (the codec endpoint), never for a worker or a
   * client that acts on what it reads.
   */
  constructor(
    keys: PayloadKey[],
    private readonly opts: { plaintext: 'refuse' | 'pass' } = { plaintext: 'refuse' },
  ) {
    if (!keys.length) throw new PayloadKeyError('at least one payload key is required');
    for (const k of keys) {
      if (k.key.length !== 32) throw new PayloadKeyError(`payload key '${k.id}' must be 32 bytes`);
    }
    this.current = keys[0];
    this.byId = new Map(keys.map((k) => [k.id, k.key]));
  }

  get keyId(): string {
    return this.current.id;
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', this.current.key, iv);
      cipher.setAAD(utf8.encode(this.current.id));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const sealed = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: {
          encoding: utf8.encode(ENCRYPTED_ENCODING),
          [KEY_ID_METADATA]: utf8.encode(this.current.id),
        },
        data: new Uint8Array(sealed),
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => {
      const encoding = payload.metadata?.encoding;
      if (!encoding || text.decode(encoding) !== ENCRYPTED_ENCODING) {
        if (this.opts.plaintext === 'pass') return payload;
        throw new UnencryptedPayload();
      }
      const idBytes = payload.metadata?.[KEY_ID_METADATA];
      const id = idBytes ? text.decode(idBytes) : '';
      const key = this.byId.get(id);
      if (!key) {
        throw new PayloadKeyError(
          `payload was encrypted with key '${id}', which is not among the configured PAYLOAD_KEYS`,
        );
      }
      const data = Buffer.from(payload.data ?? new Uint8Array());
      if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadKeyError('encrypted payload is truncated');
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(utf8.encode(id));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      let plain: Buffer;
      try {
        plain = Buffer.concat([
          decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)),
          decipher.final(),
        ]);
      } catch {
        throw new PayloadKeyError(`encrypted payload failed authentication under key '${id}'`);
      }
      return temporal.api.common.v1.Payload.decode(plain) as Payload;
    });
  }
}

/** `id:base64key[,id:base64key…]` — the first key encrypts. Errors never echo key material. */
export function parsePayloadKeys(spec: string): PayloadKey[] {
  const entries = spec
    .split(/[,\n]/)
    .map((s) => s.trim())
    .filter(Boolean);
  if (!entries.length) throw new PayloadKeyError('PAYLOAD_KEYS is empty');
  const seen = new Set<string>();
  return entries.map((entry, i) => {
    const sep = entry.indexOf(':');
    const id = sep > 0 ? entry.slice(0, sep) : '';
    if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
      throw new PayloadKeyError(`PAYLOAD_KEYS entry ${i + 1} should look like <key id>:<base64 of 32 bytes>`);
    }
    if (seen.has(id)) throw new PayloadKeyError(`PAYLOAD_KEYS names key '${id}' twice`);
    seen.add(id);
    const key = Buffer.from(entry.slice(sep + 1), 'base64');
    if (key.length !== 32) {
      throw new PayloadKeyError(
        `PAYLOAD_KEYS key '${id}' decodes to ${key.length} bytes; it must be 32 (openssl rand -base64 32)`,
      );
    }
    return { id, key };
  });
}

export function generatePayloadKeySpec(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}
