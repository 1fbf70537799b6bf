/**
 * Every incident becomes a drill: a real detection-opened incident (the credential-stuffing takeover
 * rehearsed on the lab) is closed, turned into a scenario and a detection fixture through the API
 * and `ir drill-from`; the scenario is pseudonymised and, run as an exercise, reaches the same
 * outcome; the fixture's events raise the same rules again; the review links both.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runCli } from '../cli/program';
import type { DetectionFixture } from '../exercises/drill';
import type { ExerciseEngine } from '../exercises/runner';
import { runExercise } from '../exercises/runner';
import { loadScenario } from '../exercises/load';
import { parseScenario } from '../exercises/schema';
import { Detector } from '../detection/rules';
import type { IncidentState } from '../domain/incident';
import type { ReviewReport } from '../domain/review';
import { eventually, testConfig } from './support/engine';
import { testExerciseEngine } from './support/exercise-engine';

it('turns a closed incident into a pseudonymised drill that replays it, and a detection regression', async () => {
  // Keep the rehearsal's engine running after the exercise, to ask it for the drill.
  let kept: Awaited<ReturnType<ExerciseEngine['start']>> | undefined;
  const keeping: ExerciseEngine = {
    async start(config, lab) {
      kept = await testExerciseEngine.start(config, lab);
      return { ...kept, stop: async () => undefined };
    },
  };
  try {
    const card = await runExercise(loadScenario('credential-stuffing-takeover'), {
      idp: 'lab',
      config: testConfig(),
      engine: keeping,
    });
    expect(card.passed).toBe(true);
    const id = card.incidentId!;
    const api = kept!.apiUrl;
    const state = await eventually(async () => {
      const s = (await (
        await fetch(`${api}/incidents/${id}`, { headers: { 'x-actor': 'drill.lead' } })
      ).json()) as IncidentState;
      return s.status === 'closed' ? s : undefined;
    }, 'the rehearsed incident closed');
    const realName: string = state.principal.username;

    // Through the CLI, as a responder would.
    const out = mkdtempSync(path.join(os.tmpdir(), 'ir-drill-'));
    const io = {
      out: () => undefined,
      err: () => undefined,
      env: { ...process.env, IR_CONFIG_DIR: path.join(out, 'cfg') },
    };
    expect(await runCli(['login', '--api', api, '--actor', 'drill.lead'], io)).toBe(0);
    const lines: string[] = [];
    expect(
      await runCli(['drill-from', id, '--out', out, '--json'], { ...io, out: (t: string) => lines.push(t) }),
    ).toBe(0);
    const written = JSON.parse(lines.join('')) as {
      name: string;
      files: { scenario: string; fixture: string };
    };
    const yaml = readFileSync(written.files.scenario, 'utf8');
    const fixture = JSON.parse(readFileSync(written.files.fixture, 'utf8')) as DetectionFixture;
    // Kept as artefacts (detection/regressions/ holds one made this way).
    const reports = path.resolve(__dirname, '..', '.runtime', 'reports', 'drills');
    mkdirSync(reports, { recursive: true });
    copyFileSync(written.files.scenario, path.join(reports, `${written.name}.yaml`));
    copyFileSync(written.files.fixture, path.join(reports, `${written.name}.events.json`));

    // Pseudonymised: no real name, no real address, no vendor event id survives.
    const addresses = state.alerts.flatMap((a) =>
      ((a.events ?? []) as { sourceIp?: string; id: string }[]).flatMap((e) => [e.sourceIp, e.id]),
    );
    for (const text of [yaml, JSON.stringify(fixture)]) {
      expect(text).not.toContain(realName);
      for (const value of addresses.filter((v): v is string => !!v)) expect(text).not.toContain(value);
    }
    const scenario = parseScenario(yaml);
    expect(scenario.expect).toMatchObject({
      playbook: 'compromised-credential',
      incidentOn: 'user-1',
      detections: expect.arrayContaining(['credential-compromise-after-burst']),
      actions: expect.arrayContaining(['disableAccount']),
    });
    expect(scenario.steps[0]).toMatchObject({ do: 'login-fail', as: 'user-1', times: 10 });
    expect(scenario.steps.at(-1)).toMatchObject({ do: 'login', as: 'user-1' });

    // The fixture: the same rules fire again over its events.
    const detector = new Detector();
    const fired = new Set(fixture.events.flatMap((e) => detector.process(e).map((a) => a.rule)));
    for (const rule of fixture.expectRules) expect([...fired]).toContain(rule);
    expect(fixture.expectRules).toContain('credential-compromise-after-burst');

    // The review links both.
    const review = (await (
      await fetch(`${api}/incidents/${id}/review`, { headers: { 'x-actor': 'drill.lead' } })
    ).json()) as ReviewReport;
    expect(review.drill).toEqual({
      scenario: `/incidents/${id}/drill?format=scenario`,
      fixture: `/incidents/${id}/drill?format=fixture`,
    });
    const served = await fetch(`${api}${review.drill!.scenario}`, { headers: { 'x-actor': 'drill.lead' } });
    expect(served.headers.get('content-type')).toMatch(/^application\/yaml/);

    // And the drill, run as an exercise, replays the attack to the same outcome.
    const replay = await runExercise(scenario, {
      idp: 'lab',
      config: testConfig(),
      engine: testExerciseEngine,
    });
    expect(replay.misses).toEqual([]);
    expect(replay.passed).toBe(true);
  } finally {
    await kept?.stop();
  }
});

it('refuses an incident that is open, or that has no story to replay', async () => {
  const kept = await testExerciseEngine.start(testConfig());
  try {
    const opened = await fetch(`${kept.apiUrl}/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-actor': 'drill.lead' },
      body: JSON.stringify({
        playbook: 'compromised-credential',
        principal: { provider: 'keycloak', realm: 'corp', username: 'nobody-real' },
        severity: 'low',
        summary: 'reported by phone',
      }),
    }).then((r) => r.json() as Promise<{ incidentId: string }>);
    const res = await fetch(`${kept.apiUrl}/incidents/${opened.incidentId}/drill`, {
      headers: { 'x-actor': 'drill.lead' },
    });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({
      error: 'NoStory',
      message: expect.stringMatching(/still open/),
    });
  } finally {
    await kept.stop();
  }
});
