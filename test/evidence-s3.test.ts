/**
 * The S3 evidence store with Object Lock, against an S3 emulator that enforces it (moto, installed
 * by scripts/install-s3-emulator.sh): chains verify, every object is locked in compliance mode,
 * locked versions cannot be deleted, an overwrite is caught by verification naming the entry,
 * concurrent writers never fork the chain, and a whole incident runs with its evidence on S3.
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { portOpen } from '../scripts/runtime/services';
import { S3EvidenceSettings, S3EvidenceStore } from '../evidence/s3-store';
import { verifyIncidentEvidence } from '../evidence/store';
import {
  CreateBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { s3Client, s3Status } from '../evidence/s3';
import { eventually, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { KeycloakTestClient } from './support/keycloak';

const PORT = 27500;
let moto: ChildProcess;
let settings: S3EvidenceSettings;

beforeAll(async () => {
  const server = execFileSync('bash', [path.resolve(__dirname, '..', 'scripts', 'install-s3-emulator.sh')], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
  moto = spawn(server, ['-H', '127.0.0.1', '-p', String(PORT)], { stdio: 'ignore', detached: true });
  await eventually(() => portOpen('127.0.0.1', PORT), 'the S3 emulator', 60_000);
  settings = {
    endpoint: `http://127.0.0.1:${PORT}`,
    region: 'us-east-1',
    bucket: `evidence-${Date.now()}`,
    accessKeyId: 'test',
    secretAccessKey: 'test',
    lockMode: 'COMPLIANCE',
    retentionDays: 1,
  };
  await s3Client(settings).send(
    new CreateBucketCommand({ Bucket: settings.bucket, ObjectLockEnabledForBucket: true }),
  );
});

afterAll(() => {
  if (moto?.pid) process.kill(-moto.pid, 'SIGTERM');
});

describe('S3 evidence store with Object Lock', () => {
  it('records a chain that verifies, idempotently', async () => {
    const store = new S3EvidenceStore(settings);
    await store.assertLocked();
    await store.record('inc-1', 'alert', { severity: 'high' }, 'k1');
    const second = await store.record('inc-1', 'snapshot', { sessions: [1, 2] }, 'k2');
    expect(second).toMatchObject({ appended: true, entry: { seq: 1 } });
    expect(await store.record('inc-1', 'snapshot', { sessions: [1, 2] }, 'k2')).toMatchObject({
      appended: false,
    });
    expect(await store.read(second.entry.objectHash)).toEqual({ sessions: [1, 2] });
    expect(await store.verify('inc-1')).toMatchObject({ ok: true, entries: 2 });
  });

  it('locks every object in compliance mode; a locked version cannot be deleted', async () => {
    const store = new S3EvidenceStore(settings);
    const { entry } = await store.record('inc-lock', 'alert', { a: 1 }, 'k1');
    const s3 = s3Client(settings);
    for (const key of [`objects/${entry.objectHash}`, 'incidents/inc-lock/entries/00000000.json']) {
      const head = await s3.send(new HeadObjectCommand({ Bucket: settings.bucket, Key: key }));
      expect(head.ObjectLockMode).toBe('COMPLIANCE');
      expect(head.ObjectLockRetainUntilDate!.getTime()).toBeGreaterThan(Date.now());
      const refused = await s3
        .send(new DeleteObjectCommand({ Bucket: settings.bucket, Key: key, VersionId: head.VersionId }))
        .then(
          () => undefined,
          (err: unknown) => s3Status(err)?.status,
        );
      expect(refused).toBe(403);
    }
    expect(await store.verify('inc-lock')).toMatchObject({ ok: true });
  });

  it('reads the versions recorded at write time: a version put over an object or an entry changes nothing', async () => {
    const store = new S3EvidenceStore(settings);
    await store.record('inc-tamper', 'alert', { a: 1 }, 'k1');
    const stored = await store.record('inc-tamper', 'snapshot', { b: 2 }, 'k2');
    const { entry } = stored;
    expect(entry.objectVersion).toBeTruthy();
    expect(stored.entryVersion).toBeTruthy();
    const s3 = s3Client(settings);
    // Someone holding the bucket's keys puts new versions over the object and its entry.
    await s3.send(
      new PutObjectCommand({ Bucket: settings.bucket, Key: `objects/${entry.objectHash}`, Body: '{"b":3}' }),
    );
    const forged = { ...entry, kind: 'forged' };
    await s3.send(
      new PutObjectCommand({
        Bucket: settings.bucket,
        Key: 'incidents/inc-tamper/entries/00000001.json',
        Body: JSON.stringify(forged),
      }),
    );
    // Unpinned, the latest versions are read — and refused.
    const unpinned = await verifyIncidentEvidence(store, 'inc-tamper', []);
    expect(unpinned.verification.ok).toBe(false);
    // Pinned by the versions the incident anchored, the original evidence is what is read.
    const anchors = [
      { seq: 1, entryHash: entry.entryHash, entryVersion: stored.entryVersion },
      { seq: 0, entryHash: (await store.manifest('inc-tamper'))[0].entryHash },
    ];
    const pinned = await verifyIncidentEvidence(store, 'inc-tamper', anchors);
    expect(pinned.verification).toMatchObject({ ok: true, problems: [] });
    expect(pinned.manifest[1].kind).toBe('snapshot');
    expect(await store.read(entry.objectHash, entry.objectVersion)).toEqual({ b: 2 });
    await expect(store.read(entry.objectHash)).rejects.toThrow('EvidenceTampered');
  });

  it('keeps one unbroken chain under concurrent writers (two workers)', async () => {
    const a = new S3EvidenceStore(settings);
    const b = new S3EvidenceStore(settings);
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).record('inc-race', `k${i}`, { i }, `key-${i}`)),
    );
    const manifest = await a.manifest('inc-race');
    expect(manifest.map((e) => e.seq)).toEqual([...Array(10).keys()]);
    expect(new Set(manifest.map((e) => e.idempotencyKey)).size).toBe(10);
    expect(await a.verify('inc-race')).toMatchObject({ ok: true, entries: 10 });
  });

  it('refuses a bucket without Object Lock', async () => {
    const plain = { ...settings, bucket: `plain-${Date.now()}` };
    await s3Client(plain).send(new CreateBucketCommand({ Bucket: plain.bucket }));
    await expect(new S3EvidenceStore(plain).assertLocked()).rejects.toThrow('has no Object Lock enabled');
  });

  it('runs a whole incident with its evidence on S3', async () => {
    const config = { ...testConfig(), evidenceS3: settings };
    const worker = await TestWorker.start(config);
    const api = await TestApi.start(config);
    try {
      const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
      const user = await kc.createUser('s3ev');
      await kc.login(user);
      const opened = await api.openIncident(user.username, 'alice.responder', { severity: 'critical' });
      await api.untilPhase(opened.body.incidentId, ['recover']); // contained, investigated, eradicated
      const evidence = await api.call('GET', `/incidents/${opened.body.incidentId}/evidence`);
      expect(evidence.body.verification).toMatchObject({ ok: true, problems: [] });
      const kinds = evidence.body.manifest.map((e: { kind: string }) => e.kind);
      expect(kinds).toEqual([
        'alert',
        'principal-snapshot',
        'containment-verification',
        'investigation-report',
      ]);
      const listed = await s3Client(settings).send(
        new ListObjectsV2Command({
          Bucket: settings.bucket,
          Prefix: `incidents/${evidence.body.evidenceId}/entries/`,
        }),
      );
      const keys = (listed.Contents ?? []).map((o) => o.Key!);
      expect(keys).toHaveLength(kinds.length);
    } finally {
      await api.stop();
      await worker.stop();
    }
  });
});
