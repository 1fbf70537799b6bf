import { createHash, randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EvidenceIncidentIdInvalid, LocalEvidenceStore } from './local-store';
import { SealedTokens } from './sealed-tokens';
import { verifyIncidentEvidence } from './store';
import { AesGcmPayloadCodec } from '../codec/payload-codec';

let root: string;
beforeEach(async () => {
  root = await fs.mkdtemp(path.join(os.tmpdir(), 'evidence-'));
});
afterEach(async () => {
  await fs.rm(root, { recursive: true, force: true });
});

describe('local evidence store', () => {
  it('records items into a chain that verifies, and reads them back', async () => {
    const store = new LocalEvidenceStore(root);
    await store.record('inc-1', 'alert', { severity: 'high' }, 'k1');
    const { entry } = await store.record('inc-1', 'snapshot', { sessions: [1, 2] }, 'k2');
    expect(entry.seq).toBe(1);
    expect(await store.read(entry.objectHash)).toEqual({ sessions: [1, 2] });
    expect(await store.verify('inc-1')).toMatchObject({ ok: true, entries: 2 });
  });

  it('makes a retried append with the same idempotency key a no-op', async () => {
    const store = new LocalEvidenceStore(root);
    const first = await store.record('inc-1', 'alert', { n: 1 }, 'wf/run/1');
    const again = await store.record('inc-1', 'alert', { n: 1 }, 'wf/run/1');
    expect(again).toEqual({ entry: first.entry, appended: false });
    expect(await store.manifest('inc-1')).toHaveLength(1);
  });

  it('keeps concurrent appends in one unbroken chain', async () => {
    const store = new LocalEvidenceStore(root);
    await Promise.all(Array.from({ length: 20 }, (_, i) => store.record('inc-1', 'item', { i }, `k${i}`)));
    expect(await store.verify('inc-1')).toMatchObject({ ok: true, entries: 20 });
  });

  it('writes objects read-only (owner only) and detects an object changed on disk', async () => {
    const store = new LocalEvidenceStore(root);
    const { entry } = await store.record('inc-1', 'snapshot', { sessions: ['s1'] }, 'k1');
    const file = path.join(root, 'objects', entry.objectHash.slice(0, 2), entry.objectHash);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o400);
    await fs.chmod(file, 0o644);
    await fs.writeFile(file, JSON.stringify({ sessions: [] }));
    const result = await store.verify('inc-1');
    expect(result.ok).toBe(false);
    expect(result.problems[0]).toMatchObject({ seq: 0, reason: expect.stringContaining('was altered') });
  });

  it('detects a manifest line edited on disk and names the entry', async () => {
    const store = new LocalEvidenceStore(root);
    await store.record('inc-1', 'alert', { a: 1 }, 'k1');
    await store.record('inc-1', 'action', { b: 2 }, 'k2');
    const manifest = path.join(root, 'incidents', 'inc-1', 'manifest.ndjson');
    const text = await fs.readFile(manifest, 'utf8');
    await fs.writeFile(manifest, text.replace('"kind":"action"', '"kind":"nothing-happened"'));
    const result = await store.verify('inc-1');
    expect(result.problems).toEqual([{ seq: 1, reason: 'entry content was altered' }]);
  });

  it('survives a process killed mid-append: the torn line is dropped and the retry writes it whole', async () => {
    const store = new LocalEvidenceStore(root);
    await store.record('inc-1', 'alert', { a: 1 }, 'k1');
    const manifest = path.join(root, 'incidents', 'inc-1', 'manifest.ndjson');
    await fs.appendFile(manifest, '{"seq":1,"kind":"snap'); // what kill -9 mid-write leaves
    expect((await store.manifest('inc-1')).map((e) => e.kind)).toEqual(['alert']);
    expect(await store.verify('inc-1')).toMatchObject({ ok: true, entries: 1 });
    await store.record('inc-1', 'snapshot', { b: 2 }, 'k2');
    expect((await store.manifest('inc-1')).map((e) => e.kind)).toEqual(['alert', 'snapshot']);
    expect(await store.verify('inc-1')).toMatchObject({ ok: true, entries: 2 });
    expect((await fs.readFile(manifest, 'utf8')).split('\n').filter(Boolean)).toHaveLength(2);
  });

  it('never leaves a partial object under its final name (written aside, then linked)', async () => {
    const store = new LocalEvidenceStore(root);
    const { entry } = await store.record('inc-1', 'alert', { big: 'x'.repeat(100_000) }, 'k1');
    const dir = path.dirname(path.join(root, 'objects', entry.objectHash.slice(0, 2), entry.objectHash));
    expect((await fs.readdir(dir)).filter((f) => f.startsWith('.tmp-'))).toEqual([]);
    // A leftover temporary file from a killed writer is ignored, and the object stays intact.
    await fs.writeFile(path.join(dir, '.tmp-999-abc'), '{"big":"xx');
    await store.record('inc-2', 'alert', { big: 'x'.repeat(100_000) }, 'k1');
    expect(await store.verify('inc-2')).toMatchObject({ ok: true });
  });

  it('refuses incident ids that could escape the store folder', async () => {
    const store = new LocalEvidenceStore(root);
    await expect(store.record('../etc', 'x', {}, 'k')).rejects.toBeInstanceOf(EvidenceIncidentIdInvalid);
  });
});

describe('sealed tokens', () => {
  const codec = new AesGcmPayloadCodec([{ id: 'k1', key: randomBytes(32) }]);
  const refKey = randomBytes(32);
  const sealedIn = (dir: string) => new SealedTokens(new LocalEvidenceStore(dir), codec, refKey);

  it('keeps a token encrypted, owner-read-only, under a keyed reference, and opens it back', async () => {
    const sealed = sealedIn(root);
    const token = 'eyJ.secret.token';
    const ref = await sealed.seal(token);
    expect(ref).toMatch(/^[0-9a-f]{64}$/);
    expect(ref).not.toBe(createHash('sha256').update(token).digest('hex')); // a guess cannot be confirmed
    expect(await sealed.seal(token)).toBe(ref);
    expect(await sealed.open(ref)).toBe(token);
    const file = path.join(root, 'sealed', ref);
    expect((await fs.stat(file)).mode & 0o777).toBe(0o400);
    expect(await fs.readFile(file, 'utf8')).not.toContain(token);
    expect(await fs.readFile(file, 'utf8')).not.toContain(Buffer.from(token).toString('base64'));
  });

  it('says which reference is missing without revealing anything else', async () => {
    await expect(sealedIn(root).open('a'.repeat(64))).rejects.toThrow(
      'SealedTokenMissing: no sealed token aaaaaaaaaaaa',
    );
  });

  it('keeps evidence files and folders away from other users', async () => {
    const store = new LocalEvidenceStore(root);
    const { entry } = await store.record('inc-perm', 'x', { secret: 'names' }, 'k1');
    const stats = await Promise.all([
      fs.stat(path.join(root, 'incidents', 'inc-perm', 'manifest.ndjson')),
      fs.stat(path.join(root, 'objects', entry.objectHash.slice(0, 2), entry.objectHash)),
      fs.stat(path.join(root, 'incidents', 'inc-perm')),
    ]);
    for (const s of stats) expect(s.mode & 0o077).toBe(0);
  });

  it('refuses to return an object whose bytes no longer hash to its name', async () => {
    const store = new LocalEvidenceStore(root);
    const { entry } = await store.record('inc-tamper', 'x', { was: 'true' }, 'k1');
    const file = path.join(root, 'objects', entry.objectHash.slice(0, 2), entry.objectHash);
    await fs.chmod(file, 0o600);
    await fs.writeFile(file, JSON.stringify({ was: 'forged' }));
    await expect(store.read(entry.objectHash)).rejects.toThrow('EvidenceTampered');
  });
});

describe('incident evidence against its anchors', () => {
  it('refuses an entry the incident never anchored, except one still on its way while it runs', async () => {
    const store = new LocalEvidenceStore(root);
    const a = await store.record('inc-anchor', 'alert', { a: 1 }, 'k1');
    // Written into the chain by something other than the incident's own activities.
    await store.record('inc-anchor', 'forged', { b: 2 }, 'k2');
    const anchors = [{ seq: a.entry.seq, entryHash: a.entry.entryHash }];
    const closed = await verifyIncidentEvidence(store, 'inc-anchor', anchors);
    expect(closed.verification.ok).toBe(false);
    expect(closed.verification.problems).toEqual([
      { seq: 1, reason: "entry 1 (forged) is not anchored in the incident's history" },
    ]);
    const running = await verifyIncidentEvidence(store, 'inc-anchor', anchors, { running: true });
    expect(running.verification).toMatchObject({ ok: true, pending: [1] });
  });
});
