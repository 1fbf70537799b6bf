/**
 * Every shipped tabletop scenario (exercises/scenarios) runs against the real engine, the real
 * Keycloak (a throwaway realm each) and the real Temporal server, and must reach its expected
 * outcome. Scorecards go to .runtime/reports/exercises/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { loadScenario, scenarioFiles } from '../exercises/load';
import { runExercise, type ExerciseEngine } from '../exercises/runner';
import { renderScorecard } from '../exercises/scorecard';
import { testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';

const engine: ExerciseEngine = {
  async start(config) {
    const worker = await TestWorker.start(config);
    const api = await TestApi.start(config);
    return {
      client: worker.client,
      apiUrl: api.url,
      stop: async () => {
        await api.stop();
        await worker.stop();
      },
    };
  },
};

const reports = path.resolve(__dirname, '..', '.runtime', 'reports', 'exercises');

describe.each(scenarioFiles().map((f) => [path.basename(f, '.yaml'), f]))('exercise %s', (_name, file) => {
  it('reaches its expected outcome', async () => {
    const scenario = loadScenario(file);
    const card = await runExercise(scenario, {
      keycloakUrl: readTestEnv().keycloak.url,
      config: testConfig(),
      engine,
    });
    mkdirSync(reports, { recursive: true });
    writeFileSync(path.join(reports, `${scenario.name}.json`), JSON.stringify(card, null, 2));
    writeFileSync(path.join(reports, `${scenario.name}.md`), renderScorecard(card));
    expect(card.misses).toEqual([]);
    expect(card.passed).toBe(true);
  });
});
