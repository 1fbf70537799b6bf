/**
 * The checked-in coverage document is what the catalogs and rule table generate, every rule has
 * its row, and every vendor a catalog: none of the three can change without the others.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { VENDOR_CATALOGS } from './catalogs';
import { coverageMarkdown } from './coverage-doc';
import { EVENT_PROVIDERS } from './events';
import { RULE_DOCS } from './rule-docs';
import { ROUTES } from './routing';

describe('docs/detection-coverage.md', () => {
  it('is up to date (run `npm run docs:coverage` after changing a catalog or rule)', () => {
    const file = readFileSync(path.resolve(__dirname, '..', 'docs', 'detection-coverage.md'), 'utf8');
    expect(file).toBe(coverageMarkdown());
  });

  it('documents every rule once', () => {
    expect(RULE_DOCS.map((r) => r.rule).sort()).toEqual(Object.keys(ROUTES).sort());
  });

  it('has a catalog for every vendor the engine ingests (the lab records Keycloak shapes)', () => {
    expect(VENDOR_CATALOGS.map((v) => v.provider).sort()).toEqual(
      EVENT_PROVIDERS.filter((p) => p !== 'lab').sort(),
    );
  });
});
