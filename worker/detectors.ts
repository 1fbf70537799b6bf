/**
 * Starts the detector workflow of every configured source (DETECTION_SOURCES), or leaves the
 * running one alone: a detector is started once and runs for as long as the source exists.
 */
import type { Client } from '@temporalio/client';
import type { EngineConfig } from '../config/config';
import type { DetectionConfig } from '../detection/rules';
import { DetectionSource, detectorId } from '../workflows/detector';

export async function ensureDetector(
  client: Client,
  taskQueue: string,
  source: DetectionSource,
  config?: Partial<DetectionConfig>,
): Promise<string> {
  const workflowId = detectorId(source);
  await client.workflow.start('detector', {
    workflowId,
    taskQueue,
    args: [{ source, config }],
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `detector for ${source.provider} ${source.tenant}${source.pull ? ' (pulling)' : ''}`,
  });
  return workflowId;
}

export async function ensureDetectors(client: Client, config: EngineConfig): Promise<void> {
  for (const source of config.detectionSources) {
    const id = await ensureDetector(client, config.temporal.taskQueue, source);
    console.log(`worker: detector ${id} running`);
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
