/**
 * Builds the worker: activities wired to real connectors, the evidence store and the notifier,
 * running every playbook on one task queue. Used by worker/main.ts and by the tests.
 */
import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { KeycloakProvider } from '../activities/keycloak/keycloak-provider';
import { FanOutNotifier, LogNotifier, Notifier, WebhookNotifier } from '../activities/notifier';
import type { IdentityProvider } from '../activities/identity-provider';
import type { EngineConfig } from '../config/config';
import { LocalEvidenceStore } from '../evidence/local-store';
import { SealedTokens } from '../evidence/sealed-tokens';

export function activitiesFor(config: EngineConfig, notifier?: Notifier) {
  const providers: { keycloak?: IdentityProvider } = {};
  if (config.keycloak) providers.keycloak = new KeycloakProvider(config.keycloak);
  const notifiers: Notifier[] = [notifier ?? new LogNotifier()];
  if (config.notifyWebhookUrl) notifiers.push(new WebhookNotifier(config.notifyWebhookUrl));
  return createActivities({
    providers,
    evidence: new LocalEvidenceStore(config.evidenceDir),
    sealedTokens: new SealedTokens(config.evidenceDir),
    notifier: new FanOutNotifier(notifiers),
  });
}

export async function createWorker(
  config: EngineConfig,
  overrides: Partial<WorkerOptions> & { connection?: NativeConnection } = {},
): Promise<Worker> {
  const connection =
    overrides.connection ?? (await NativeConnection.connect({ address: config.temporal.address }));
  const workflowSource = overrides.workflowBundle ? {} : { workflowsPath: require.resolve('../workflows') };
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: activitiesFor(config),
    ...workflowSource,
    ...overrides,
  });
}
