import fc from 'fast-check';
import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { AesGcmPayloadCodec } from './payload-codec';

const codec = new AesGcmPayloadCodec([{ id: 'p1', key: randomBytes(32) }]);
const payload = fc.record({
  metadata: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), fc.uint8Array({ maxLength: 40 }), {
    maxKeys: 4,
  }),
  data: fc.uint8Array({ maxLength: 2000 }),
});

/** A payload as comparable text: metadata and data bytes in hex. */
const hex = (p: Payload) => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v ?? []).toString('hex')]),
  ),
  data: Buffer.from(p.data ?? []).toString('hex'),
});

describe('payload codec properties', () => {
  it('decodes what it encoded, bytes and metadata alike', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(payload, { maxLength: 5 }), async (payloads: Payload[]) => {
        const back = await codec.decode(await codec.encode(payloads));
        expect(back.map(hex)).toEqual(payloads.map(hex));
      }),
      { numRuns: 200 },
    );
  });

  it('refuses any single flipped bit of a sealed payload', async () => {
    await fc.assert(
      fc.asyncProperty(payload, fc.nat(), fc.integer({ min: 0, max: 7 }), async (p, at, bit) => {
        const [sealed] = await codec.encode([p]);
        const data = Buffer.from(sealed.data!);
        data[at % data.length] ^= 1 << bit;
        await expect(codec.decode([{ ...sealed, data }])).rejects.toThrow(/failed authentication|truncated/);
      }),
      { numRuns: 300 },
    );
  });
});
