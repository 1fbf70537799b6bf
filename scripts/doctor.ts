/**
 * `npm run doctor [-- <realm> …]`: what the engine's identity-provider credentials allow, port by
 * port, checked with read-only probes before an incident needs them, and what to grant for the rest.
 * Reads the same configuration as the worker (environment or IR_CONFIG); checks the Keycloak realms
 * named on the command line and those of DETECTION_SOURCES, and the Okta org and Entra ID tenant
 * when configured (their event collectors: no containment connector yet). Exits 1 when a port is not (fully) allowed.
 */
import { EntraProvider } from '../providers/entra/connector';
import { KeycloakProvider } from '../providers/keycloak/connector';
import { OktaProvider } from '../providers/okta/connector';
import { loadConfig } from '../config/config';
import { reportOk, type ProviderReport } from '../domain/ports';

async function main(): Promise<void> {
  const config = loadConfig();
  const tenantsOf = (provider: string) =>
    config.detectionSources.filter((s) => s.provider === provider).map((s) => s.tenant);
  const reports: ProviderReport[] = [];
  if (config.keycloak) {
    const realms = new Set([
      ...process.argv.slice(2).filter((a) => !a.startsWith('--')),
      ...tenantsOf('keycloak'),
    ]);
    if (!realms.size) {
      console.error('doctor: name the realm(s) to check: npm run doctor -- <realm>');
      process.exit(2);
    }
    const keycloak = new KeycloakProvider(config.keycloak);
    for (const realm of realms) reports.push(await keycloak.checkPermissions(realm));
  }
  // Okta and Entra ID: one org or tenant per configuration.
  if (config.okta)
    reports.push(
      await new OktaProvider(config.okta).checkPermissions(tenantsOf('okta')[0] ?? config.okta.orgUrl),
    );
  if (config.entra)
    reports.push(
      await new EntraProvider(config.entra).checkPermissions(tenantsOf('entra')[0] ?? config.entra.tenantId),
    );
  if (!reports.length) {
    console.error(
      'doctor: no identity provider to check (set KEYCLOAK_URL and KEYCLOAK_CLIENT_SECRET, OKTA_*, ENTRA_*, or IR_CONFIG)',
    );
    process.exit(2);
  }
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
