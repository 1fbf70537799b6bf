/**
 * Every shipped tabletop scenario (exercises/scenarios) runs against the real engine and the real
 * Temporal server on each identity provider it declares: the in-process lab, the real Keycloak, a
 * fake Okta org and a fake Entra tenant (a throwaway realm or tenant each); it must reach its
 * expected outcome on every one. Scorecards go to
 * .runtime/reports/exercises/<name>.<idp>.json|md.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadScenario, scenarioFiles } from '../exercises/load';
import { runExercise } from '../exercises/runner';
import { renderScorecard } from '../exercises/scorecard';
import { testConfig } from './support/engine';
import { testExerciseEngine } from './support/exercise-engine';
import { readTestEnv } from './support/env';
import { captureHistory } from './support/histories';

const engine = testExerciseEngine;

const reports = path.resolve(__dirname, '..', '.runtime', 'reports', 'exercises');

const runs = scenarioFiles().flatMap((file) =>
  loadScenario(file).idps.map((idp) => [path.basename(file, '.yaml'), idp, file] as const),
);

describe.each(runs)('exercise %s on %s', (_name, idp, file) => {
  it('reaches its expected outcome', async () => {
    const scenario = loadScenario(file);
    const card = await runExercise(scenario, {
      idp,
      keycloakUrl: readTestEnv().keycloak.url,
      config: testConfig(),
      engine,
    });
    mkdirSync(reports, { recursive: true });
    writeFileSync(path.join(reports, `${scenario.name}.${idp}.json`), JSON.stringify(card, null, 2));
    writeFileSync(path.join(reports, `${scenario.name}.${idp}.md`), renderScorecard(card));
    // Lab rehearsals are replay fixtures too (`npm run fixtures:histories`): detection-opened incidents.
    if (idp === 'lab' && card.incidentId) captureHistory(card.incidentId, `exercise-${scenario.name}`);
    expect(card.misses).toEqual([]);
    expect(card.passed).toBe(true);
  });
});
