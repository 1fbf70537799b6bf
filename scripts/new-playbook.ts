/**
 * `npm run new-playbook -- <name> [--dir <folder>]`: scaffolds a playbook package (default
 * `playbooks/<name>/`) from the example package (examples/playbooks/keep-working): its descriptor,
 * a workflow written with the kit's public API, a scenario and a test that rehearses the scenario
 * on the real engine and replays its history. Register it with PLAYBOOK_PACKAGES=./playbooks/<name>.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { isPlaybook, PLAYBOOK_NAME } from '../domain/playbooks';

const ROOT = path.resolve(__dirname, '..').replace(/[\\/]dist$/, '');
const TEMPLATE = path.join(ROOT, 'examples', 'playbooks', 'keep-working');

const camel = (kebab: string) => kebab.replace(/-([a-z0-9])/g, (_m, c: string) => c.toUpperCase());

function files(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const f = path.join(dir, n);
    return statSync(f).isDirectory() ? files(f, base) : [path.relative(base, f)];
  });
}

/** Writes the package; returns the files written (relative to the repository). */
export function scaffoldPlaybook(name: string, dir = path.join(ROOT, 'playbooks', name)): string[] {
  if (!PLAYBOOK_NAME.test(name) || name.length > 64)
    throw new Error(`'${name}' is not a kebab-case playbook name (e.g. vip-takeover)`);
  if (name === 'keep-working' || isPlaybook(name)) throw new Error(`a playbook '${name}' exists already`);
  if (existsSync(dir)) throw new Error(`${dir} exists already`);
  const toRoot = path.relative(dir, ROOT).split(path.sep).join('/') || '.';
  const written: string[] = [];
  for (const rel of files(TEMPLATE)) {
    const text = readFileSync(path.join(TEMPLATE, rel), 'utf8')
      .replaceAll("'../../../", `'${toRoot}/`)
      .replaceAll('@example/ir-playbook-keep-working', `ir-playbook-${name}`)
      .replaceAll('keep-working', name)
      .replaceAll('keepWorking', camel(name))
      .replaceAll('examples/playbooks/', 'playbooks/');
    const target = path.join(dir, rel.replaceAll('keep-working', name));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, text);
    written.push(path.relative(ROOT, target));
  }
  return written;
}

if (require.main === module) {
  const args = process.argv.slice(2);
  const name = args.find((a) => !a.startsWith('--'));
  const dirAt = args.indexOf('--dir');
  if (!name) {
    console.error('usage: npm run new-playbook -- <kebab-case-name> [--dir <folder>]');
    process.exit(2);
  }
  try {
    const dir = dirAt >= 0 ? path.resolve(args[dirAt + 1], name) : undefined;
    const written = scaffoldPlaybook(name, dir);
    const where = path.dirname(written.find((f) => f.endsWith('index.ts'))!);
    console.log(
      [
        `new-playbook: wrote ${written.length} files:`,
        ...written.map((f) => `  ${f}`),
        '',
        `Edit ${where}/workflows.ts (the playbook) and ${where}/index.ts (name, routes, policy defaults).`,
        `Test it:      npx jest --runInBand --selectProjects integration -- ${where}`,
        `Run it:       PLAYBOOK_PACKAGES=./dist/${where} npm start   (npm start compiles it to dist/)`,
      ].join('\n'),
    );
  } catch (err) {
    console.error(`new-playbook: ${(err as Error).message}`);
    process.exit(1);
  }
}
