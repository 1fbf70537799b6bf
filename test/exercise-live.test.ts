/**
 * Exercises with people in the loop: `--live` hands the approvals to whoever answers through the
 * inbox (here a person using the `ir` CLI against the exercise's API) instead of scripted
 * responders, and the scorecard records who decided. (False-positive drills — a scenario that must
 * open no incident — run with the shipped scenarios: exercises/scenarios/mistyped-password.yaml.)
 */
import { mkdtempSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../cli/program';
import { runExercise } from '../exercises/runner';
import { parseScenario } from '../exercises/schema';
import { testConfig } from './support/engine';
import { testExerciseEngine } from './support/exercise-engine';

const SCENARIO = `
name: live-takeover
description: A takeover whose disable step waits for a person answering from their inbox.
idps: [lab]
accounts:
  - id: ivy
steps:
  - { at: 0, do: login-fail, as: ivy, times: 10 }
  - { at: 1, do: login, as: ivy }
responders:
  - { approval: disableAccount, decision: ignore }
policy:
  disableAccount: { autoApproveAt: never, timeoutMs: 120000, escalations: 0, onTimeout: skip }
expect:
  detections: [credential-compromise-after-burst]
  playbook: compromised-credential
  incidentOn: ivy
  actions: [revokeSessions, requireReauthentication, disableAccount]
  maxTimeToContainS: 120
  accounts:
    - { id: ivy, enabled: false }
`;

it('lets a person answer the approvals live, through the inbox, and scores what they decided', async () => {
  const home = path.join(mkdtempSync(path.join(os.tmpdir(), 'ir-live-')), 'config');
  const out: string[] = [];
  const io = {
    out: (t: string) => out.push(t),
    err: (t: string) => out.push(t),
    env: { ...process.env, IR_CONFIG_DIR: home },
  };
  let person: Promise<void> | undefined;
  const card = await runExercise(parseScenario(SCENARIO), {
    idp: 'lab',
    config: testConfig(),
    engine: testExerciseEngine,
    live: {
      timeoutS: 120,
      // The person: signs in to the exercise's API, waits for something in the inbox, approves it.
      onLive: (apiUrl) => {
        person = (async () => {
          expect(await runCli(['login', '--api', apiUrl, '--actor', 'live.lead'], io)).toBe(0);
          for (let i = 0; i < 240; i++) {
            out.length = 0;
            await runCli(['inbox', '--json'], io);
            const [first] = (
              JSON.parse(out.join('')) as { approvals: { incidentId: string; approvalId: string }[] }
            ).approvals;
            if (first) {
              expect(
                await runCli(['approve', first.incidentId, first.approvalId, '--comment', 'live drill'], io),
              ).toBe(0);
              return;
            }
            await new Promise((r) => setTimeout(r, 250));
          }
          throw new Error('nothing reached the inbox');
        })();
      },
    },
  });
  await person;
  expect(card.misses).toEqual([]);
  expect(card.live).toBe(true);
  expect(card.decisions).toEqual([
    expect.objectContaining({ action: 'disableAccount', decision: 'approve', by: 'live.lead' }),
  ]);
  expect(card.accounts).toEqual([expect.objectContaining({ id: 'ivy', enabled: false })]);
});
