/**
 * Detection regressions from real incidents: each fixture in detection/regressions/ holds the
 * (pseudonymised) events that triggered an incident, as `ir drill-from` writes them; the rules it
 * names must fire again over them with the default configuration.
 */
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DetectionFixture } from '../exercises/drill';
import { Detector } from './rules';

const DIR = path.join(__dirname, 'regressions');
const fixtures = readdirSync(DIR)
  .filter((f) => f.endsWith('.events.json'))
  .map((f) => [f, JSON.parse(readFileSync(path.join(DIR, f), 'utf8')) as DetectionFixture] as const);

it('has fixtures to check', () => {
  expect(fixtures.length).toBeGreaterThan(0);
});

describe.each(fixtures)('%s', (_file, fixture) => {
  it('raises the same rules again', () => {
    const detector = new Detector();
    const fired = new Set<string>();
    for (const e of fixture.events)
      for (const a of detector.process(e, Date.parse(e.time))) fired.add(a.rule);
    for (const rule of fixture.expectRules) expect([...fired]).toContain(rule);
  });
});
