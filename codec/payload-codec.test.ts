import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import {
  AesGcmPayloadCodec,
  generatePayloadKeySpec,
  parsePayloadKeys,
  UnencryptedPayload,
} from './payload-codec';

const utf8 = (s: string) => new TextEncoder().encode(s);
const payload = (s: string): Payload => ({ metadata: { encoding: utf8('json/plain') }, data: utf8(s) });

describe('AesGcmPayloadCodec', () => {
  const k1 = { id: 'k1', key: randomBytes(32) };
  const k2 = { id: 'k2', key: randomBytes(32) };

  it('round-trips payloads, metadata included, and hides their content', async () => {
    const codec = new AesGcmPayloadCodec([k1]);
    const [sealed] = await codec.encode([payload('"alice@corp.example"')]);
    expect(Buffer.from(sealed.data!).toString()).not.toContain('alice');
    expect(Buffer.from(sealed.metadata!.encoding!).toString()).toBe('binary/encrypted');
    const [plain] = await codec.decode([sealed]);
    expect(Buffer.from(plain.data!).toString()).toBe('"alice@corp.example"');
    expect(Buffer.from(plain.metadata!.encoding!).toString()).toBe('json/plain');
  });

  it('uses a fresh IV every time', async () => {
    const codec = new AesGcmPayloadCodec([k1]);
    const [a, b] = await codec.encode([payload('same'), payload('same')]);
    expect(Buffer.from(a.data!).equals(Buffer.from(b.data!))).toBe(false);
  });

  it('encrypts with the first key and decrypts with any configured key', async () => {
    const [old] = await new AesGcmPayloadCodec([k1]).encode([payload('x')]);
    const rotated = new AesGcmPayloadCodec([k2, k1]);
    const [fresh] = await rotated.encode([payload('y')]);
    expect(Buffer.from(fresh.metadata!['encryption-key-id']!).toString()).toBe('k2');
    expect(Buffer.from((await rotated.decode([old]))[0].data!).toString()).toBe('x');
  });

  it('refuses an unknown key, a flipped bit and a swapped key id', async () => {
    const [sealed] = await new AesGcmPayloadCodec([k1]).encode([payload('x')]);
    await expect(new AesGcmPayloadCodec([k2]).decode([sealed])).rejects.toThrow("key 'k1'");
    const flipped = Buffer.from(sealed.data!);
    flipped[20] ^= 1;
    await expect(new AesGcmPayloadCodec([k1]).decode([{ ...sealed, data: flipped }])).rejects.toThrow(
      'failed authentication',
    );
    // The key id is authenticated data: relabelling a payload for another key fails too.
    const both = new AesGcmPayloadCodec([k1, { id: 'k3', key: k1.key }]);
    const relabelled = { ...sealed, metadata: { ...sealed.metadata, 'encryption-key-id': utf8('k3') } };
    await expect(both.decode([relabelled])).rejects.toThrow('failed authentication');
  });

  it('refuses an unencrypted payload (written to Temporal by something other than the engine)', async () => {
    await expect(new AesGcmPayloadCodec([k1]).decode([payload('forged input')])).rejects.toThrow(
      UnencryptedPayload,
    );
  });

  it('passes unencrypted payloads through only where histories are shown to people', async () => {
    const p = payload('legacy');
    expect((await new AesGcmPayloadCodec([k1], { plaintext: 'pass' }).decode([p]))[0]).toBe(p);
  });
});

describe('parsePayloadKeys', () => {
  it('reads id:base64 lists, first key first', () => {
    const keys = parsePayloadKeys(
      `${generatePayloadKeySpec('2026-11')},\n${generatePayloadKeySpec('2026-05')}`,
    );
    expect(keys.map((k) => k.id)).toEqual(['2026-11', '2026-05']);
    expect(keys[0].key).toHaveLength(32);
  });

  it.each([
    ['', 'PAYLOAD_KEYS is empty'],
    ['nokey', 'entry 1 should look like'],
    [`a:${Buffer.from('short-secret-material').toString('base64')}`, "key 'a' decodes to 21 bytes"],
    [`${generatePayloadKeySpec('a')},${generatePayloadKeySpec('a')}`, "names key 'a' twice"],
  ])('rejects %j clearly', (spec, message) => {
    expect(() => parsePayloadKeys(spec)).toThrow(message);
  });

  it('never echoes key material in its errors', () => {
    const material = Buffer.from('short-secret-material').toString('base64');
    try {
      parsePayloadKeys(`a:${material}`);
      throw new Error('expected a failure');
    } catch (err) {
      expect((err as Error).message).not.toContain(material);
    }
  });
});
