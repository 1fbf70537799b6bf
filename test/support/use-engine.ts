/** Jest-only: a worker and the API per test file (kept apart so the benchmarks can build engine.ts). */
import type { EngineConfig } from '../../config/config';
import { testConfig, TestApi, TestWorker } from './engine';

/**
 * A worker and the API for this test file: started before its tests, stopped after them. Read
 * `engine.api`, `engine.worker`, `engine.config` inside tests (they exist once `beforeAll` ran).
 */
export function useEngine(configure: () => EngineConfig | Promise<EngineConfig> = testConfig) {
  const engine = {} as { config: EngineConfig; worker: TestWorker; api: TestApi };
  beforeAll(async () => {
    engine.config = await configure();
    engine.worker = await TestWorker.start(engine.config);
    engine.api = await TestApi.start(engine.config);
  });
  afterAll(async () => {
    await engine.api?.stop();
    await engine.worker?.stop();
  });
  return engine;
}
