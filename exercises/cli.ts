/**
 * `npm run exercise -- <scenario|all> [--keycloak]`: runs tabletop scenarios (names under
 * exercises/scenarios or paths) with the real playbooks on the local Temporal server, against the
 * in-process lab identity provider (or the local Keycloak with `--keycloak`), prints each scorecard
 * and writes it to .runtime/reports/exercises/<name>.<idp>.json and .md. Exit code 0 when all passed.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { NativeConnection, Runtime } from '@temporalio/worker';
import { redactingLogger } from '../worker/logger';
import { createApp } from '../api/app';
import { connectClient } from '../client/connect';
import type { EngineConfig } from '../config/config';
import { LogNotifier } from '../activities/notifier';
import { createWorker } from '../worker/worker';
import { loadScenario, scenarioFiles } from './load';
import { runExercise, type ExerciseEngine } from './runner';
import { renderScorecard } from './scorecard';
import { ScenarioError } from './schema';
import { temporalConnectionOptions } from '../client/temporal-connection';

async function main(argv: string[]): Promise<number> {
  Runtime.install({ logger: redactingLogger('WARN') });
  const names = argv.filter((a) => !a.startsWith('--'));
  if (!names.length || argv.includes('--help')) {
    console.log(
      `usage: npm run exercise -- <scenario|all> [--keycloak]\nscenarios: ${scenarioFiles()
        .map((f) => path.basename(f, '.yaml'))
        .join(', ')}`,
    );
    return names.length ? 0 : 2;
  }
  const idp = argv.includes('--keycloak') ? 'keycloak' : 'lab';
  const scenarios = (names[0] === 'all' ? scenarioFiles() : names).map((n) => loadScenario(n));
  const keycloakUrl = process.env.KEYCLOAK_URL ?? 'http://127.0.0.1:18080';
  const base: EngineConfig = {
    temporal: {
      address: process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233',
      namespace: process.env.TEMPORAL_NAMESPACE ?? 'default',
      taskQueue: 'exercise',
    },
    evidenceDir: path.resolve('.runtime', 'exercises', 'evidence'),
    api: { host: '127.0.0.1', port: 0, corsOrigins: [] },
    detectionSources: [],
    auth: { mode: 'dev' },
    // A key for this run only: exercise incidents are rehearsals.
    principalKeySecret: randomBytes(32),
    payloads: {
      mode: 'encrypted',
      keys: [{ id: `exercise-${randomBytes(3).toString('hex')}`, key: randomBytes(32) }],
    },
  };
  const engine: ExerciseEngine = {
    async start(config, lab) {
      const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal)).catch(
        (err: Error) => {
          throw new Error(
            `no Temporal server at ${config.temporal.address} (${err.message.split('\n')[0]}): start one with \`npm run temporal\`, or set TEMPORAL_ADDRESS`,
          );
        },
      );
      const client = await connectClient(config);
      const worker = await createWorker(config, client, {
        connection,
        lab,
        notifier: new LogNotifier(() => undefined),
      });
      const running = worker.run();
      const app = await createApp(config, { logger: false });
      await app.listen(0, '127.0.0.1');
      return {
        client,
        apiUrl: (await app.getUrl()).replace('[::1]', '127.0.0.1'),
        stop: async () => {
          await app.close();
          worker.shutdown();
          await running;
          await connection.close();
          await client.connection.close();
        },
      };
    },
  };
  const out = path.resolve('.runtime', 'reports', 'exercises');
  mkdirSync(out, { recursive: true });
  let failed = 0;
  for (const scenario of scenarios) {
    if (!scenario.idps.includes(idp)) {
      console.log(`${scenario.name}: skipped, it runs on ${scenario.idps.join(', ')} only\n`);
      continue;
    }
    const card = await runExercise(scenario, {
      idp,
      keycloakUrl,
      config: base,
      engine,
      log: (l) => console.log(l),
    });
    const file = `${scenario.name}.${idp}`;
    writeFileSync(path.join(out, `${file}.json`), JSON.stringify(card, null, 2));
    writeFileSync(path.join(out, `${file}.md`), renderScorecard(card));
    console.log(
      `\n${renderScorecard(card)}\n(written to ${path.relative(process.cwd(), out)}/${file}.json and .md)\n`,
    );
    if (!card.passed) failed += 1;
  }
  return failed ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(err instanceof ScenarioError ? 2 : 1);
  },
);
