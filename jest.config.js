// Two projects: `unit` needs nothing running; `integration` needs the real Temporal dev server and
// Keycloak, which test/global-setup.ts starts once per run (or reuses when already up).
const swc = [
  '@swc/jest',
  {
    jsc: {
      parser: { syntax: 'typescript', decorators: true },
      transform: { legacyDecorator: true, decoratorMetadata: true },
      target: 'es2022',
    },
    module: { type: 'commonjs' },
  },
];
// openid-client, jose, oauth4webapi and the Keycloak admin client ship ES modules only.
const esmPackages = [
  'openid-client',
  'oauth4webapi',
  'jose',
  '@keycloak/keycloak-admin-client',
  'url-template',
  'camelize-ts',
];
const common = {
  testEnvironment: 'node',
  transform: { '^.+\\.(t|j|mj)s$': swc },
  transformIgnorePatterns: [`/node_modules/(?!(${esmPackages.join('|')})/)`],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'json'],
};
module.exports = {
  testTimeout: 180000,
  projects: [
    {
      ...common,
      displayName: 'unit',
      testMatch: ['<rootDir>/**/*.test.ts'],
      // Playbook packages' tests rehearse on the real engine: integration.
      testPathIgnorePatterns: ['/node_modules/', '/test/', '/examples/', '<rootDir>/playbooks/'],
    },
    {
      ...common,
      displayName: 'integration',
      testMatch: [
        '<rootDir>/test/**/*.test.ts',
        '<rootDir>/examples/playbooks/**/*.test.ts',
        '<rootDir>/playbooks/**/*.test.ts',
      ],
      globalSetup: '<rootDir>/test/global-setup.ts',
      globalTeardown: '<rootDir>/test/global-teardown.ts',
    },
  ],
};
