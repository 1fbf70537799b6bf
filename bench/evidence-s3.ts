/**
 * Benchmark: the S3 evidence store (Object Lock, conditional PUTs) against the local S3 emulator
 * (moto, scripts/install-s3-emulator.sh): sequential appends to one chain, appends to 8 chains at
 * once, and a full verification. Prints figures; the emulator dominates absolute numbers, so
 * compare runs on one machine (RESULTS.md: before/after the SDK).
 *
 *   npm run bench:evidence-s3 -- [appends=200]
 */
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { execFileSync, spawn } from 'node:child_process';
import * as path from 'node:path';
import { S3EvidenceStore } from '../evidence/s3-store';
import { portOpen } from '../scripts/runtime/services';

const appends = Number(process.argv[2] ?? 200);
const PORT = 27600;

async function main(): Promise<void> {
  const server = execFileSync(
    'bash',
    [path.resolve(__dirname, '..', '..', 'scripts', 'install-s3-emulator.sh')],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  ).trim();
  const moto = spawn(server, ['-H', '127.0.0.1', '-p', String(PORT)], { stdio: 'ignore', detached: true });
  try {
    for (let i = 0; i < 120 && !(await portOpen('127.0.0.1', PORT)); i++)
      await new Promise((r) => setTimeout(r, 500));
    const settings = {
      endpoint: `http://127.0.0.1:${PORT}`,
      region: 'us-east-1',
      bucket: `bench-${Date.now()}`,
      accessKeyId: 'test',
      secretAccessKey: 'test',
      lockMode: 'COMPLIANCE' as const,
      retentionDays: 1,
    };
    const admin = new S3Client({
      endpoint: settings.endpoint,
      region: settings.region,
      forcePathStyle: true,
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    });
    await admin.send(new CreateBucketCommand({ Bucket: settings.bucket, ObjectLockEnabledForBucket: true }));
    const store = new S3EvidenceStore(settings);
    await store.assertLocked();

    let at = performance.now();
    for (let i = 0; i < appends; i++)
      await store.record('bench-seq', 'item', { i, pad: 'x'.repeat(512) }, `k${i}`);
    const seqMs = performance.now() - at;

    at = performance.now();
    const per = Math.max(1, Math.floor(appends / 8));
    await Promise.all(
      Array.from({ length: 8 }, async (_, c) => {
        for (let i = 0; i < per; i++) await store.record(`bench-par-${c}`, 'item', { c, i }, `k${i}`);
      }),
    );
    const parMs = performance.now() - at;

    at = performance.now();
    const verification = await store.verify('bench-seq');
    const verifyMs = performance.now() - at;
    const rss = process.memoryUsage().rss / 1024 / 1024;
    console.log(`evidence on S3 (moto), ${appends} appends:`);
    console.log(
      `  sequential, one chain     ${seqMs.toFixed(0)} ms  (${((appends / seqMs) * 1000).toFixed(1)} appends/s)`,
    );
    console.log(
      `  8 chains at once          ${parMs.toFixed(0)} ms  (${(((per * 8) / parMs) * 1000).toFixed(1)} appends/s)`,
    );
    console.log(
      `  verify ${verification.entries} entries         ${verifyMs.toFixed(0)} ms  (ok: ${verification.ok})`,
    );
    console.log(`  process RSS               ${rss.toFixed(0)} MB`);
  } finally {
    if (moto.pid) process.kill(-moto.pid, 'SIGTERM');
  }
}

void main();
