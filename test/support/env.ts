import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { StartedService } from '../../scripts/runtime/services';

export const TEST_ENV_FILE = path.resolve(__dirname, '..', '..', '.runtime', 'test-env.json');

export interface TestEnv {
  temporal: StartedService;
  keycloak: StartedService;
  workDir: string;
  workflowBundlePath: string;
}

export function readTestEnv(): TestEnv {
  return JSON.parse(readFileSync(TEST_ENV_FILE, 'utf8')) as TestEnv;
}
