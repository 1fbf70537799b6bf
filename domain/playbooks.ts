/**
 * The playbooks this engine runs: its own six, and those playbook packages registered
 * (config/playbook-packages.ts reads PLAYBOOK_PACKAGES in the worker, the API and the exercise
 * runner alike). Names are what the REST API, policies, routes and scenarios use; each names the
 * workflow type that runs it.
 */
import { PLAYBOOKS, type PlaybookId, type PlaybookName } from './incident';

export const BUILT_IN_WORKFLOW_TYPES: Record<PlaybookName, string> = {
  'compromised-credential': 'compromisedCredential',
  'privilege-escalation': 'privilegeEscalation',
  'session-hijack': 'sessionHijack',
  'mfa-fatigue': 'mfaFatigue',
  'leaked-client-secret': 'leakedClientSecret',
  'signing-key-compromise': 'signingKeyCompromise',
};

export interface PlaybookDefinition {
  /** kebab-case, e.g. `contractor-takeover` */
  name: string;
  /** The exported workflow function that runs it. */
  workflowType: string;
  description: string;
  /** The package that registered it (undefined: the engine's own). */
  fromPackage?: string;
}

export const PLAYBOOK_NAME = /^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$/;
export const WORKFLOW_TYPE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
/** Workflow types the engine itself runs: a package cannot take them over. */
const RESERVED_TYPES = new Set([...Object.values(BUILT_IN_WORKFLOW_TYPES), 'detector', 'providersDoctor']);

const registered = new Map<string, PlaybookDefinition>();

export class PlaybookRegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PlaybookRegistrationError';
  }
}

/** Adds a package's playbook; a name or workflow type already taken is refused, never replaced. */
export function registerPlaybook(def: PlaybookDefinition): void {
  const from = def.fromPackage ? ` (package ${def.fromPackage})` : '';
  if (!PLAYBOOK_NAME.test(def.name) || def.name.length > 64)
    throw new PlaybookRegistrationError(`playbook name '${def.name}'${from} is not kebab-case (≤ 64)`);
  if (!WORKFLOW_TYPE.test(def.workflowType))
    throw new PlaybookRegistrationError(`workflow type '${def.workflowType}'${from} is not an identifier`);
  const existing = registered.get(def.name);
  if (existing && existing.workflowType === def.workflowType && existing.fromPackage === def.fromPackage)
    return;
  if ((PLAYBOOKS as readonly string[]).includes(def.name) || existing)
    throw new PlaybookRegistrationError(`playbook '${def.name}'${from} is already defined`);
  if (
    RESERVED_TYPES.has(def.workflowType) ||
    [...registered.values()].some((p) => p.workflowType === def.workflowType)
  )
    throw new PlaybookRegistrationError(`workflow type '${def.workflowType}'${from} is already taken`);
  registered.set(def.name, def);
}

export function isPlaybook(name: string): name is PlaybookId {
  return (PLAYBOOKS as readonly string[]).includes(name) || registered.has(name);
}

/** Every playbook name, the engine's first. */
export function playbookNames(): PlaybookId[] {
  return [...PLAYBOOKS, ...registered.keys()];
}

export function workflowTypeOf(name: PlaybookId): string {
  const type = Object.hasOwn(BUILT_IN_WORKFLOW_TYPES, name)
    ? BUILT_IN_WORKFLOW_TYPES[name as PlaybookName]
    : registered.get(name)?.workflowType;
  if (!type) throw new PlaybookRegistrationError(`no playbook '${name}'`);
  return type;
}

export function registeredPlaybooks(): PlaybookDefinition[] {
  return [...registered.values()];
}

/**
 * Visibility clauses naming this deployment's incidents: its task queue and the playbooks'
 * workflow types (the API's incident list and approval inbox read the same set).
 */
export function incidentWorkflowClauses(taskQueue: string): string[] {
  return [
    `TaskQueue = '${taskQueue.replaceAll("'", '')}'`,
    `WorkflowType IN (${playbookNames()
      .map((p) => `'${workflowTypeOf(p)}'`)
      .join(', ')})`,
  ];
}
