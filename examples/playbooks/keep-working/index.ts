/**
 * An example playbook package, outside the engine's source: registered with the worker, the API
 * and the exercise runner by PLAYBOOK_PACKAGES=./examples/playbooks/keep-working. It uses only the
 * kit's public API (kit/package for this descriptor, kit/workflow for the workflow).
 */
import * as path from 'node:path';
import { definePlaybookPackage } from '../../../kit/package';

export default definePlaybookPackage({
  name: '@example/ir-playbook-keep-working',
  workflowsPath: require.resolve('./workflows'),
  playbooks: [
    {
      name: 'keep-working',
      workflowType: 'keepWorking',
      description:
        'A stolen credential on an account whose owner must keep working (on call, incident commander): ' +
        'every way in is cut and proven cut, but the account stays enabled — the owner signs in again ' +
        'with a new password and second factor.',
    },
  ],
  // A password guessed after a burst opens this playbook instead of compromised-credential.
  routes: { 'credential-compromise-after-burst': 'keep-working' },
  scenariosDir: path.join(__dirname, 'scenarios'),
});
