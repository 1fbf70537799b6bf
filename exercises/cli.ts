/**
 * `npm run exercise -- <scenario|path|all> [--idp lab|keycloak|okta|entra]`: runs tabletop scenarios
 * (names under exercises/scenarios, or scenario files by path) with the real playbooks on the local
 * Temporal server, against the in-process lab identity provider (the default), the local Keycloak, or
 * a fake Okta org or Entra tenant started for the run; prints each scorecard and writes it to
 * .runtime/reports/exercises/<name>.<idp>.json and .md. A scenario whose `idps` list leaves the
 * provider out is skipped. Exit code 0 when all that ran passed. `--keycloak` is `--idp keycloak`.
 * `--live`: people answer the approvals through the inbox (`ir inbox`, the console) instead of the
 * scenario's scripted responders; the exercise prints its API's address and waits for them.
 */
import { spawnSync } from 'node:child_process';
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
import { EXERCISE_IDPS, ScenarioError, type ExerciseIdpName } from './schema';
import { temporalConnectionOptions } from '../client/temporal-connection';
import { loadPlaybookPackages, packageRoutes } from '../config/playbook-packages';

/** The test certificate the fake Entra tenant serves on 127.0.0.1 (a rehearsal trusts it, nothing else). */
const FAKE_IDP_CA = path.join(__dirname, '..', 'test', 'fixtures', 'tls', 'fake-idp.crt');

/** `--idp X` (or `--idp=X`; `--keycloak` for `--idp keycloak`), else the lab. */
function idpOf(argv: string[]): ExerciseIdpName {
  const i = argv.findIndex((a) => a === '--idp' || a.startsWith('--idp='));
  const value =
    i < 0 ? (argv.includes('--keycloak') ? 'keycloak' : 'lab') : (argv[i].split('=')[1] ?? argv[i + 1]);
  if (!(EXERCISE_IDPS as readonly string[]).includes(value ?? ''))
    throw new ScenarioError('--idp', [
      `unknown identity provider '${value ?? ''}' (one of ${EXERCISE_IDPS.join(', ')})`,
    ]);
  return value as ExerciseIdpName;
}

/** The arguments that are scenario names or paths (not options, not the value of --idp or --live-timeout). */
function scenarioArgs(argv: string[]): string[] {
  return argv.filter(
    (a, i) => !a.startsWith('--') && argv[i - 1] !== '--idp' && argv[i - 1] !== '--live-timeout',
  );
}

/** `--live-timeout <seconds>`: how long people have (default 900). */
function liveTimeout(argv: string[]): number {
  const i = argv.indexOf('--live-timeout');
  if (i < 0) return 900;
  const n = Number(argv[i + 1]);
  if (!Number.isFinite(n) || n < 10 || n > 86_400)
    throw new ScenarioError('--live-timeout', ['seconds between 10 and 86400']);
  return n;
}

async function main(argv: string[]): Promise<number> {
  Runtime.install({ logger: redactingLogger('WARN') });
  const names = scenarioArgs(argv);
  if (!names.length || argv.includes('--help')) {
    console.log(
      `usage: npm run exercise -- <scenario|path|all> [--idp ${EXERCISE_IDPS.join('|')}] [--live [--live-timeout <s>]]\nscenarios: ${scenarioFiles()
        .map((f) => path.basename(f, '.yaml'))
        .join(', ')}`,
    );
    return names.length ? 0 : 2;
  }
  const idp = idpOf(argv);
  if (idp === 'entra' && path.resolve(process.env.NODE_EXTRA_CA_CERTS ?? '') !== FAKE_IDP_CA)
    return rerunTrustingFakeTenant(argv);
  // Playbook packages (PLAYBOOK_PACKAGES) first: their scenarios name their playbooks.
  const packages = loadPlaybookPackages(process.env.PLAYBOOK_PACKAGES);
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
    ...(packages.length ? { playbookPackages: packages, playbookRoutes: packageRoutes(packages) } : {}),
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
      // --live: people answer the approvals (ir inbox, the console) instead of scripted responders.
      ...(argv.includes('--live') ? { live: { timeoutS: liveTimeout(argv) } } : {}),
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

/**
 * The fake Entra tenant speaks HTTPS only (as Graph does) with a test certificate whose key is in
 * this repository: trusting it is safe only when nothing else this run talks to uses TLS, so the
 * rehearsal runs again trusting it only with a Temporal server on this machine.
 */
function rerunTrustingFakeTenant(argv: string[]): number {
  const address = process.env.TEMPORAL_ADDRESS ?? '127.0.0.1:7233';
  if (!/^(127\.0\.0\.1|localhost|\[::1\]):\d+$/.test(address))
    throw new ScenarioError('--idp entra', [
      `the Entra rehearsal trusts its fake tenant's test certificate, so it runs only with a Temporal server on this machine (TEMPORAL_ADDRESS is ${address})`,
    ]);
  const run = spawnSync(process.execPath, [...process.execArgv, __filename, ...argv], {
    stdio: 'inherit',
    env: { ...process.env, NODE_EXTRA_CA_CERTS: FAKE_IDP_CA },
  });
  return run.status ?? 1;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : err);
    process.exit(err instanceof ScenarioError ? 2 : 1);
  },
);
