/**
 * docker-compose.yml as users run it: nothing published beyond this machine, never dev-mode auth,
 * and the same Temporal deployment CI runs natively (scripts/temporal-cluster.sh): versions,
 * config files, schema script and topology.
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '..');
const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8')) as {
  services: Record<
    string,
    {
      image?: string;
      ports?: string[];
      environment?: Record<string, string>;
      volumes?: string[];
      command?: string[];
      entrypoint?: string[];
      deploy?: { replicas?: number };
    }
  >;
};

/** The default of `NAME="${NAME:-value}"` in one of the project's scripts. */
function pinned(script: string, name: string): string {
  const text = readFileSync(path.join(ROOT, 'scripts', script), 'utf8');
  const m = new RegExp(`${name}="\\$\\{${name}:-v?([^}]+)\\}"`).exec(text);
  if (!m) throw new Error(`${script} pins no ${name}`);
  return m[1];
}

/** Mounted host paths of a service that exist in the project (./x:/y[:ro]). */
function mounts(service: string): string[] {
  return (compose.services[service].volumes ?? [])
    .filter((v) => v.startsWith('./'))
    .map((v) => v.split(':')[0]);
}

describe('docker-compose.yml', () => {
  it('publishes every port on 127.0.0.1 only', () => {
    const ports = Object.values(compose.services).flatMap((s) => s.ports ?? []);
    expect(ports.length).toBeGreaterThan(0);
    for (const p of ports) expect(p).toMatch(/^127\.0\.0\.1:\d+(-\d+)?:\d+$/);
  });

  it('runs the API with OIDC (audience required), never AUTH_MODE=dev', () => {
    const env = compose.services.api.environment ?? {};
    expect(env.AUTH_MODE).toBeUndefined();
    expect(env.AUTH_ISSUER).toBeTruthy();
    expect(env.AUTH_AUDIENCE).toBeTruthy();
  });

  it('runs the Temporal server CI runs: same version, config files, schema script, PostgreSQL major', () => {
    const server = pinned('install-temporal-server.sh', 'TEMPORAL_SERVER_VERSION');
    const { services } = compose;
    expect(services.temporal.image).toBe(`temporalio/server:${server}`);
    expect(services['temporal-schema'].image).toBe(`temporalio/admin-tools:${server}`);
    expect(services.temporal.command).toEqual(
      expect.arrayContaining(['--config', 'config', '--env', 'production', 'start']),
    );
    expect(mounts('temporal')).toEqual(['./deploy/temporal/config']);
    expect(mounts('temporal-schema')).toEqual(['./deploy/temporal/setup-schema.sh']);
    for (const m of [...mounts('temporal'), ...mounts('temporal-schema'), ...mounts('keycloak')])
      expect(existsSync(path.join(ROOT, m))).toBe(true);
    const cluster = readFileSync(path.join(ROOT, 'scripts', 'temporal-cluster.sh'), 'utf8');
    expect(cluster).toContain('deploy/temporal/setup-schema.sh');
    expect(cluster).toContain('--root "$here/deploy/temporal" --config config --env production');
    expect(services.temporal.environment?.DYNAMIC_CONFIG_FILE_PATH).toBe(
      '/deploy/temporal/config/dynamicconfig/production.yaml',
    );
    expect(cluster).toContain('deploy/temporal/config/dynamicconfig/production.yaml');
    // Debian 12's PostgreSQL, which scripts/install-postgres.sh installs for CI.
    expect(services.postgresql.image).toBe('postgres:15');
  });

  it('pins the Web UI the CLI embeds and the Keycloak the tests run', () => {
    expect(compose.services['temporal-ui'].image).toBe('temporalio/ui:2.42.1');
    expect(compose.services.keycloak.image).toBe(
      `quay.io/keycloak/keycloak:${pinned('install-keycloak.sh', 'KEYCLOAK_VERSION')}`,
    );
  });

  it('runs two workers and two APIs, as the failover test does', () => {
    expect(compose.services.worker.deploy?.replicas).toBe(2);
    expect(compose.services.api.deploy?.replicas).toBe(2);
    // Two replicas hold one rate limit only with the shared store.
    expect(compose.services.api.environment?.API_RATE_LIMIT_REDIS_URL).toBe('redis://redis:6379');
    expect(compose.services.redis.image).toBe('redis:7.0');
  });
});
