/**
 * Evidence integrity as properties: any chain the store writes verifies; changing any field of any
 * entry, any stored object, or the order of entries makes verification fail naming that entry; a
 * cut-off tail is caught by the incident's own anchors.
 */
import fc from 'fast-check';
import {
  canonicalJson,
  checkAnchors,
  GENESIS_HASH,
  ManifestEntry,
  seal,
  sha256Hex,
  verifyChain,
} from './chain';

function build(contents: unknown[]): { entries: ManifestEntry[]; objects: Map<string, string> } {
  const objects = new Map<string, string>();
  const entries: ManifestEntry[] = [];
  contents.forEach((content, seq) => {
    const body = canonicalJson(content);
    const objectHash = sha256Hex(body);
    objects.set(objectHash, body);
    entries.push(
      seal({
        seq,
        kind: `k${seq % 3}`,
        objectHash,
        size: Buffer.byteLength(body),
        recordedAt: new Date(1_700_000_000_000 + seq * 1000).toISOString(),
        idempotencyKey: `key-${seq}`,
        prevHash: seq === 0 ? GENESIS_HASH : entries[seq - 1].entryHash,
      }),
    );
  });
  return { entries, objects };
}

const verify = (entries: ManifestEntry[], objects: Map<string, string>) =>
  verifyChain(entries, (h) => (objects.has(h) ? sha256Hex(objects.get(h)!) : undefined));

const contents = fc.array(fc.jsonValue({ maxDepth: 3 }), { minLength: 1, maxLength: 12 });
const FIELDS = [
  'seq',
  'kind',
  'objectHash',
  'size',
  'recordedAt',
  'idempotencyKey',
  'prevHash',
  'entryHash',
] as const;

describe('evidence chain properties', () => {
  it('verifies every chain as written', () => {
    fc.assert(
      fc.property(contents, (cs) => {
        const { entries, objects } = build(cs);
        expect(verify(entries, objects)).toMatchObject({ ok: true, entries: cs.length, problems: [] });
        expect(checkAnchors(entries, entries)).toEqual([]);
      }),
    );
  });

  it('names the entry whose field was changed', () => {
    fc.assert(
      fc.property(
        contents,
        fc.nat(),
        fc.constantFrom(...FIELDS),
        fc.string({ minLength: 1 }),
        (cs, at, field, junk) => {
          const { entries, objects } = build(cs);
          const i = at % entries.length;
          const before = entries[i][field];
          const after = typeof before === 'number' ? before + 1 + (junk.length % 5) : `${before}${junk}`;
          (entries[i] as unknown as Record<string, unknown>)[field] = after;
          const result = verify(entries, objects);
          expect(result.ok).toBe(false);
          expect(result.problems.map((p) => p.seq)).toContain(field === 'seq' ? after : i);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('names the entry whose stored object was changed or removed', () => {
    fc.assert(
      fc.property(contents, fc.nat(), fc.boolean(), (cs, at, remove) => {
        const { entries, objects } = build(cs);
        const i = at % entries.length;
        const hash = entries[i].objectHash;
        if (remove) objects.delete(hash);
        else objects.set(hash, objects.get(hash)! + ' ');
        const result = verify(entries, objects);
        expect(result.ok).toBe(false);
        // Entries sharing the same content share the object: each of them is named.
        expect(result.problems.map((p) => p.seq)).toContain(i);
      }),
      { numRuns: 300 },
    );
  });

  it('fails when entries are removed or reordered; anchors catch a cut-off tail', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue(), { minLength: 2, maxLength: 10 }), fc.nat(), (cs, at) => {
        const { entries, objects } = build(cs);
        const i = at % entries.length;
        const removed = entries.filter((_, j) => j !== i);
        const chainCatches = !verify(removed, objects).ok;
        const anchorsCatch = checkAnchors(removed, entries).length > 0;
        expect(chainCatches || anchorsCatch).toBe(true);
        if (i === entries.length - 1) expect(anchorsCatch).toBe(true); // the tail: only anchors can tell
        const swapped = [...entries];
        [swapped[0], swapped[i === 0 ? 1 : i]] = [swapped[i === 0 ? 1 : i], swapped[0]];
        expect(verify(swapped, objects).ok).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});
