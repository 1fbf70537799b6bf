import { bundleWorkflowCode } from '@temporalio/worker';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import * as path from 'node:path';
import { loadPlaybookPackages } from '../config/playbook-packages';
import { isPlaybook, workflowTypeOf } from '../domain/playbooks';
import { workflowSources } from '../worker/worker';
import { scaffoldPlaybook } from './new-playbook';

const ROOT = path.resolve(__dirname, '..');

describe('npm run new-playbook', () => {
  const dir = path.join(ROOT, '.runtime', `scaffold-${process.pid}`, 'vip-takeover');
  afterAll(() => rmSync(path.dirname(dir), { recursive: true, force: true }));

  it('writes a package that loads, registers and bundles with only the kit', async () => {
    const written = scaffoldPlaybook('vip-takeover', dir);
    expect(written.map((f) => path.relative(path.relative(ROOT, dir), f)).sort()).toEqual([
      'index.ts',
      'package.json',
      'scenarios/takeover.yaml',
      'vip-takeover.test.ts',
      'workflows.ts',
    ]);
    const workflow = readFileSync(path.join(dir, 'workflows.ts'), 'utf8');
    expect(workflow).toContain('export async function vipTakeover(');
    // Its imports: the kit's public modules and nothing else of the engine.
    const engineImports = [...workflow.matchAll(/from '(\.[^']+)'/g)].map((m) => m[1]);
    expect(engineImports).toEqual(['../../../kit/workflow']);
    expect(readFileSync(path.join(dir, 'scenarios', 'takeover.yaml'), 'utf8')).toContain(
      'playbook: vip-takeover',
    );

    const [pkg] = loadPlaybookPackages(dir);
    expect(pkg.name).toBe('ir-playbook-vip-takeover');
    expect(pkg.routes).toEqual({ 'credential-compromise-after-burst': 'vip-takeover' });
    expect(isPlaybook('vip-takeover')).toBe(true);
    expect(workflowTypeOf('vip-takeover')).toBe('vipTakeover');
    // The worker's bundle (engine + package) builds in the workflow sandbox.
    const sources = workflowSources([pkg]);
    const bundle = await bundleWorkflowCode({
      workflowsPath: sources.workflowsPath!,
      webpackConfigHook: sources.bundlerOptions!.webpackConfigHook,
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });
    expect(bundle.code).toContain('vipTakeover');
  });

  it('refuses a name that is not kebab-case, a playbook that exists, or a folder that exists', () => {
    expect(() => scaffoldPlaybook('VIP takeover', path.join(dir, '..', 'a'))).toThrow('kebab-case');
    expect(() => scaffoldPlaybook('compromised-credential', path.join(dir, '..', 'b'))).toThrow(
      'exists already',
    );
    expect(() => scaffoldPlaybook('other-one', dir)).toThrow('exists already');
    expect(existsSync(path.join(dir, '..', 'a'))).toBe(false);
  });
});
