/** docker-compose.yml as users run it: nothing published beyond this machine, never dev-mode auth. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

const compose = parse(readFileSync(path.resolve(__dirname, '..', 'docker-compose.yml'), 'utf8')) as {
  services: Record<string, { ports?: string[]; environment?: Record<string, string> }>;
};

describe('docker-compose.yml', () => {
  it('publishes every port on 127.0.0.1 only', () => {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
  });

  it('runs the API with OIDC (audience required), never AUTH_MODE=dev', () => {
    const env = compose.services.api.environment ?? {};
    expect(env.AUTH_MODE).toBeUndefined();
    expect(env.AUTH_ISSUER).toBeTruthy();
    expect(env.AUTH_AUDIENCE).toBeTruthy();
  });
});
