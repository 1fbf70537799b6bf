/**
 * The fake Okta org answers only what Okta documents: every Management API path and method the
 * engine's connector reaches through the SDK exists in Okta's own OpenAPI document (the subset in
 * test/fixtures/vendor-specs, Apache-2.0, see its LICENSE file), or is named here as documented
 * elsewhere in Okta's API reference.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parse } from 'yaml';
import { OktaProvider } from '../providers/okta/connector';
import { FakeOktaOrg } from './support/fake-okta-org';

const spec = parse(
  fs.readFileSync(path.join(__dirname, 'fixtures/vendor-specs/okta-management-subset.yaml'), 'utf8'),
) as { paths: Record<string, Record<string, unknown>> };

/**
 * Documented by Okta outside the subset: partial user update (password), unlock, the Sessions API,
 * assigning an admin role; an app, its client secrets and keys (Application SSO Credential OAuth 2.0
 * Client Auth) and the refresh tokens issued through it (Application Tokens).
 */
const ELSEWHERE = [
  'POST /api/v1/users/{id}',
  'POST /api/v1/users/{id}/lifecycle/unlock',
  'GET /api/v1/sessions/{id}',
  'POST /api/v1/users/{id}/roles',
  'DELETE /api/v1/sessions/{id}',
  'GET /api/v1/apps/{id}',
  'GET /api/v1/apps/{id}/credentials/secrets',
  'POST /api/v1/apps/{id}/credentials/secrets',
  'POST /api/v1/apps/{id}/credentials/secrets/{id}/lifecycle/deactivate',
  'DELETE /api/v1/apps/{id}/credentials/secrets/{id}',
  'GET /api/v1/apps/{id}/credentials/jwks',
  'GET /api/v1/apps/{id}/tokens',
  'DELETE /api/v1/apps/{id}/tokens',
];

function templateOf(p: string): string {
  return p
    .replace(/^\/api\/v1\/users\/[^/]+/, '/api/v1/users/{id}')
    .replace(/\/factors\/[^/]+$/, '/factors/{id}')
    .replace(/\/clients\/[^/]+\/tokens$/, '/clients/{id}/tokens')
    .replace(/\/roles\/[^/]+$/, '/roles/{id}')
    .replace(/^\/api\/v1\/sessions\/[^/]+$/, '/api/v1/sessions/{id}')
    .replace(/^\/api\/v1\/apps\/[^/]+/, '/api/v1/apps/{id}')
    .replace(/^\/api\/v1\/api-tokens\/[^/]+$/, '/api/v1/api-tokens/{id}')
    .replace(/\/secrets\/[^/]+/, '/secrets/{id}');
}

const documented = new Set(
  Object.entries(spec.paths).flatMap(([p, item]) =>
    Object.keys(item)
      .filter((m) => ['get', 'post', 'put', 'delete', 'patch'].includes(m))
      .map((m) => `${m.toUpperCase()} ${p.replace(/\{[^}]+\}/g, '{id}')}`),
  ),
);

it('every Management API call of a containment goes to a documented Okta path', async () => {
  const token = `00${randomUUID().replace(/-/g, '')}`;
  const org = await FakeOktaOrg.start(token);
  try {
    org.addClient('app');
    const user = org.addUser('pat@acme.example', 'Pw-1', {
      factors: ['token:software:totp'],
      roles: ['SUPER_ADMIN'],
    });
    org.addApiToken(user.id, 'persistence');
    const okta = new OktaProvider({ orgUrl: org.url, apiToken: token, introspectionClientId: 'app' });
    const p = { provider: 'okta' as const, realm: 'acme', username: user.profile.login };
    const since = new Date(Date.now() - 1000).toISOString();
    await okta.ports['audit-source']!.snapshot(p, 60_000);
    await okta.ports['account-containment']!.requireReauthentication(p, { since });
    await okta.ports['sessions-and-tokens']!.revokeSessions(p);
    await okta.ports['sessions-and-tokens']!.revokeOfflineAccess(p);
    await okta.ports['account-containment']!.disableAccount(p);
    await okta.ports['account-containment']!.verifyContainment(p, {
      containedAt: new Date().toISOString(),
      accountDisabled: true,
      cutFrom: since,
      suspectTokens: [],
    });
    await okta.ports['audit-source']!.investigate(p, { since, until: new Date().toISOString() });
    const grant = { role: 'Super Administrator', container: 'realm' };
    await okta.ports['roles-and-grants']!.revokeRole(p, grant);
    await okta.ports['roles-and-grants']!.grantRole(p, grant);
    await okta.ports['account-containment']!.inspect(p, grant);
    await okta.checkPermissions('acme');
    const app = org.addServiceApp('billing');
    const clients = okta.ports['client-credentials']!;
    const finding = { kind: 'client-used' as const, clientId: app.clientId, confidential: true, uses: 1 };
    await clients.describeClient(p, app.clientId);
    await clients.rotateSecret(p, finding, { since });
    await clients.revokeClientTokens(p, app.clientId, { since });
    const reached = org.requests
      .filter((r) => r.path.startsWith('/api/v1/'))
      .map((r) => `${r.method} ${templateOf(r.path)}`);
    expect(reached.length).toBeGreaterThan(10);
    const undocumented = [...new Set(reached)].filter((c) => !documented.has(c) && !ELSEWHERE.includes(c));
    expect(undocumented).toEqual([]);
  } finally {
    await org.stop();
  }
});
