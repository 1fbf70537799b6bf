/**
 * Starts the detector workflow of every configured source (DETECTION_SOURCES), or brings the
 * running one to this configuration: a detector runs for as long as the source exists.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import type { EngineConfig } from '../config/config';
import type { DetectionConfig } from '../detection/rules';
import { DetectionSource, detectorId, reconfigureDetectorUpdate } from '../workflows/detector';
import { serviceLogger } from '../telemetry/log';
import { receiverWorkflowId } from '../workflows/ssf-receiver-definitions';

export async function ensureDetector(
  client: Client,
  taskQueue: string,
  source: DetectionSource,
  config?: Partial<DetectionConfig>,
): Promise<string> {
  const workflowId = detectorId(source);
  const start = () =>
    client.workflow.start('detector', {
      workflowId,
      taskQueue,
      args: [{ source, config }],
      workflowIdConflictPolicy: 'FAIL',
      staticSummary: `detector for ${source.provider} ${source.tenant}${source.pull ? ' (pulling)' : ''}`,
    });
  try {
    await start();
    return workflowId; // a new detector, with this configuration
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
  }
  // A detector already running keeps its windows but takes this configuration (pull interval,
  // thresholds, task queue) — never silently reused as it was started long ago.
  try {
    const { changed } = await client.withDeadline(Date.now() + RECONFIGURE_WAIT_MS, () =>
      client.workflow
        .getHandle(workflowId)
        .executeUpdate(reconfigureDetectorUpdate, { args: [{ pull: source.pull, config, taskQueue }] }),
    );
    if (changed)
      serviceLogger('worker').info(`detector ${workflowId} reconfigured to this worker's settings`);
  } catch (err) {
    // Nobody runs it (its task queue has no worker): start it afresh here, saying so.
    serviceLogger('worker').warn(
      `detector ${workflowId} did not take the new configuration (${(err as Error).message}); restarting it on ${taskQueue}`,
    );
    await stopDetector(client, source, 'restarted with the worker configuration');
    await start();
  }
  return workflowId;
}

const RECONFIGURE_WAIT_MS = 10_000;

export async function ensureDetectors(client: Client, config: EngineConfig): Promise<void> {
  for (const source of config.detectionSources) {
    // A sharded push source's detectors start on its first push (one per shard); its unsharded
    // detector would never receive an event.
    if (!source.pull && (config.detectionShards ?? 1) > 1) continue;
    const id = await ensureDetector(client, config.temporal.taskQueue, source, config.detectionRules);
    serviceLogger('worker').info(`detector ${id} running`);
  }
}

/** Stops a source's detector if one is running (a no-op otherwise). */
export async function stopDetector(
  client: Client,
  source: Pick<DetectionSource, 'provider' | 'tenant'>,
  reason: string,
): Promise<void> {
  await client.workflow
    .getHandle(detectorId(source))
    .terminate(reason)
    .catch((err: Error) => {
      if (err.name !== 'WorkflowNotFoundError') throw err;
    });
}

/**
 * Starts the receiver workflow of every upstream SSF transmitter (SSF_TRANSMITTERS); one already
 * running keeps going (it reads its transmitter's settings from this worker on every call).
 */
export async function ensureSsfReceivers(client: Client, config: EngineConfig): Promise<void> {
  for (const t of config.ssfTransmitters ?? []) {
    await client.workflow.start('ssfReceiver', {
      workflowId: receiverWorkflowId(t.name),
      taskQueue: config.temporal.taskQueue,
      args: [{ name: t.name }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      staticSummary: `SSF receiver of ${t.name} (${t.delivery}) for ${t.provider} ${t.tenant}`,
    });
    serviceLogger('worker').info(`SSF receiver ${receiverWorkflowId(t.name)} running`);
  }
}
