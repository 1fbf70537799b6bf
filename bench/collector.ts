/**
 * Benchmark: detection latency of the Keycloak collector — from the moment a real login completes
 * after a burst of failures to the moment the compromised-credential incident has started.
 * Prints figures. Uses running servers when TEMPORAL_ADDRESS / KEYCLOAK_URL are set.
 *
 *   npm run bench:collector -- [runs=10] [pollMs=1000]
 */
import type { Connection } from '@temporalio/client';
import { connectClient } from '../client/connect';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { incidentIdFor } from '../domain/principal-key';
import { KeycloakTestClient, REALM } from '../test/support/keycloak';
import { benchServers } from './servers';
import { ensureDetector, stopDetector } from '../worker/detectors';
import { ensureSearchAttributes } from '../worker/search-attributes';
import { createWorker } from '../worker/worker';

const runs = Number(process.argv[2] ?? 10);
const pollMs = Number(process.argv[3] ?? 1000);

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const servers = await benchServers();
  const { config } = servers;
  const client = await connectClient(config);
  const connection = client.connection as Connection;
  await ensureSearchAttributes(connection, 'default');
  const worker = await createWorker(config, client);
  const running = worker.run();
  const source = { provider: 'keycloak' as const, tenant: REALM, pull: { intervalMs: pollMs } };
  await stopDetector(client, source, 'fresh benchmark');
  await ensureDetector(client, config.temporal.taskQueue, source);
  const kc = new KeycloakTestClient(servers.keycloakUrl);

  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) {
    const user = await kc.createUser('latency');
    for (let k = 0; k < 10; k++) await kc.login({ ...user, password: 'wrong' }).catch(() => undefined);
    await kc.login(user);
    const loggedIn = Date.now();
    const id = incidentIdFor({ provider: 'keycloak', realm: REALM, username: user.username });
    for (;;) {
      const info = await client.workflow
        .getHandle(id)
        .describe()
        .catch(() => undefined);
      if (info) {
        latencies.push(info.startTime.getTime() - loggedIn);
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  latencies.sort((a, b) => a - b);
  const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  console.log(
    `\nKeycloak collector, poll every ${pollMs} ms, ${runs} runs: login after a burst → incident started`,
  );
  console.log(
    `  min ${latencies[0]} ms   median ${at(0.5)} ms   p90 ${at(0.9)} ms   max ${latencies.at(-1)} ms`,
  );

  await stopDetector(client, source, 'benchmark done');
  worker.shutdown();
  await running;
  await connection.close();
  await servers.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
