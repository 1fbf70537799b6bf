/**
 * A Temporal client as every part of the engine needs it: the configured namespace and the shared
 * data converter (payload encryption, encoded failures). Logs once, loudly, when encryption is off.
 */
import { Client, Connection } from '@temporalio/client';
import { engineDataConverter } from '../codec/data-converter';
import { EngineConfig, PayloadProtection, requirePayloadProtection } from '../config/config';
import { temporalConnectionOptions } from './temporal-connection';
import { serviceLogger } from '../telemetry/log';
import { clientTracingInterceptors } from '../telemetry/tracing';

export async function connectClient(config: EngineConfig): Promise<Client> {
  const protection = requirePayloadProtection(config);
  const connection = await Connection.connect(temporalConnectionOptions(config.temporal));
  return new Client({
    connection,
    namespace: config.temporal.namespace,
    dataConverter: engineDataConverter(protection),
    interceptors: clientTracingInterceptors(),
  });
}

let warned = false;
export function warnIfPlaintext(protection: PayloadProtection, who: string): void {
  if (protection.mode !== 'plaintext' || warned) return;
  warned = true;
  serviceLogger(who).warn(
    `PAYLOAD ENCRYPTION IS OFF (PAYLOAD_ENCRYPTION=off): usernames, alerts and evidence references are stored in Temporal history in clear. Never run this way outside a trial.`,
  );
}
