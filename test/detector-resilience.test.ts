/**
 * Detectors stay alive and current: a collector whose provider fails (an outage, a refused
 * credential) keeps its detector running, backs off and says why; a running detector takes the
 * worker's configuration instead of being silently reused as it was started.
 */
import { randomUUID } from 'node:crypto';
import { detectorId, detectorStatusQuery } from '../workflows/detector';
import { ensureDetector, stopDetector } from '../worker/detectors';
import { eventually } from './support/engine';
import { useEngine } from './support/use-engine';

const engine = useEngine();

it('keeps a detector whose provider refuses every pull running, backing off and naming the failure', async () => {
  // A realm that does not exist: every pull fails for good (what a revoked credential looks like too).
  const source = {
    provider: 'keycloak' as const,
    tenant: `gone-${randomUUID().slice(0, 8)}`,
    pull: { intervalMs: 200 },
  };
  await ensureDetector(engine.worker.client, engine.config.temporal.taskQueue, source);
  const handle = engine.worker.client.workflow.getHandle(detectorId(source));
  try {
    const status = await eventually(async () => {
      const s = await handle.query(detectorStatusQuery);
      return s.health && s.health.failures >= 2 ? s : undefined;
    }, 'two failed pulls');
    expect(status.health?.lastError).toBeTruthy();
    expect((await handle.describe()).status.name).toBe('RUNNING');
  } finally {
    await stopDetector(engine.worker.client, source, 'test done');
  }
});

it('brings a running detector to the configuration it is ensured with', async () => {
  const tenant = `reconf-${randomUUID().slice(0, 8)}`;
  const queue = engine.config.temporal.taskQueue;
  await ensureDetector(engine.worker.client, queue, { provider: 'okta', tenant });
  const handle = engine.worker.client.workflow.getHandle(detectorId({ provider: 'okta', tenant }));
  try {
    expect((await handle.query(detectorStatusQuery)).config).toBeUndefined();
    await ensureDetector(
      engine.worker.client,
      queue,
      { provider: 'okta', tenant },
      {
        failedLoginBurst: { threshold: 3, windowMs: 60_000 },
      },
    );
    const status = await handle.query(detectorStatusQuery);
    expect(status.config).toEqual({ failedLoginBurst: { threshold: 3, windowMs: 60_000 } });
    expect(status.taskQueue).toBe(queue);
  } finally {
    await stopDetector(engine.worker.client, { provider: 'okta', tenant }, 'test done');
  }
});
