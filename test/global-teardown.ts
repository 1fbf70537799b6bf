import { rmSync } from 'node:fs';
import { stopService } from '../scripts/runtime/services';
import { readTestEnv } from './support/env';

export default async function globalTeardown(): Promise<void> {
  const env = readTestEnv();
  await Promise.all([stopService(env.temporal), stopService(env.keycloak)]);
  rmSync(env.workDir, { recursive: true, force: true });
}
