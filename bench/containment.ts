/**
 * Benchmark: time from `POST /incidents` (critical, automatic policy) to verified containment,
 * beside the time the same Keycloak calls take made directly in sequence. Prints figures; asserts
 * nothing. Uses running servers when TEMPORAL_ADDRESS / KEYCLOAK_URL are set, else starts them.
 *
 *   npm run bench -- [runs=20]
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Connection } from '@temporalio/client';
import { connectClient } from '../client/connect';
import { KeycloakProvider } from '../providers/keycloak/connector';
import { createApp } from '../api/app';
import type { Principal } from '../domain/incident';
import { KeycloakTestClient, REALM } from '../test/support/keycloak';
import { benchServers } from './servers';
import { ensureSearchAttributes } from '../worker/search-attributes';
import { createWorker } from '../worker/worker';
import { LogNotifier } from '../activities/notifier';

const runs = Number(process.argv[2] ?? 20);

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const servers = await benchServers();
  const { config } = servers;
  const client = await connectClient(config);
  const connection = client.connection as Connection;
  await ensureSearchAttributes(connection, 'default');
  const worker = await createWorker(config, client, { notifier: new LogNotifier(() => undefined) });
  const running = worker.run();
  const app = await createApp(config, { logger: false });
  await app.listen(0, '127.0.0.1');
  const api = await app.getUrl();
  const kc = new KeycloakTestClient(servers.keycloakUrl);
  const provider = new KeycloakProvider(config.keycloak!);

  const engine: number[] = [];
  const direct: number[] = [];
  for (let i = 0; i < runs + 1; i++) {
    // Through the engine: REST → Temporal workflow → evidence → containment → verification.
    const a = await kc.createUser('bench');
    await kc.login(a);
    const t0 = performance.now();
    const res = await fetch(`${api}/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-actor': 'bench' },
      body: JSON.stringify({
        playbook: 'compromised-credential',
        principal: { provider: 'keycloak', realm: REALM, username: a.username },
        severity: 'critical',
        summary: 'benchmark',
      }),
    });
    const { incidentId } = (await res.json()) as { incidentId: string };
    for (;;) {
      const state = (await (await fetch(`${api}/incidents/${incidentId}`)).json()) as {
        phase: string;
        containedAt?: string;
      };
      // Verified containment; the lifecycle then moves on to investigation at once.
      if (state.containedAt) break;
      if (state.phase === 'containment-unverified') throw new Error(`run ${i}: containment not verified`);
      await new Promise((r) => setTimeout(r, 20));
    }
    const engineMs = performance.now() - t0;

    // The same Keycloak calls, made directly in sequence.
    const b = await kc.createUser('bench');
    await kc.login(b);
    const p: Principal = { provider: 'keycloak', realm: REALM, username: b.username };
    const t1 = performance.now();
    const { ports } = provider;
    await ports['audit-source'].snapshot(p, 7 * 24 * 3600_000);
    await ports['account-containment'].requireReauthentication(p);
    await ports['sessions-and-tokens'].revokeSessions(p);
    await ports['sessions-and-tokens'].revokeOfflineAccess(p);
    await ports['account-containment'].disableAccount(p);
    const containedAt = new Date().toISOString();
    await ports['account-containment'].verifyContainment(p, {
      containedAt,
      accountDisabled: true,
      suspectTokens: [],
    });
    const directMs = performance.now() - t1;

    if (i > 0) {
      // the first run warms connections, token caches and the workflow cache
      engine.push(engineMs);
      direct.push(directMs);
    }
    await fetch(`${api}/incidents/${incidentId}/close`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-actor': 'bench' },
      body: JSON.stringify({ reason: 'benchmark run' }),
    });
  }

  const stats = (xs: number[]) => {
    const s = [...xs].sort((x, y) => x - y);
    const at = (q: number) => s[Math.min(s.length - 1, Math.floor(q * s.length))];
    return { median: at(0.5), p90: at(0.9), max: s[s.length - 1], min: s[0] };
  };
  const e = stats(engine);
  const d = stats(direct);
  const f = (n: number) => n.toFixed(0).padStart(6);
  console.log(`\ncontainment, ${runs} runs (after 1 warm-up), ms        min median    p90    max`);
  console.log(
    `POST /incidents → verified containment       ${f(e.min)} ${f(e.median)} ${f(e.p90)} ${f(e.max)}`,
  );
  console.log(
    `same Keycloak calls, direct, in sequence     ${f(d.min)} ${f(d.median)} ${f(d.p90)} ${f(d.max)}`,
  );
  console.log(
    `engine overhead at the median: ${(e.median - d.median).toFixed(0)} ms (${(e.median / d.median).toFixed(2)}x)`,
  );

  await app.close();
  worker.shutdown();
  await running;
  await connection.close();
  await servers.stop();
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
