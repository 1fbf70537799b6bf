/**
 * The package's own test: its scenario rehearsed on the real engine (Temporal, the worker bundling
 * the package's workflow beside the engine's, detection routing to it), then its history replayed
 * against the package's workflow code — the check that keeps a change to a running playbook safe.
 */
import { Client, Connection } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import * as path from 'node:path';
import { engineDataConverter } from '../../../codec/data-converter';
import { loadPlaybookPackages, packageRoutes } from '../../../config/playbook-packages';
import { loadScenario } from '../../../exercises/load';
import { runExercise } from '../../../exercises/runner';
import { testConfig } from '../../../test/support/engine';
import { testExerciseEngine } from '../../../test/support/exercise-engine';
import { readTestEnv } from '../../../test/support/env';
import { workflowSources } from '../../../worker/worker';

const packages = loadPlaybookPackages(__dirname);
const config = { ...testConfig(), playbookPackages: packages, playbookRoutes: packageRoutes(packages) };

it('rehearses its scenario: routed to keep-working, contained and verified, the account still enabled', async () => {
  const scenario = loadScenario(path.join(packages[0].scenariosDir!, 'takeover.yaml'));
  const card = await runExercise(scenario, {
    idp: 'lab',
    keycloakUrl: readTestEnv().keycloak.url,
    config,
    engine: testExerciseEngine,
  });
  expect(card.misses).toEqual([]);
  expect(card.passed).toBe(true);
  expect(card.incidentId).toBeDefined();

  // The history replays against the package's workflow code as it is now.
  const connection = await Connection.connect({ address: config.temporal.address });
  try {
    const history = await new Client({ connection }).workflow.getHandle(card.incidentId!).fetchHistory();
    await Worker.runReplayHistory(
      { ...workflowSources(packages), dataConverter: engineDataConverter(config.payloads!) },
      history,
    );
  } finally {
    await connection.close();
  }
});
