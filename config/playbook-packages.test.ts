import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isPlaybook, workflowTypeOf } from '../domain/playbooks';
import { loadPlaybookPackages, packageRoutes } from './playbook-packages';

/** A package folder with a JS descriptor (as a compiled package ships). */
function pkg(descriptor: (dir: string) => unknown): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ir-pkg-'));
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'workflows.js'), 'exports.x = 1;\n');
  writeFileSync(
    path.join(dir, 'index.js'),
    `module.exports = { default: ${JSON.stringify(descriptor(dir))} };\n`,
  );
  return dir;
}
const valid = (dir: string, name = 'lab-pkg-ok', type = 'labPkgOk') => ({
  name: '@t/ok',
  workflowsPath: path.join(dir, 'workflows.js'),
  playbooks: [{ name, workflowType: type, description: 'test playbook' }],
  routes: { 'impossible-travel': name },
});

describe('PLAYBOOK_PACKAGES', () => {
  it('loads, registers and routes a package; loading it again changes nothing', () => {
    const dir = pkg((d) => valid(d));
    const [loaded] = loadPlaybookPackages(dir);
    expect(isPlaybook('lab-pkg-ok')).toBe(true);
    expect(workflowTypeOf('lab-pkg-ok')).toBe('labPkgOk');
    expect(packageRoutes([loaded])).toEqual({ 'impossible-travel': 'lab-pkg-ok' });
    expect(loadPlaybookPackages(`${dir}, ${dir}`)).toHaveLength(2);
  });

  it.each([
    ['a missing module', () => '/nonexistent/ir-package', "cannot find '/nonexistent/ir-package'"],
    ['a descriptor without playbooks', () => pkg((d) => ({ ...valid(d), playbooks: [] })), 'playbooks'],
    [
      'a relative workflowsPath',
      () => pkg((d) => ({ ...valid(d), workflowsPath: './workflows.js' })),
      'absolute path',
    ],
    ['an unknown field', () => pkg((d) => ({ ...valid(d), extra: 1 })), 'extra'],
    ['a name that is not kebab-case', () => pkg((d) => valid(d, 'Bad Name', 'badName')), 'kebab-case'],
    [
      'a built-in playbook name',
      () => pkg((d) => ({ ...valid(d, 'compromised-credential', 'other'), routes: {} })),
      "playbook 'compromised-credential' (package @t/ok) is already defined",
    ],
    [
      'a built-in workflow type',
      () => pkg((d) => ({ ...valid(d, 'takeover-two', 'compromisedCredential'), routes: {} })),
      "workflow type 'compromisedCredential' (package @t/ok) is already taken",
    ],
    [
      'a route for a rule that does not exist',
      () => pkg((d) => ({ ...valid(d, 'lab-pkg-r1', 'labPkgR1'), routes: { 'no-such-rule': 'lab-pkg-r1' } })),
      "routes unknown rule 'no-such-rule'",
    ],
    [
      "a route to a playbook that is not the package's",
      () =>
        pkg((d) => ({
          ...valid(d, 'lab-pkg-r2', 'labPkgR2'),
          routes: { 'impossible-travel': 'session-hijack' },
        })),
      "to 'session-hijack', which is not one of its playbooks",
    ],
  ])('refuses %s, saying what is wrong', (_what, make, message) => {
    expect(() => loadPlaybookPackages(make())).toThrow(message);
  });

  it('refuses two packages routing the same rule', () => {
    const a = loadPlaybookPackages(pkg((d) => ({ ...valid(d, 'lab-pkg-a', 'labPkgA'), name: '@t/a' })));
    const b = loadPlaybookPackages(pkg((d) => ({ ...valid(d, 'lab-pkg-b', 'labPkgB'), name: '@t/b' })));
    expect(() => packageRoutes([...a, ...b])).toThrow("two packages route 'impossible-travel'");
  });
});
