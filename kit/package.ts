/**
 * The playbook kit's public API for a playbook package's descriptor (its entry module, loaded by
 * the worker, the API and the exercise runner from PLAYBOOK_PACKAGES): which playbooks it adds,
 * where their workflows are, which detection rules open them, their policy defaults and scenarios.
 *
 *   export default definePlaybookPackage({
 *     name: '@acme/ir-playbook-keep-working',
 *     workflowsPath: require.resolve('./workflows'),
 *     playbooks: [{ name: 'keep-working', workflowType: 'keepWorking', description: '…' }],
 *     routes: { 'credential-compromise-after-burst': 'keep-working' },
 *     scenariosDir: path.join(__dirname, 'scenarios'),
 *   });
 */
import type { PolicyOverrides } from '../domain/policy';
import type { RuleName } from '../detection/rules';

export interface PlaybookPackage {
  /** The package's name (npm-style), shown where its playbooks are listed. */
  name: string;
  /** Absolute path of the module that exports the playbooks' workflow functions. */
  workflowsPath: string;
  playbooks: {
    /** kebab-case; what the API, policies, routes and scenarios call it. */
    name: string;
    /** The exported workflow function in `workflowsPath` that runs it. */
    workflowType: string;
    description: string;
    /** Policy defaults for incidents detection opens with it (PLAYBOOK_POLICIES still wins). */
    policy?: PolicyOverrides;
  }[];
  /** Detection rules whose alerts open one of this package's playbooks instead of the engine's. */
  routes?: Partial<Record<RuleName, string>>;
  /** Folder of exercise scenarios (YAML) that rehearse its playbooks. */
  scenariosDir?: string;
}

/** Types a package's descriptor (it is loaded and checked when configured). */
export function definePlaybookPackage(pkg: PlaybookPackage): PlaybookPackage {
  return pkg;
}
