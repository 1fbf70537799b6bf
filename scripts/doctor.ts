/**
 * `npm run doctor [-- <realm> …]`: what the engine's identity-provider credentials allow, port by
 * port, checked with read-only probes before an incident needs them, and what to grant for the rest.
 * Reads the same configuration as the worker (environment or IR_CONFIG); checks the realms named on
 * the command line and those of DETECTION_SOURCES. Exits 1 when a port is not (fully) allowed.
 */
import { KeycloakProvider } from '../providers/keycloak/connector';
import { loadConfig } from '../config/config';
import { reportOk, type ProviderReport } from '../domain/ports';

async function main(): Promise<void> {
  const config = loadConfig();
  if (!config.keycloak) {
    console.error(
      'doctor: no identity provider to check (set KEYCLOAK_URL and KEYCLOAK_CLIENT_SECRET, or IR_CONFIG)',
    );
    process.exit(2);
  }
  const realms = new Set([
    ...process.argv.slice(2).filter((a) => !a.startsWith('--')),
    ...config.detectionSources.filter((s) => s.provider === 'keycloak').map((s) => s.tenant),
  ]);
  if (!realms.size) {
    console.error('doctor: name the realm(s) to check: npm run doctor -- <realm>');
    process.exit(2);
  }
  const keycloak = new KeycloakProvider(config.keycloak);
  const reports: ProviderReport[] = [];
  for (const realm of realms) reports.push(await keycloak.checkPermissions(realm));
  for (const r of reports) {
    console.log(`\n${r.provider} '${r.tenant}':`);
    for (const p of r.ports) {
      console.log(`  ${p.status.padEnd(13)} ${p.port.padEnd(20)} ${p.detail}`);
      if (p.grant) console.log(`  ${''.padEnd(13)} ${''.padEnd(20)} → ${p.grant}`);
    }
  }
  if (process.argv.includes('--json')) console.log(JSON.stringify(reports, null, 2));
  process.exit(reports.every(reportOk) ? 0 : 1);
}

main().catch((err: Error) => {
  console.error(`doctor: ${err.message}`);
  process.exit(2);
});
