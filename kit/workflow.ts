/**
 * The playbook kit's public API for workflow code (what a playbook package's workflows import):
 * the incident record, approvals with policy, evidence, containment, verification, hold-open and
 * review. Workflow code runs in Temporal's deterministic sandbox: import only this, the types
 * below and `@temporalio/workflow` — no I/O, clocks or SDKs (activities do that).
 */
export { Incident, failureText } from '../workflows/kit/incident';
export { awaitApproval, goesAhead } from '../workflows/kit/approvals';
export {
  approved,
  approveThen,
  approveThenAct,
  concludeContainment,
  runPlaybook,
  verdictOf,
} from '../workflows/kit/playbook';
export {
  containmentConfirmed,
  cutAccess,
  investigatePrincipal,
  recordOpening,
  recordReview,
  snapshotPrincipal,
  verify,
} from '../workflows/kit/steps';
export type { IncidentInput } from '../workflows/definitions';
export type { IncidentState, Principal, Severity } from '../domain/incident';
export { principalLabel } from '../domain/incident';
export type { ApprovalPolicy } from '../domain/policy';
