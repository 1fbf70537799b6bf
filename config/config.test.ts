import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { ConfigError, loadConfig } from './config';

const base = { AUTH_MODE: 'dev' };

describe('LAB_IDP', () => {
  it('is off unless set to on: nothing falls back to the lab', () => {
    expect(loadConfig({ ...base }).lab).toBeUndefined();
    expect(loadConfig({ ...base, LAB_IDP: 'off' }).lab).toBeUndefined();
    expect(
      loadConfig({ ...base, KEYCLOAK_URL: 'http://kc', KEYCLOAK_CLIENT_SECRET: 's' }).lab,
    ).toBeUndefined();
  });

  it('hosts the lab realm with its own detector when on', () => {
    const config = loadConfig({ ...base, LAB_IDP: 'on', LAB_IDP_PORT: '18091' });
    expect(config.lab).toEqual({ realm: 'lab', port: 18091 });
    expect(config.detectionSources).toEqual([
      { provider: 'lab', tenant: 'lab', pull: { intervalMs: 1000, lookbackMs: 3_600_000 } },
    ]);
  });

  it('keeps a lab source DETECTION_SOURCES names, with its interval', () => {
    const config = loadConfig({ ...base, LAB_IDP: 'on', DETECTION_SOURCES: 'lab:lab:250' });
    expect(config.detectionSources).toEqual([{ provider: 'lab', tenant: 'lab', pull: { intervalMs: 250 } }]);
  });

  it.each([
    [{ LAB_IDP: 'yes' }, /LAB_IDP must be 'on' or 'off', not 'yes'/],
    [{ LAB_IDP: 'on', LAB_IDP_PORT: 'http' }, /LAB_IDP_PORT 'http' is not a port/],
  ])('refuses %j', (env, message) => {
    expect(() => loadConfig({ ...base, ...env })).toThrow(ConfigError);
    expect(() => loadConfig({ ...base, ...env })).toThrow(message);
  });
});

describe('API authentication', () => {
  const oidc = { AUTH_ISSUER: 'https://idp.example/realms/corp', AUTH_AUDIENCE: 'ir-api' };

  it('refuses dev mode beside an issuer, and dev mode on a non-loopback host', () => {
    expect(() => loadConfig({ AUTH_MODE: 'dev', ...oidc })).toThrow(/AUTH_MODE=dev contradicts AUTH_ISSUER/);
    expect(() => loadConfig({ AUTH_MODE: 'dev', API_HOST: '0.0.0.0' })).toThrow(/loopback API_HOST/);
    expect(() => loadConfig({ AUTH_MODE: 'dev', API_HOST: '10.1.2.3' })).toThrow(ConfigError);
    expect(loadConfig({ AUTH_MODE: 'dev', API_HOST: '::1' }).auth).toEqual({ mode: 'dev' });
  });

  it('needs an audience with an issuer', () => {
    expect(() => loadConfig({ AUTH_ISSUER: oidc.AUTH_ISSUER })).toThrow(/AUTH_AUDIENCE is not/);
    expect(() => loadConfig({ AUTH_MODE: 'oidc' })).toThrow(/needs AUTH_ISSUER/);
  });

  it('names each engine role exactly once, from one claim', () => {
    const auth = loadConfig({ ...oidc, AUTH_ROLE_NAMES: 'admin=ir-superuser' }).auth;
    expect(auth).toMatchObject({
      mode: 'oidc',
      audience: ['ir-api'],
      authorizedParties: ['ir-api'],
      rolesClaim: 'realm_access.roles',
      roleNames: { admin: 'ir-superuser', viewer: 'ir-viewer' },
    });
    expect(() => loadConfig({ ...oidc, AUTH_ROLE_NAMES: 'root=x' })).toThrow(/AUTH_ROLE_NAMES entry/);
    expect(() => loadConfig({ ...oidc, AUTH_ROLE_NAMES: 'admin=ir-viewer' })).toThrow(/same name/);
  });
});

describe('Entra ID credentials', () => {
  const entra = { ...base, ENTRA_TENANT_ID: 'contoso', ENTRA_CLIENT_ID: 'app' };
  it('takes exactly one of a secret, a certificate file and the managed identity', () => {
    expect(loadConfig({ ...entra, ENTRA_CLIENT_SECRET: 's' }).entra).toMatchObject({ clientSecret: 's' });
    const cert = loadConfig({ ...entra, ENTRA_CLIENT_CERTIFICATE_FILE: 'app.pem' }).entra;
    expect(cert?.clientCertificateFile).toMatch(/\/app\.pem$/);
    expect(cert?.clientSecret).toBeUndefined();
    expect(loadConfig({ ...entra, ENTRA_MANAGED_IDENTITY: 'on' }).entra).toMatchObject({
      managedIdentity: true,
    });
    expect(() => loadConfig(entra)).toThrow(/exactly one credential/);
    expect(() =>
      loadConfig({ ...entra, ENTRA_CLIENT_SECRET: 's', ENTRA_CLIENT_CERTIFICATE_FILE: 'app.pem' }),
    ).toThrow(/exactly one credential/);
    expect(() => loadConfig({ ...entra, ENTRA_MANAGED_IDENTITY: 'yes' })).toThrow(ConfigError);
  });
});

describe('Okta credentials', () => {
  const okta = { ...base, OKTA_ORG_URL: 'https://acme.okta.com' };
  it('takes an API token or a service app with its key file, exactly one', () => {
    const keyFile = path.join(os.tmpdir(), `okta-key-${process.pid}.pem`);
    fs.writeFileSync(keyFile, '-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----\n');
    expect(loadConfig({ ...okta, OKTA_API_TOKEN: 't' }).okta).toMatchObject({ apiToken: 't' });
    const app = loadConfig({ ...okta, OKTA_CLIENT_ID: '0oa1', OKTA_PRIVATE_KEY_FILE: keyFile }).okta;
    expect(app?.apiToken).toBeUndefined();
    expect(app?.oauth).toMatchObject({
      clientId: '0oa1',
      scopes: expect.arrayContaining(['okta.users.manage']),
    });
    expect(
      loadConfig({
        ...okta,
        OKTA_CLIENT_ID: '0oa1',
        OKTA_PRIVATE_KEY_FILE: keyFile,
        OKTA_SCOPES: 'okta.logs.read okta.users.read',
      }).okta?.oauth?.scopes,
    ).toEqual(['okta.logs.read', 'okta.users.read']);
    expect(() => loadConfig(okta)).toThrow(/exactly one credential/);
    expect(() =>
      loadConfig({ ...okta, OKTA_API_TOKEN: 't', OKTA_CLIENT_ID: '0oa1', OKTA_PRIVATE_KEY_FILE: keyFile }),
    ).toThrow(/exactly one credential/);
    expect(() => loadConfig({ ...okta, OKTA_CLIENT_ID: '0oa1' })).toThrow(/go together/);
    expect(() =>
      loadConfig({ ...okta, OKTA_CLIENT_ID: '0oa1', OKTA_PRIVATE_KEY_FILE: '/nonexistent/key.pem' }),
    ).toThrow(/cannot read/);
  });
});

describe('DETECTION_RULES', () => {
  it('merges per-rule settings over the defaults, one nested object at a time', () => {
    const config = loadConfig({
      ...base,
      DETECTION_RULES: JSON.stringify({
        lockoutBurst: { distinctUsers: 8 },
        vendorRisk: { minEventLevel: 'medium' },
      }),
    });
    expect(config.detectionRules).toEqual({
      lockoutBurst: { distinctUsers: 8, perUser: 3, windowMs: 30 * 60_000 },
      vendorRisk: { minLevel: 'medium', minEventLevel: 'medium' },
    });
  });

  it.each([
    ['not JSON', '{', /not JSON/],
    ['an unknown rule', '{"lockoutBursts":{}}', /unknown setting 'lockoutBursts'/],
    ['an unknown nested setting', '{"lockoutBurst":{"users":3}}', /unknown setting 'lockoutBurst.users'/],
    [
      'a negative threshold',
      '{"failedLoginBurst":{"threshold":-1}}',
      /failedLoginBurst.threshold must be a positive number/,
    ],
    [
      'a risk level that does not exist',
      '{"vendorRisk":{"minLevel":"severe"}}',
      /vendorRisk.minLevel must be one of/,
    ],
    [
      'a pattern that does not compile',
      '{"privilegedPattern":"admin("}',
      /privilegedPattern is not a regular expression/,
    ],
    [
      'an unknown anonymizer',
      '{"anonymizer":{"kinds":["tor","satellite"]}}',
      /anonymizer.kinds must be a list of/,
    ],
    ['the patch switch', '{"coverage":false}', /unknown setting 'coverage'/],
    ['the housekeeping patch switch', '{"pacedHousekeeping":false}', /unknown setting 'pacedHousekeeping'/],
  ])('refuses %s with a clear message', (_name, value, message) => {
    expect(() => loadConfig({ ...base, DETECTION_RULES: value })).toThrow(message);
  });
});

describe('DETECTION_SHARDS', () => {
  it('sets how many detectors a pushed tenant is split over', () => {
    expect(loadConfig({ ...base, DETECTION_SHARDS: '16' }).detectionShards).toBe(16);
    expect(loadConfig(base).detectionShards).toBeUndefined();
  });

  it.each(['0', '1.5', 'all', '65'])('refuses %s', (value) => {
    expect(() => loadConfig({ ...base, DETECTION_SHARDS: value })).toThrow(
      /DETECTION_SHARDS must be a whole number from 1 to 64/,
    );
  });
});

describe('INVESTIGATIONS_PER_WORKER', () => {
  it('sets how many investigations a worker runs at once', () => {
    expect(loadConfig({ ...base, INVESTIGATIONS_PER_WORKER: '2' }).investigationConcurrency).toBe(2);
    expect(loadConfig(base).investigationConcurrency).toBeUndefined();
  });

  it.each(['0', '-1', '1.5', 'many', '257'])('refuses %s', (value) => {
    expect(() => loadConfig({ ...base, INVESTIGATIONS_PER_WORKER: value })).toThrow(
      /INVESTIGATIONS_PER_WORKER must be a whole number from 1 to 256/,
    );
  });
});

describe('EVIDENCE_STORE=s3', () => {
  const s3 = { ...base, EVIDENCE_STORE: 's3', S3_BUCKET: 'evidence' };

  it('uses AWS S3 and the default credential chain when no endpoint or keys are given', () => {
    const settings = loadConfig(s3).evidenceS3!;
    expect(settings).toMatchObject({ bucket: 'evidence', region: 'us-east-1', lockMode: 'COMPLIANCE' });
    expect(settings.endpoint).toBeUndefined();
    expect(settings.accessKeyId).toBeUndefined();
  });

  it('takes an S3-compatible endpoint and static keys', () => {
    const settings = loadConfig({
      ...s3,
      S3_ENDPOINT: 'http://127.0.0.1:9000',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'secret',
    }).evidenceS3!;
    expect(settings).toMatchObject({
      endpoint: 'http://127.0.0.1:9000',
      accessKeyId: 'id',
      secretAccessKey: 'secret',
    });
  });

  it.each([
    [{ S3_ACCESS_KEY_ID: 'id' }, 'set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither'],
    [{ S3_SECRET_ACCESS_KEY: 'secret' }, 'set both S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY, or neither'],
    [{ S3_ENDPOINT: 'minio:9000' }, "S3_ENDPOINT 'minio:9000' is not an http(s) origin"],
    [{ S3_BUCKET: '' }, 'EVIDENCE_STORE=s3 needs S3_BUCKET'],
  ])('refuses %j', (extra, message) => {
    expect(() => loadConfig({ ...s3, ...extra })).toThrow(message);
  });
});

describe('APPROVER_ROUTES', () => {
  const routes = (value: unknown) =>
    loadConfig({ ...base, APPROVER_ROUTES: typeof value === 'string' ? value : JSON.stringify(value) })
      .approverRoutes;

  it('reads routes in order, with only the fields given', () => {
    expect(
      routes([
        { actions: ['rotateSigningKeys'], approvers: ['ir-leads', 'security-directors'] },
        { playbooks: ['mfa-fatigue'], severities: ['critical'], approvers: ['/soc/tier2'] },
      ]),
    ).toEqual([
      { actions: ['rotateSigningKeys'], approvers: ['ir-leads', 'security-directors'] },
      { playbooks: ['mfa-fatigue'], severities: ['critical'], approvers: ['/soc/tier2'] },
    ]);
    expect(loadConfig({ ...base }).approverRoutes).toBeUndefined();
  });

  it('refuses what would silently route nothing or anyone', () => {
    expect(() => routes('[{')).toThrow(/APPROVER_ROUTES is not JSON/);
    expect(() => routes({ approvers: ['x'] })).toThrow(/must be a JSON array/);
    expect(() => routes([{ actions: ['disableAcount'], approvers: ['x'] }])).toThrow(
      /APPROVER_ROUTES\[0\]\.actions: unknown 'disableAcount'/,
    );
    expect(() => routes([{ playbooks: ['nope'], approvers: ['x'] }])).toThrow(/playbooks: unknown 'nope'/);
    expect(() => routes([{ severities: ['urgent'], approvers: ['x'] }])).toThrow(/severities: unknown/);
    expect(() => routes([{ actions: ['disableAccount'] }])).toThrow(/approvers must be a non-empty array/);
    expect(() => routes([{ approvers: [] }])).toThrow(/approvers must be a non-empty array/);
    expect(() => routes([{ approvers: ['ok'], approver: ['typo'] }])).toThrow(/unknown field 'approver'/);
    expect(() => routes([{ approvers: ['bad"name'] }])).toThrow(/is not a group name/);
    expect(() => routes([{ actions: [], approvers: ['x'] }])).toThrow(/actions must be a non-empty array/);
  });
});

describe('Slack interactivity', () => {
  const SECRET = 'slack-signing-secret-0123456789';
  const slack = (users: unknown) =>
    loadConfig({ ...base, SLACK_SIGNING_SECRET: SECRET, SLACK_USERS: JSON.stringify(users) }).slack;

  it('maps Slack people to identities, exactly', () => {
    expect(
      slack({
        'T0001:U0LEAD': { actor: 'lead', actorId: 'https://idp/realms/corp#sub-1', groups: ['ir-leads'] },
      }),
    ).toEqual({
      signingSecret: SECRET,
      responseUrlPrefix: 'https://hooks.slack.com/',
      users: {
        'T0001:U0LEAD': { actor: 'lead', actorId: 'https://idp/realms/corp#sub-1', groups: ['ir-leads'] },
      },
    });
    expect(loadConfig({ ...base }).slack).toBeUndefined();
  });

  it('refuses a mapping that would not identify a person', () => {
    expect(() => loadConfig({ ...base, SLACK_USERS: '{}' })).toThrow(/SLACK_SIGNING_SECRET is not/);
    expect(() => loadConfig({ ...base, SLACK_SIGNING_SECRET: 'short' })).toThrow(/too short/);
    expect(() => slack({ U0LEAD: { actor: 'a', actorId: 'i#s' } })).toThrow(/<team id>:<user id>/);
    expect(() => slack({ 'T0001:U0LEAD': { actor: 'a', actorId: 'no-subject' } })).toThrow(
      /issuer>#<subject/,
    );
    expect(() => slack({ 'T0001:U0LEAD': { actor: 'a b', actorId: 'i#s' } })).toThrow(
      /actor must be a username/,
    );
    expect(() => slack({ 'T0001:U0LEAD': { actor: 'a', actorId: 'i#s', groups: 'x' } })).toThrow(/groups/);
    expect(() => loadConfig({ ...base, SLACK_SIGNING_SECRET: SECRET, SLACK_USERS: '[' })).toThrow(/not JSON/);
  });
});

describe('global token revocation', () => {
  const apps = JSON.stringify([{ name: 'ledger', endpoint: 'https://ledger.example/gtr' }]);
  it('reads GTR_APPS with PUBLIC_API_URL as the issuer, and GTR_EMAIL_REALM', () => {
    const c = loadConfig({
      ...base,
      GTR_APPS: apps,
      PUBLIC_API_URL: 'https://ir.example/',
      GTR_EMAIL_REALM: 'keycloak/corp',
    });
    expect(c.gtrApps).toEqual([
      { name: 'ledger', endpoint: 'https://ledger.example/gtr', subject: 'iss_sub' },
    ]);
    expect(c.publicApiUrl).toBe('https://ir.example');
    expect(c.gtrEmailRealm).toEqual({ provider: 'keycloak', realm: 'corp' });
  });
  it('refuses what it could not use, naming the variable', () => {
    expect(() => loadConfig({ ...base, GTR_APPS: apps })).toThrow(
      /ConfigError: GTR_APPS needs PUBLIC_API_URL/,
    );
    expect(() => loadConfig({ ...base, GTR_EMAIL_REALM: 'ldap/corp' })).toThrow(
      /GTR_EMAIL_REALM must be provider\/realm/,
    );
    expect(() => loadConfig({ ...base, GTR_EMAIL_REALM: 'keycloak/a/b' })).toThrow(/GTR_EMAIL_REALM/);
  });
});
