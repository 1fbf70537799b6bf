/**
 * The options of every connection the engine opens to Temporal (API client, worker, scripts):
 * address, TLS or mTLS, and the Temporal Cloud API key, from one configuration.
 */
import type { EngineConfig, TemporalTls } from '../config/config';

/** Fits both `Connection.connect` (client) and `NativeConnection.connect` (worker). */
export interface TemporalConnectionOptions {
  address: string;
  tls?: TemporalTls;
  apiKey?: string;
}

export function temporalConnectionOptions(temporal: EngineConfig['temporal']): TemporalConnectionOptions {
  return {
    address: temporal.address,
    ...(temporal.tls ? { tls: temporal.tls } : {}),
    ...(temporal.apiKey ? { apiKey: temporal.apiKey } : {}),
  };
}
