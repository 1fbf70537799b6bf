/**
 * History replay: every fixture history (incidents exercised by the lifecycle scenarios, kept in
 * test/fixtures/histories) is replayed against the current playbook code with the production data
 * converter (payload codec included). A playbook change that would break incidents already running
 * fails here, in CI, instead of in production. Regenerate with `npm run fixtures:histories`; see
 * docs/playbooks.md ("Changing a playbook safely") for `patched`.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { DeterminismViolationError } from '@temporalio/workflow';
import { Worker } from '@temporalio/worker';
import { engineDataConverter } from '../codec/data-converter';
import { FIXTURE_PAYLOAD_KEY, HISTORY_FIXTURES } from './support/histories';

const fixtures = readdirSync(HISTORY_FIXTURES)
  .filter((f) => f.endsWith('.json'))
  .sort()
  .map((file) => ({
    workflowId: file.replace(/\.json$/, ''),
    history: historyFromJSON(JSON.parse(readFileSync(path.join(HISTORY_FIXTURES, file), 'utf8'))),
  }));

const dataConverter = engineDataConverter({ mode: 'encrypted', keys: [FIXTURE_PAYLOAD_KEY] });

async function replayAll(workflowsPath: string) {
  const results: { workflowId: string; error?: Error }[] = [];
  for await (const r of Worker.runReplayHistories({ workflowsPath, dataConverter }, fixtures)) {
    results.push({ workflowId: r.workflowId, error: r.error });
  }
  return results;
}

it('has fixtures for the lifecycle scenarios', () => {
  expect(fixtures.map((f) => f.workflowId)).toEqual(
    expect.arrayContaining([
      'containment-after-approval',
      'lifecycle-eradicate-recover',
      'scope-waves-rollback',
      'signing-key-rotation-hardening',
      'privilege-escalation-false-positive',
      'privilege-escalation-cancelled',
      'session-hijack-escalated',
      'mfa-fatigue-not-me',
      'leaked-client-secret',
      'signing-key-compromise',
    ]),
  );
});

it('replays every fixture history against the current playbooks', async () => {
  const results = await replayAll(require.resolve('../workflows'));
  expect(results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error?.message}`)).toEqual([]);
  expect(results).toHaveLength(fixtures.length);
});

it('fails a deliberately non-deterministic change to the playbook', async () => {
  // The same playbook with one extra step before triage (an activity older histories never ran).
  const results = await replayAll(require.resolve('./support/nondeterministic-playbook'));
  expect(results).toHaveLength(fixtures.length);
  for (const r of results) {
    expect(r.error).toBeInstanceOf(DeterminismViolationError);
  }
});
