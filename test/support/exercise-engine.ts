/**
 * The engine an exercise runs against in the tests: a worker and an API of the test support on
 * the test's Temporal server (the shipped scenarios' test and playbook packages' tests share it).
 */
import type { ExerciseEngine } from '../../exercises/runner';
import { TestApi, TestWorker } from './engine';

export const testExerciseEngine: ExerciseEngine = {
  async start(config, lab) {
    const worker = await TestWorker.start(config, lab);
    const api = await TestApi.start(config);
    return {
      client: worker.client,
      apiUrl: api.url,
      stop: async () => {
        await api.stop();
        await worker.stop();
      },
    };
  },
};
