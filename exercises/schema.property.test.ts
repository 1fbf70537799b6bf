/**
 * Scenario files are input from people: any YAML either parses into a valid scenario or is refused
 * with a ScenarioError that names each problem — never another exception, never a silent default
 * for a required field.
 */
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { scenarioFiles } from './load';
import { parseScenario, ScenarioError } from './schema';

const shipped = scenarioFiles().map((f) => ({ file: f, text: readFileSync(f, 'utf8') }));

it('ships at least five scenarios, all valid', () => {
  expect(shipped.length).toBeGreaterThanOrEqual(5);
  for (const s of shipped) expect(() => parseScenario(s.text, s.file)).not.toThrow();
});

it('refuses arbitrary text and values with a ScenarioError, nothing else', () => {
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string(),
        fc.jsonValue().map((v) => stringify(v)),
      ),
      (text) => {
        try {
          parseScenario(text);
        } catch (err) {
          expect(err).toBeInstanceOf(ScenarioError);
          expect((err as ScenarioError).problems.length).toBeGreaterThan(0);
        }
      },
    ),
    { numRuns: 300 },
  );
});

it('names the field of every broken scenario', () => {
  const base = parseScenario(shipped[0].text);
  const doc = JSON.parse(JSON.stringify(base)) as Record<string, unknown>;
  const paths: [string, (d: Record<string, unknown>) => void][] = [
    ['expect', (d) => delete d.expect],
    ['accounts', (d) => (d.accounts = [])],
    ['steps.0.as', (d) => ((d.steps as { as: string }[])[0].as = 'nobody')],
    ['steps.0.at', (d) => ((d.steps as { at: unknown }[])[0].at = 'soon')],
    ['expect.playbook', (d) => ((d.expect as { playbook: string }).playbook = 'made-up')],
    ['name', (d) => (d.name = 'Has Spaces')],
  ];
  fc.assert(
    fc.property(fc.constantFrom(...paths), ([field, breakIt]) => {
      const broken = JSON.parse(JSON.stringify(doc)) as Record<string, unknown>;
      breakIt(broken);
      let error: ScenarioError | undefined;
      try {
        parseScenario(stringify(broken));
      } catch (err) {
        error = err as ScenarioError;
      }
      expect(error).toBeInstanceOf(ScenarioError);
      expect(error!.problems.some((p) => p.startsWith(field))).toBe(true);
    }),
  );
});
