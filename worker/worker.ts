/**
 * Builds the worker: activities wired to real connectors, the evidence store, the notifier and a
 * Temporal client (detection opens incidents), running every playbook and detector on one task
 * queue. Used by worker/main.ts and by the tests.
 */
import type { LabIdentityProvider } from '../providers/lab/connector';
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import { createActivities } from '../activities';
import { withHeartbeats } from '../activities/heartbeat';
import { createDetectionActivities } from '../activities/detection';
import { KeycloakProvider } from '../providers/keycloak/connector';
import { OktaSystemLog } from '../providers/okta/collector';
import { OktaProvider } from '../providers/okta/connector';
import { EntraProvider } from '../providers/entra/connector';
import { EntraSignIns } from '../providers/entra/collector';
import {
  FanOutNotifier,
  LogNotifier,
  Notifier,
  SlackNotifier,
  TeamsNotifier,
  WebhookNotifier,
} from '../activities/notifier';
import {
  EngineConfig,
  requirePayloadProtection,
  requirePrincipalKeySecret,
  ssfKeyFile,
} from '../config/config';
import { ssfActivities } from '../activities/ssf';
import { ssfReceiverActivities } from '../activities/ssf-receiver';
import { ssfSigningKey } from '../ssf/keys';
import { usePrincipalKeySecret } from '../domain/principal-key';
import { engineDataConverter } from '../codec/data-converter';
import { warnIfPlaintext } from '../client/connect';
import { evidenceStoreFor, sealedTokensFor } from '../evidence/store';
import { temporalConnectionOptions } from '../client/temporal-connection';
import { OpenTelemetryPlugin } from '@temporalio/interceptors-opentelemetry';
import type { Tracing } from '../telemetry/tracing';

export function activitiesFor(
  config: EngineConfig,
  client: Client,
  notifier?: Notifier,
  /** The lab identity provider, given explicitly: never a fallback for a configured connector. */
  lab?: LabIdentityProvider,
) {
  const keycloak = config.keycloak ? new KeycloakProvider(config.keycloak) : undefined;
  const notifiers: Notifier[] = [notifier ?? new LogNotifier()];
  if (config.notifyWebhookUrl) notifiers.push(new WebhookNotifier(config.notifyWebhookUrl));
  // Notifications link to the incident in the console (PUBLIC_API_URL), else in the Temporal UI.
  const ui = config.temporal.uiUrl;
  const api = config.publicApiUrl;
  const link = api
    ? (id: string) => `${api}/console/#/incidents/${encodeURIComponent(id)}`
    : ui
      ? (id: string) => `${ui}/namespaces/${config.temporal.namespace}/workflows/${encodeURIComponent(id)}`
      : undefined;
  if (config.notifySlackWebhookUrl)
    notifiers.push(new SlackNotifier(config.notifySlackWebhookUrl, link, config.slack !== undefined));
  if (config.notifyTeamsWebhookUrl) notifiers.push(new TeamsNotifier(config.notifyTeamsWebhookUrl, link));
  const evidence = evidenceStoreFor(config);
  const providers = {
    keycloak,
    lab,
    okta: config.okta ? new OktaProvider(config.okta) : undefined,
    entra: config.entra ? new EntraProvider(config.entra) : undefined,
  };
  const okta = config.okta ? new OktaSystemLog(config.okta) : undefined;
  const entra = config.entra ? new EntraSignIns(config.entra) : undefined;
  return withHeartbeats({
    ...createActivities({
      providers,
      evidence,
      sealedTokens: sealedTokensFor(config, evidence),
      notifier: new FanOutNotifier(notifiers),
      recoveryChecks: config.recoveryChecks,
      userChallenge: config.userChallenge,
      investigationConcurrency: config.investigationConcurrency,
      protectedPrincipals: config.protectedPrincipals,
      ssf: {
        client,
        taskQueue: config.temporal.taskQueue,
        // Keycloak realms are issuers of their own; other providers' subjects go by e-mail.
        issuerOf: (p) =>
          p.provider === 'keycloak' && config.keycloak
            ? `${config.keycloak.baseUrl.replace(/\/$/, '')}/realms/${encodeURIComponent(p.realm)}`
            : undefined,
      },
      ...(config.gtrApps && config.publicApiUrl
        ? {
            gtr: {
              apps: config.gtrApps,
              issuer: config.publicApiUrl,
              key: () => ssfSigningKey(ssfKeyFile(config)),
            },
          }
        : {}),
    }),
    ...ssfActivities(() => ssfSigningKey(ssfKeyFile(config)), config.ssfPushPrivateHosts),
    ...ssfReceiverActivities({
      client,
      taskQueue: config.temporal.taskQueue,
      transmitters: config.ssfTransmitters ?? [],
      publicApiUrl: config.publicApiUrl,
      principalKeySecret: config.principalKeySecret,
      detectionShards: config.detectionShards,
    }),
    ...createDetectionActivities({
      client,
      taskQueue: config.temporal.taskQueue,
      keycloak,
      okta,
      entra,
      lab,
      playbookPolicies: config.playbookPolicies,
      protectedPrincipals: config.protectedPrincipals,
      approverRoutes: config.approverRoutes,
      providers,
      detectionShards: config.detectionShards,
      playbookRoutes: config.playbookRoutes,
    }),
  });
}

export async function createWorker(
  config: EngineConfig,
  client: Client,
  {
    notifier,
    lab,
    tracing,
    ...overrides
  }: Partial<WorkerOptions> & {
    connection?: NativeConnection;
    notifier?: Notifier;
    /** OpenTelemetry (telemetry/tracing.ts): workflow and activity spans, the trace carried through. */
    tracing?: Tracing;
    /** The lab identity provider's connector (LAB_IDP, exercises, tests). */
    lab?: LabIdentityProvider;
  } = {},
): Promise<Worker> {
  const protection = requirePayloadProtection(config);
  warnIfPlaintext(protection, 'worker');
  usePrincipalKeySecret(requirePrincipalKeySecret(config));
  const connection =
    overrides.connection ?? (await NativeConnection.connect(temporalConnectionOptions(config.temporal)));
  const workflowSource = overrides.workflowBundle ? {} : workflowSources(config.playbookPackages ?? []);
  return Worker.create({
    connection,
    namespace: config.temporal.namespace,
    taskQueue: config.temporal.taskQueue,
    activities: activitiesFor(config, client, notifier, lab),
    dataConverter: engineDataConverter(protection),
    ...workflowSource,
    ...(tracing
      ? {
          plugins: [
            new OpenTelemetryPlugin({ resource: tracing.resource, spanProcessor: tracing.spanProcessor }),
          ],
        }
      : {}),
    ...overrides,
  });
}

/**
 * What the worker bundles: the engine's workflows, or with playbook packages the generated entry
 * (below) — whose own folder has no node_modules, so the bundler is told where the engine's are.
 */
export function workflowSources(
  packages: { workflowsPath: string }[],
): Pick<WorkerOptions, 'workflowsPath' | 'bundlerOptions'> {
  if (!packages.length) return { workflowsPath: workflowsEntry([]) };
  const nodeModules = path.resolve(require.resolve('@temporalio/workflow/package.json'), '..', '..', '..');
  return {
    workflowsPath: workflowsEntry(packages),
    bundlerOptions: {
      webpackConfigHook: (c) => ({
        ...c,
        resolve: { ...c.resolve, modules: [...(c.resolve?.modules ?? ['node_modules']), nodeModules] },
      }),
    },
  };
}

/**
 * The module the worker bundles: the engine's workflows, and with playbook packages a generated
 * module exporting theirs beside them (written once per set of packages, in the OS temp folder).
 */
export function workflowsEntry(packages: { workflowsPath: string }[]): string {
  const engine = require.resolve('../workflows');
  if (!packages.length) return engine;
  const source = [engine, ...packages.map((p) => p.workflowsPath)]
    .map((file) => `export * from ${JSON.stringify(file.replace(/\.(ts|js)$/, ''))};`)
    .join('\n');
  const file = path.join(
    os.tmpdir(),
    `ir-workflows-${createHash('sha256').update(source).digest('hex').slice(0, 16)}.ts`,
  );
  if (!existsSync(file)) writeFileSync(file, source + '\n');
  return file;
}
