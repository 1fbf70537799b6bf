/**
 * Workflow histories of exercised incidents, kept as replay fixtures (test/fixtures/histories).
 * `npm run fixtures:histories` re-runs the lifecycle scenarios with CAPTURE_HISTORIES=1: their
 * payloads are then encrypted with the fixture key below (a test key, committed on purpose) so the
 * replay test decodes them through the production codec.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import * as path from 'node:path';
import { readTestEnv } from './env';

export const HISTORY_FIXTURES = path.resolve(__dirname, '..', 'fixtures', 'histories');

/** Not a secret: it only ever encrypted test data, and the replay test needs it. */
export const FIXTURE_PAYLOAD_KEY = {
  id: 'fixture-2026-11',
  key: Buffer.from('6669787475726573206f6e6c793a206e6f742061207265616c206b6579202121', 'hex'),
};

export const capturing = process.env.CAPTURE_HISTORIES === '1';

/**
 * Saves the workflow's history as `<name>.json` when capturing (otherwise does nothing), exported
 * by the Temporal CLI in the JSON form `temporal workflow show --output json` gives and the UI
 * downloads, so a history from production can join the fixtures the same way.
 */
export function captureHistory(workflowId: string, name: string): void {
  if (!capturing) return;
  const cli = path.join(
    process.env.IR_RUNTIME_DIR ?? path.join(homedir(), '.cache', 'identity-ir'),
    'bin',
    'temporal',
  );
  const address = readTestEnv().temporal.url;
  const json = execFileSync(
    cli,
    ['workflow', 'show', '-w', workflowId, '--address', address, '--output', 'json'],
    {
      maxBuffer: 64 * 1024 * 1024,
    },
  );
  mkdirSync(HISTORY_FIXTURES, { recursive: true });
  writeFileSync(path.join(HISTORY_FIXTURES, `${name}.json`), json);
}
