/**
 * Verifies an incident's evidence chain from the command line:
 *   npm run evidence:verify -- <evidenceId> [evidenceDir]
 * Exit code 0 when the chain and every stored object verify, 1 when anything was tampered with.
 */
import * as path from 'node:path';
import { LocalEvidenceStore } from './local-store';

async function main(): Promise<number> {
  const [evidenceId, dir = process.env.EVIDENCE_DIR ?? '.runtime/evidence'] = process.argv.slice(2);
  if (!evidenceId) {
    console.error(
      'usage: npm run evidence:verify -- <evidenceId> [evidenceDir]  (evidenceId is shown by GET /incidents/:id)',
    );
    return 2;
  }
  const store = new LocalEvidenceStore(path.resolve(dir));
  const result = await store.verify(evidenceId);
  if (result.entries === 0) {
    console.error(`no evidence recorded for '${evidenceId}' in ${path.resolve(dir)}`);
    return 1;
  }
  for (const entry of await store.manifest(evidenceId)) {
    console.log(
      `${String(entry.seq).padStart(3)}  ${entry.recordedAt}  ${entry.kind.padEnd(26)} ${entry.objectHash}`,
    );
  }
  if (result.ok) {
    console.log(`OK: ${result.entries} entries, chain head ${result.headHash}`);
    return 0;
  }
  for (const p of result.problems) console.log(`TAMPERED: entry ${p.seq}: ${p.reason}`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (err) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  },
);
