/**
 * Hand-written providers for the engine configuration, the Temporal client and the evidence store.
 */
import { Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import type { Client } from '@temporalio/client';
import { connectClient } from '../../client/connect';
import { EngineConfig, loadConfig } from '../../config/config';
import { evidenceStoreFor, sealedTokensFor } from '../../evidence/store';
import type { EvidenceStore } from '../../evidence/local-store';

export const ENGINE_CONFIG = Symbol('ENGINE_CONFIG');
export const TEMPORAL_CLIENT = Symbol('TEMPORAL_CLIENT');
export const EVIDENCE_STORE = Symbol('EVIDENCE_STORE');
export const SEALED_TOKENS = Symbol('SEALED_TOKENS');

@Injectable()
class TemporalConnectionCloser implements OnApplicationShutdown {
  constructor(@Inject(TEMPORAL_CLIENT) private readonly client: Client) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.connection.close();
  }
}

@Global()
@Module({})
export class TemporalModule {
  static forRoot(config: EngineConfig = loadConfig()) {
    return {
      module: TemporalModule,
      providers: [
        { provide: ENGINE_CONFIG, useValue: config },
        {
          provide: TEMPORAL_CLIENT,
          useFactory: () => connectClient(config),
        },
        { provide: EVIDENCE_STORE, useValue: evidenceStoreFor(config) },
        {
          provide: SEALED_TOKENS,
          useFactory: (store: EvidenceStore) => sealedTokensFor(config, store),
          inject: [EVIDENCE_STORE],
        },
        TemporalConnectionCloser,
      ],
      exports: [ENGINE_CONFIG, TEMPORAL_CLIENT, EVIDENCE_STORE, SEALED_TOKENS],
    };
  }
}
