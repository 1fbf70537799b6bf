/**
 * Benchmark: time from `POST /incidents` (critical, automatic policy) to verified containment,
 * beside the time the same Keycloak calls take made directly in sequence. Prints figures; asserts
 * nothing. Uses running servers when TEMPORAL_ADDRESS / KEYCLOAK_URL are set, else starts them.
 *
 *   npm run bench -- [runs=20]
 */
import { DefaultLogger, Runtime } from '@temporalio/worker';
import type { Connection } from '@temporalio/client';
import type { temporal } from '@temporalio/proto';
import { connectClient } from '../client/connect';
import { KeycloakProvider } from '../providers/keycloak/connector';
import { createApp } from '../api/app';
import type { Principal } from '../domain/incident';
import { KeycloakTestClient, REALM } from '../test/support/keycloak';
import { benchServers } from './servers';
import { ensureSearchAttributes } from '../worker/search-attributes';
import { createWorker } from '../worker/worker';
import { LogNotifier } from '../activities/notifier';

type ITimestamp = { seconds?: number | Long | null; nanos?: number | null };
type Long = { toNumber(): number };

const runs = Number(process.argv[2] ?? 20);
/** How often the bench reads the incident while waiting (a responder's client would read less often). */
const pollMs = Number(process.argv[3] ?? 250);

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
  const observed: number[] = [];
  const direct: number[] = [];
  const profiles: Profile[] = [];
  const directProfiles: Profile[] = [];
  for (let i = 0; i < runs + 1; i++) {
    // Through the engine: REST → Temporal workflow → evidence → containment → verification.
    const a = await kc.createUser('bench');
    await kc.login(a);
    const t0 = performance.now();
    const t0Wall = Date.now();
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
      const asked = Date.now();
      const res = await fetch(`${api}/incidents/${incidentId}`);
      const state = (await res.json()) as { phase: string; containedAt?: string };
      if (Date.now() - asked > 1000) {
        // A read that stalled: when, how long, and what the workflow's history shows around it.
        const h = await client.workflow.getHandle(incidentId).fetchHistory();
        const around = (h.events ?? [])
          .map((e) => `${ms(e.eventTime) - asked} ms ${String(e.eventType)}`)
          .join(', ');
        console.log(
          `slow read: ${Date.now() - asked} ms, status ${res.status}; history relative to the read: ${around}`,
        );
      }
      // Verified containment; the lifecycle then moves on to investigation at once.
      if (state.containedAt) break;
      if (state.phase === 'containment-unverified')
        throw new Error(
          `run ${i}: containment not verified: ${JSON.stringify(state, null, 1).slice(0, 6000)}`,
        );
      await new Promise((r) => setTimeout(r, pollMs));
    }
    const observedMs = performance.now() - t0;
    const history = await client.workflow.getHandle(incidentId).fetchHistory();
    // Verified when the workflow task after the verification completed (it records containedAt).
    const engineMs = verifiedAt(history) - t0Wall;

    // The same Keycloak calls, made directly in sequence.
    const b = await kc.createUser('bench');
    await kc.login(b);
    const p: Principal = { provider: 'keycloak', realm: REALM, username: b.username };
    const t1 = performance.now();
    const { ports } = provider;
    const step = async <T>(name: string, call: () => Promise<T>): Promise<T> => {
      const at = performance.now();
      const out = await call();
      directSteps[name] = (directSteps[name] ?? 0) + performance.now() - at;
      return out;
    };
    const directSteps: Record<string, number> = {};
    await step('snapshotEvidence', () => ports['audit-source'].snapshot(p, 7 * 24 * 3600_000));
    await step('requireReauthentication', () => ports['account-containment'].requireReauthentication(p));
    await step('revokeSessions', () => ports['sessions-and-tokens'].revokeSessions(p));
    await step('revokeOfflineAccess', () => ports['sessions-and-tokens'].revokeOfflineAccess(p));
    await step('disableAccount', () => ports['account-containment'].disableAccount(p));
    const containedAt = new Date().toISOString();
    await step('verifyContainment', () =>
      ports['account-containment'].verifyContainment(p, {
        containedAt,
        accountDisabled: true,
        suspectTokens: [],
      }),
    );
    const directMs = performance.now() - t1;

    if (i > 0) {
      // the first run warms connections, token caches and the workflow cache
      engine.push(engineMs);
      observed.push(observedMs);
      direct.push(directMs);
      directProfiles.push(directSteps);
      profiles.push(profile(history, t0Wall));
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
    return { median: at(0.5), p90: at(0.9), p99: at(0.99), max: s[s.length - 1], min: s[0] };
  };
  const e = stats(engine);
  const o = stats(observed);
  const d = stats(direct);
  const f = (n: number) => n.toFixed(0).padStart(6);
  const row = (x: ReturnType<typeof stats>) =>
    `${f(x.min)} ${f(x.median)} ${f(x.p90)} ${f(x.p99)} ${f(x.max)}`;
  console.log(`\ncontainment, ${runs} runs (after 1 warm-up), ms        min median    p90    p99    max`);
  console.log(`POST /incidents → verified containment       ${row(e)}`);
  console.log(`  … seen by the bench reading every ${String(pollMs).padEnd(4)} ms ${row(o)}`);
  console.log(`same Keycloak calls, direct, in sequence     ${row(d)}`);
  console.log(
    `engine overhead at the median: ${(e.median - d.median).toFixed(0)} ms (${(e.median / d.median).toFixed(2)}x)`,
  );
  console.log(`p50 ratio (engine/direct): ${(e.median / d.median).toFixed(2)}`);
  console.log(`p99 ratio (engine/direct): ${(e.p99 / d.p99).toFixed(2)}`);

  printProfile("where an incident's time goes (median over the runs, ms, from its event history):", profiles);
  printProfile('the direct calls, each (median, ms):', directProfiles);

  await app.close();
  worker.shutdown();
  await running;
  await connection.close();
  await servers.stop();
}

/** Where one incident's time went, from its event history (ms). */
type Profile = Record<string, number>;

const ms = (t: ITimestamp | null | undefined) =>
  t
    ? (typeof t.seconds === 'object' && t.seconds ? t.seconds.toNumber() : Number(t.seconds ?? 0)) * 1000 +
      Math.floor((t.nanos ?? 0) / 1e6)
    : NaN;

/**
 * Splits one run into: the API until the workflow started, each activity's time in the task queue
 * and running (by activity type, up to the containment verification), workflow tasks (the
 * workflow's own code and the round trip to the worker), and the poll noticing the result.
 */
function profile(history: temporal.api.history.v1.IHistory, t0: number): Profile {
  const events = history.events ?? [];
  const type = (e: (typeof events)[number]) => String(e.eventType);
  const start = ms(events[0]?.eventTime);
  const p: Profile = { 'API until the workflow started': start - t0 };
  const scheduled = new Map<string, { name: string; at: number }>();
  const started = new Map<string, number>();
  let wfTask: number | undefined;
  let end = start;
  for (const e of events) {
    const at = ms(e.eventTime);
    const t = type(e);
    if (t.endsWith('WORKFLOW_TASK_SCHEDULED') || t === '5') wfTask = at;
    else if ((t.endsWith('WORKFLOW_TASK_STARTED') || t === '6') && wfTask !== undefined) {
      p['workflow tasks: queued'] = (p['workflow tasks: queued'] ?? 0) + at - wfTask;
      wfTask = at;
    } else if ((t.endsWith('WORKFLOW_TASK_COMPLETED') || t === '7') && wfTask !== undefined) {
      p['workflow tasks: running'] = (p['workflow tasks: running'] ?? 0) + at - wfTask;
      p['workflow tasks: count'] = (p['workflow tasks: count'] ?? 0) + 1;
      wfTask = undefined;
    } else if (e.activityTaskScheduledEventAttributes) {
      scheduled.set(String(e.eventId), {
        name: e.activityTaskScheduledEventAttributes.activityType?.name ?? '?',
        at,
      });
    } else if (e.activityTaskStartedEventAttributes) {
      const id = String(e.activityTaskStartedEventAttributes.scheduledEventId);
      const s = scheduled.get(id);
      if (s) p[`${s.name}: queued`] = (p[`${s.name}: queued`] ?? 0) + at - s.at;
      started.set(id, at);
    } else if (e.activityTaskCompletedEventAttributes) {
      const id = String(e.activityTaskCompletedEventAttributes.scheduledEventId);
      const s = scheduled.get(id);
      const from = started.get(id);
      if (s && from !== undefined) p[`${s.name}: running`] = (p[`${s.name}: running`] ?? 0) + at - from;
      end = at;
      if (s?.name === 'verifyContainment') break;
    }
  }
  const accounted = Object.entries(p).reduce(
    (n, [k, v]) => (k.startsWith('API') || k.endsWith(': count') ? n : n + v),
    0,
  );
  p['between tasks (history writes, dispatch)'] = end - start - accounted;
  p['after the verification, the task that records it'] = verifiedAt(history) - end;
  return p;
}

/** When the workflow task after the containment verification completed (ms since the epoch). */
function verifiedAt(history: temporal.api.history.v1.IHistory): number {
  const events = history.events ?? [];
  const verify = events.find(
    (e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'verifyContainment',
  );
  const done = events.find(
    (e) =>
      verify &&
      String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '') === String(verify.eventId),
  );
  const after = events.find(
    (e) =>
      done &&
      Number(e.eventId) > Number(done.eventId) &&
      (String(e.eventType).endsWith('WORKFLOW_TASK_COMPLETED') || String(e.eventType) === '7'),
  );
  if (!after) throw new Error('no verified containment in the history');
  return ms(after.eventTime);
}

function printProfile(title: string, profiles: Profile[]): void {
  const keys = [...new Set(profiles.flatMap((p) => Object.keys(p)))];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  console.log(`\n${title}`);
  for (const k of keys)
    console.log(
      `  ${k.padEnd(48)} ${median(profiles.map((p) => p[k] ?? 0))
        .toFixed(0)
        .padStart(6)}`,
    );
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
