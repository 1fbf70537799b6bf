import { canonicalJson, GENESIS_HASH, ManifestEntry, seal, sha256Hex, verifyChain } from './chain';

function chain(contents: unknown[]): { entries: ManifestEntry[]; objects: Map<string, string> } {
  const objects = new Map<string, string>();
  const entries: ManifestEntry[] = [];
  contents.forEach((content, seq) => {
    const body = canonicalJson(content);
    const objectHash = sha256Hex(body);
    objects.set(objectHash, body);
    entries.push(
      seal({
        seq,
        kind: 'item',
        objectHash,
        size: body.length,
        recordedAt: `2026-01-01T00:00:0${seq}Z`,
        idempotencyKey: `k${seq}`,
        prevHash: entries[seq - 1]?.entryHash ?? GENESIS_HASH,
      }),
    );
  });
  return { entries, objects };
}

const hashOf = (objects: Map<string, string>) => (hash: string) => {
  const body = objects.get(hash);
  return body === undefined ? undefined : sha256Hex(body);
};

describe('evidence hash chain', () => {
  it('verifies an untouched chain', () => {
    const { entries, objects } = chain([{ a: 1 }, { b: 2 }, { c: 3 }]);
    const result = verifyChain(entries, hashOf(objects));
    expect(result).toMatchObject({ ok: true, entries: 3, problems: [] });
    expect(result.headHash).toBe(entries[2].entryHash);
  });

  it('hashes equal content equally whatever the key order', () => {
    expect(canonicalJson({ b: 1, a: { d: 2, c: 3 } })).toBe(canonicalJson({ a: { c: 3, d: 2 }, b: 1 }));
  });

  it.each([
    [
      'an altered entry field',
      (e: ManifestEntry[]) => (e[1].kind = 'forged'),
      1,
      'entry content was altered',
    ],
    ['a removed entry', (e: ManifestEntry[]) => e.splice(1, 1), 2, 'expected seq 1'],
    ['reordered entries', (e: ManifestEntry[]) => e.reverse(), 2, 'expected seq 0'],
    [
      'a re-sealed entry whose link no longer matches',
      (e: ManifestEntry[]) => (e[2] = seal({ ...e[2], prevHash: GENESIS_HASH })),
      2,
      'does not link',
    ],
  ])('names the entry when the manifest has %s', (_what, tamper, seq, reason) => {
    const { entries, objects } = chain([{ a: 1 }, { b: 2 }, { c: 3 }]);
    tamper(entries);
    const result = verifyChain(entries, hashOf(objects));
    expect(result.ok).toBe(false);
    expect(result.problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ seq, reason: expect.stringContaining(reason) })]),
    );
  });

  it('detects a stored object that was changed or deleted', () => {
    const { entries, objects } = chain([{ a: 1 }, { b: 2 }]);
    objects.set(entries[0].objectHash, canonicalJson({ a: 2 }));
    objects.delete(entries[1].objectHash);
    const result = verifyChain(entries, hashOf(objects));
    expect(result.problems.map((p) => [p.seq, p.reason.split(' ').slice(-2).join(' ')])).toEqual([
      [0, expect.any(String)],
      [1, 'is missing'],
    ]);
    expect(result.problems[0].reason).toContain('was altered');
  });
});
