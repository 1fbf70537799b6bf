/** Finds and reads scenario files: a path, or a name under exercises/scenarios. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { parseScenario, ScenarioError, type Scenario } from './schema';

export const SCENARIO_DIR = path.join(__dirname, 'scenarios');

export function scenarioFiles(): string[] {
  return readdirSync(SCENARIO_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => path.join(SCENARIO_DIR, f));
}

export function loadScenario(nameOrPath: string): Scenario {
  const file = existsSync(nameOrPath)
    ? nameOrPath
    : path.join(SCENARIO_DIR, `${nameOrPath.replace(/\.ya?ml$/, '')}.yaml`);
  if (!existsSync(file)) {
    const known = scenarioFiles().map((f) => path.basename(f, '.yaml'));
    throw new ScenarioError(nameOrPath, [`no such scenario file (known: ${known.join(', ')})`]);
  }
  return parseScenario(readFileSync(file, 'utf8'), path.relative(process.cwd(), file));
}
