/**
 * The permissions doctor as a short workflow: the API holds no identity-provider credentials, so it
 * asks a worker (which does) what its credentials allow, per provider and tenant.
 */
import type { ProviderReport } from '../domain/ports';
import { run } from './kit/activities';

export interface ProvidersDoctorInput {
  targets: { provider: string; tenant: string }[];
}

export async function providersDoctor(input: ProvidersDoctorInput): Promise<ProviderReport[]> {
  const names = input.targets.map((t) => `${t.provider} '${t.tenant}'`).join(', ');
  return run('checkProviders', `check what the engine may do in ${names}`.slice(0, 200), input);
}
