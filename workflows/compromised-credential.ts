/**
 * Playbook: compromised credential.
 *
 * Someone else holds this person's password or tokens. Snapshot what containment would destroy,
 * then cut every way in (sessions, offline tokens, password, second factor), disable the account
 * when policy or a human says so, and prove that containment holds before calling it contained.
 */
import { condition, patched, sleep, upsertSearchAttributes } from '@temporalio/workflow';
import {
  personOf,
  principalLabel,
  type Finding,
  type IncidentState,
  type Principal,
  type RelatedPrincipal,
} from '../domain/incident';
import { CompromisedCredentialPolicy, resolveCompromisedCredentialPolicy } from '../domain/policy';
import { IncidentInput, searchAttributes } from './definitions';
import { runDetection, runInvestigation } from './kit/activities';
import { awaitApproval, goesAhead } from './kit/approvals';
import { approved, approveThenAct, runPlaybook } from './kit/playbook';
import { failureText, Incident } from './kit/incident';
import { recoverInWaves, WaveMember } from './kit/recovery';
import { revokeDownstream, tellReceivers } from './kit/security-events';
import {
  cutAccess,
  recordReview,
  snapshotPrincipal,
  verify,
  recordOpening,
  containmentConfirmed,
} from './kit/steps';
import { describeFinding } from '../domain/review';

const INDICATOR_TTL_MS = 30 * 24 * 60 * 60_000;

export async function compromisedCredential(input: IncidentInput): Promise<IncidentState> {
  const policy = resolveCompromisedCredentialPolicy(input.policy);
  const incident = new Incident(input);
  const who = principalLabel(input.principal);
  const recovery: RecoveryProgress = { stage: input.carried ? 'done' : 'not-started' };
  // Accounts responders add to the incident are contained alongside the main line, after approval.
  void watchScope(incident, input, policy, recovery);

  // Stays open afterwards for investigation and for later alerts about the same principal to join.
  return runPlaybook(incident, input, policy.holdOpenMs, async () => {
    // Triage
    await recordOpening(incident, input, who);

    // Evidence before any destructive step
    incident.enterPhase('evidence', `snapshot sessions, consents, credentials, roles and events of ${who}`);
    const snapshot = await snapshotPrincipal(incident, input.principal, input.evidenceLookbackMs);

    // Contain, unless nothing may start by itself and nobody confirms it
    incident.enterPhase('contain', `cut every way into ${who}`);
    if (await containmentConfirmed(incident, `cut every way into ${who}`)) {
      await containAndVerify(incident, input, policy, snapshot.ref.objectHash, recovery);
    }
  });
}

/**
 * Cut every way in, disable the account when policy or a person says so, and prove containment
 * holds; then the lifecycle after containment.
 */
async function containAndVerify(
  incident: Incident,
  input: IncidentInput,
  policy: CompromisedCredentialPolicy,
  snapshotHash: string,
  recovery: RecoveryProgress,
): Promise<void> {
  const who = principalLabel(input.principal);
  await cutAccess(incident, input.principal);
  // Relying parties that trust Shared Signals hear of it now (CAEP, RISC).
  const done = (action: string) =>
    incident.state.actions.some((a) => a.action === action && a.status === 'done' && !a.target);
  await tellReceivers(incident, [
    'credential-compromise',
    ...(done('requireReauthentication') ? (['credential-change'] as const) : []),
    ...(done('revokeSessions') ? (['session-revoked'] as const) : []),
  ]);
  // Apps with a global token revocation endpoint end their own sessions and refresh tokens.
  await revokeDownstream(incident);

  const disable = await approved(incident, {
    action: 'disableAccount',
    summary: `disable the account of ${who}`,
    policy: policy.disableAccount,
  });
  if (disable) await incident.act('disableAccount', `disable the account of ${who}`);
  if (disable && didDisable(incident.state, input.principal.username))
    await tellReceivers(incident, ['account-disabled']);
  const containedAt = new Date().toISOString();

  // Verify: containment is proven, never assumed
  incident.enterPhase('verify', `check that containment of ${who} holds`);
  const verification = await verify(incident, {
    evidenceId: incident.state.evidenceId,
    principal: input.principal,
    containedAt,
    accountDisabled: disable && didDisable(incident.state, input.principal.username),
    suspectTokenRefs: input.suspectTokenRefs ?? [],
  });
  incident.state.verification = verification;
  const failedActions = incident.state.actions
    .filter((a) => a.status === 'failed' && !a.target)
    .map((a) => a.action);
  if (verification.verified && failedActions.length === 0) {
    incident.state.containedAt = containedAt;
    incident.enterPhase('contained', `containment verified: ${verification.checks.length} checks passed`);
    await incident.notify('contained', `${who} contained and verified`);
    const holdOpenLeft = Date.parse(incident.state.openedAt) + policy.holdOpenMs - Date.now();
    void sleep(Math.max(0, holdOpenLeft)).then(() => (incident.holdOpenEnded = true));
    await afterContainment(incident, input, policy, snapshotHash, recovery);
  } else {
    const failed = verification.checks.filter((x) => !x.ok).map((x) => `${x.name} (${x.detail})`);
    const why = [...failed, ...failedActions.map((a) => `${a} failed`)].join('; ');
    incident.enterPhase('containment-unverified', `containment NOT verified: ${why}`);
    await incident.notify('containment-unverified', `containment of ${who} NOT verified: ${why}`);
  }
}

/**
 * After verified containment: investigate the window, eradicate what the attacker added (with
 * approval per policy; realm-wide hardening is proposed alongside, on its own approval), reinstate
 * in waves after quiet watch windows and approvals, and write the review. A close request ends it
 * wherever it is.
 */
async function afterContainment(
  incident: Incident,
  input: IncidentInput,
  policy: CompromisedCredentialPolicy,
  snapshotHash: string,
  recovery: RecoveryProgress,
): Promise<void> {
  const who = principalLabel(input.principal);
  const { state } = incident;
  const closing = () => incident.closing;

  // Investigate (read-only)
  await incident.announcePhase('investigate', `trace what happened to ${who} and what it can reach`);
  const since =
    input.compromisedSince ??
    new Date(Date.parse(state.openedAt) - policy.investigationLookbackMs).toISOString();
  let findings: Finding[] = [];
  try {
    const { ref, summary } = await runInvestigation('investigate', `investigate ${who} since ${since}`, {
      evidenceId: state.evidenceId,
      principal: input.principal,
      since,
      until: new Date().toISOString(),
      snapshotHash,
      tokenForgerySuspected: input.tokenForgerySuspected,
    });
    state.investigation = summary;
    findings = summary.findings;
    incident.addEvidence(ref, `investigation report: ${findings.length} finding(s)`);
    for (const f of findings) incident.log('note', `finding: ${describeFinding(f)}`);
  } catch (err) {
    incident.log('note', `investigation FAILED: ${failureText(err)}; eradication skipped`);
    incident.publish();
    recovery.stage = 'done';
    return;
  }
  if (closing()) return;

  // Realm-wide fixes change everyone's experience: proposed alongside, on their own approval.
  proposeHardening(incident, input.principal, findings, policy);

  // Eradicate what gives the attacker access through this principal
  const plan = findings.filter(
    (f) => f.kind !== 'realm-setting' && f.kind !== 'signing-key' && 'remedy' in f && f.remedy,
  );
  const keys = findings.filter((f) => f.kind === 'signing-key');
  if (plan.length || keys.length) {
    await incident.announcePhase(
      'eradicate',
      `close the ${plan.length + keys.length} way(s) in the investigation found`,
    );
  }
  if (plan.length) {
    const summary = `eradicate for ${who}: ${plan.map(describeFinding).join('; ')}`.slice(0, 500);
    await approveThenAct(
      incident,
      { action: 'eradicate', summary, policy: policy.eradicate },
      'eradicate',
      `eradicate for ${who}`,
      { plan, evidenceId: state.evidenceId },
    );
  } else if (!keys.length) {
    incident.log('note', 'investigation found nothing to eradicate');
  }
  if (keys.length && !closing()) {
    // Forged tokens: only new signing keys end them. Logs everyone out: critical, never automatic.
    const realm = `${input.principal.provider} realm '${input.principal.realm}'`;
    await approveThenAct(
      incident,
      {
        action: 'rotateSigningKeys',
        summary: `rotate the signing keys of ${realm} (${keys.length} active key(s); old keys ${policy.oldSigningKeys === 'disable' ? 'disabled' : 'kept passive'}; logs EVERYONE out)`,
        policy: policy.rotateSigningKeys,
      },
      'rotateSigningKeys',
      `rotate the signing keys of ${realm}`,
      { plan: keys, evidenceId: state.evidenceId, oldSigningKeys: policy.oldSigningKeys },
    );
  }
  const eradication = state.actions.filter(
    (a) => a.action === 'eradicate' || a.action === 'rotateSigningKeys',
  );
  const incomplete = eradication.filter((a) => a.status !== 'done' || a.outcome.incomplete);
  if (incomplete.length)
    incident.log('note', `eradication incomplete: ${incomplete.map((a) => a.action).join(', ')}`);
  else state.eradicatedAt = new Date().toISOString();
  if (closing()) return;

  // Recover in waves: the principal, then accounts added to the incident, each only if this incident disabled it.
  await incident.settled('scope');
  const members = recoveryMembers(incident);
  recovery.stage = 'running';
  const watchFrom = state.alerts.length;
  // A way in may still be open: nobody is reinstated unless a person accepts that risk.
  const accepted =
    !incomplete.length ||
    !members.length ||
    !patched('recovery-waits-on-incomplete-eradication') ||
    (await acceptIncompleteEradication(
      incident,
      incomplete.map((a) => a.action),
      policy,
    ));
  if (members.length && accepted) {
    await incident.announcePhase(
      'recover',
      `reinstate ${members.map((m) => m.principal.username).join(', ')} in waves of ${policy.recoveryWaveSize} after ${Math.round(policy.recoveryWatchMs / 1000)} s quiet watches`,
    );
    const outcome = await recoverInWaves(incident, members, policy, watchFrom);
    markRecoveredRelated(incident);
    if (outcome === 'recovered') {
      // Recovered when every account this incident disabled is back (one added meanwhile may not be).
      if (everyoneBack(incident)) state.recoveredAt = new Date().toISOString();
      await incident.announcePhase(
        'recovered',
        `${members.map((m) => m.principal.username).join(', ')} reinstated`,
      );
    }
  }
  recovery.stage = 'done';
  if (closing()) return;
  await writeReview(incident);
}

/** Asks a person to accept reinstating with eradication incomplete; never automatic, skipped unanswered. */
async function acceptIncompleteEradication(
  incident: Incident,
  incomplete: string[],
  policy: CompromisedCredentialPolicy,
): Promise<boolean> {
  const resolution = await awaitApproval(incident, {
    action: 'acceptRisk',
    summary: `reinstate although eradication is incomplete (${incomplete.join(', ')}): a way in may still be open`,
    policy: { ...policy.reinstate, autoApproveAt: 'never', onTimeout: 'skip' },
  });
  if (goesAhead(resolution)) return true;
  incident.log('note', `recovery held: eradication incomplete and the risk not accepted (${resolution})`);
  return false;
}

/** Where the main line's recovery is: accounts contained later get their own wave once it is done. */
interface RecoveryProgress {
  stage: 'not-started' | 'running' | 'done';
}

function didDisable(state: IncidentState, username: string): boolean {
  const own = username === state.principal.username;
  return state.actions.some(
    (a) => a.action === 'disableAccount' && a.status === 'done' && (own ? !a.target : a.target === username),
  );
}

/** Principals this incident disabled and contained, in the order they joined it. */
function recoveryMembers(incident: Incident): WaveMember[] {
  const { state } = incident;
  const members: WaveMember[] = [];
  if (state.containedAt && didDisable(state, state.principal.username))
    members.push({ principal: state.principal, containedAt: state.containedAt });
  for (const r of state.related ?? []) {
    if (r.status === 'contained' && r.disabled && r.containedAt)
      members.push({ principal: r.principal, containedAt: r.containedAt });
  }
  return members;
}

function proposeHardening(
  incident: Incident,
  principal: Principal,
  findings: Finding[],
  policy: CompromisedCredentialPolicy,
): void {
  const fixes = findings.filter((f) => f.kind === 'realm-setting' && f.remedy === 'harden-realm');
  if (!fixes.length) return;
  const realm = `${principal.provider} realm '${principal.realm}'`;
  incident.background('hardening', async () => {
    const names = fixes.map((f) => (f.kind === 'realm-setting' ? f.setting : '')).join(', ');
    await approveThenAct(
      incident,
      {
        action: 'hardenRealm',
        summary: `harden ${realm}: ${names}`.slice(0, 500),
        policy: policy.hardenRealm,
      },
      'hardenRealm',
      `harden ${realm}`,
      { plan: fixes, evidenceId: incident.state.evidenceId },
    );
  });
}

/**
 * Accounts responders propose (POST /incidents/:id/principals): each is approved, snapshotted,
 * cut off, disabled and verified like the incident's own principal, and its alerts join the
 * incident. One added after recovery ran gets a recovery wave of its own.
 */
async function watchScope(
  incident: Incident,
  input: IncidentInput,
  policy: CompromisedCredentialPolicy,
  recovery: RecoveryProgress,
): Promise<void> {
  const taken = new Set<RelatedPrincipal>();
  const next = () => (incident.state.related ?? []).find((r) => r.status === 'proposed' && !taken.has(r));
  for (;;) {
    await condition(() => incident.closing || next() !== undefined);
    if (incident.closing) return;
    const entry = next()!;
    taken.add(entry);
    incident.background('scope', () => addToScope(incident, entry, input, policy, recovery));
  }
}

async function addToScope(
  incident: Incident,
  entry: RelatedPrincipal,
  input: IncidentInput,
  policy: CompromisedCredentialPolicy,
  recovery: RecoveryProgress,
): Promise<void> {
  const { principal } = entry;
  const who = principalLabel(principal);
  const { state } = incident;
  const resolution = await awaitApproval(incident, {
    action: 'addPrincipal',
    summary: `add ${who} to the incident and contain it: ${entry.reason}`.slice(0, 500),
    policy: policy.addPrincipal,
    onRequested: (approval) => (entry.approvalId = approval.id),
    requestedBy: { actor: entry.proposedBy, actorId: entry.proposedById ?? personOf(entry.proposedBy) },
    excluded: [principal.username],
  });
  if (!goesAhead(resolution)) {
    entry.status = 'rejected';
    incident.log('note', `${principal.username} not added: approval resolved as ${resolution}`);
    incident.publish();
    return;
  }
  entry.status = 'containment-unverified';
  // From now on alerts about this account join this incident.
  upsertSearchAttributes([
    {
      key: searchAttributes.relatedPrincipals,
      value: (state.related ?? [])
        .filter((r) => r.status !== 'rejected' && r.status !== 'proposed')
        .map((r) => r.principalKey),
    },
  ]);
  incident.log('note', `${principal.username} added to the incident`);
  try {
    await snapshotPrincipal(incident, principal, input.evidenceLookbackMs);
  } catch (err) {
    incident.log(
      'note',
      `snapshot of ${principal.username} FAILED (${failureText(err)}): nothing changed on the account`,
    );
    incident.publish();
    return;
  }
  await cutAccess(incident, principal, { disable: true });
  entry.containedAt = new Date().toISOString();
  entry.disabled = didDisable(state, principal.username);
  const verification = await verify(incident, {
    evidenceId: state.evidenceId,
    principal,
    containedAt: entry.containedAt,
    accountDisabled: entry.disabled,
    suspectTokenRefs: [],
  });
  entry.verification = verification;
  const failed = state.actions.some((a) => a.target === principal.username && a.status === 'failed');
  entry.status = verification.verified && !failed ? 'contained' : 'containment-unverified';
  incident.publish();
  await incident.notify(
    entry.status === 'contained' ? 'contained' : 'containment-unverified',
    `${principal.username} (added to the incident) ${entry.status === 'contained' ? 'contained and verified' : 'NOT verified as contained'}`,
  );
  if (entry.status !== 'contained' || !entry.disabled || recovery.stage === 'not-started') return;
  // The main line's recovery already took its members: this account gets a wave of its own, and
  // the incident is not recovered until it is back too.
  if (state.recoveredAt) {
    state.recoveredAt = undefined;
    incident.log('note', `recovery reopened: ${principal.username} joined the incident after it`);
  }
  await condition(() => recovery.stage === 'done' || incident.closing);
  if (incident.closing) return;
  const outcome = await recoverInWaves(incident, [{ principal, containedAt: entry.containedAt }], policy);
  markRecoveredRelated(incident);
  if (outcome === 'recovered' && everyoneBack(incident)) state.recoveredAt = new Date().toISOString();
  // The review the main line wrote predates this wave.
  if (state.evidence.some((e) => e.kind === 'post-incident-review'))
    await recordReview(incident, 'post-incident review, updated after a late recovery wave');
}

/** Every account this incident disabled is reinstated (its last recovery wave ended reinstated). */
function everyoneBack(incident: Incident): boolean {
  const { state } = incident;
  const back = (username: string) =>
    (state.recoveryWaves ?? []).filter((w) => w.principals.includes(username)).pop()?.status === 'reinstated';
  const own = !didDisable(state, state.principal.username) || back(state.principal.username);
  return own && (state.related ?? []).every((r) => !r.disabled || back(r.principal.username));
}

/** Added accounts take the outcome of the last recovery wave they were in. */
function markRecoveredRelated(incident: Incident): void {
  for (const r of incident.state.related ?? []) {
    const wave = (incident.state.recoveryWaves ?? [])
      .filter((w) => w.principals.includes(r.principal.username))
      .pop();
    if (wave?.status === 'reinstated' || wave?.status === 'rolled-back') r.status = wave.status;
  }
  incident.publish();
}

async function writeReview(incident: Incident): Promise<void> {
  incident.enterPhase('review', 'write the post-incident review');
  const indicators = await recordReview(incident, 'post-incident review');
  if (!indicators || !(indicators.ips.length || indicators.clients.length || indicators.userAgents.length))
    return;
  // Fed back into detection: a later login matching them raises an alert or its severity.
  const { principal } = incident.state;
  const named = [
    ...indicators.ips,
    ...indicators.clients.map((c) => `client ${c}`),
    ...indicators.userAgents.map((u) => `user agent '${u.slice(0, 40)}'`),
  ];
  const watch = await runDetection('publishIndicators', `watch ${named.length} indicator(s) in detection`, {
    provider: principal.provider,
    tenant: principal.realm,
    ...indicators,
    until: new Date(Date.now() + INDICATOR_TTL_MS).toISOString(),
    incidentId: incident.state.incidentId,
  }).catch(() => ({ published: false, asns: undefined }));
  const asns = watch.asns?.length ? `, ${watch.asns.map((a) => `AS${a}`).join(', ')}` : '';
  incident.log(
    'note',
    watch.published
      ? `detection now watches ${named.join(', ')}${asns} for 30 days`
      : `no detector runs for ${principal.provider} '${principal.realm}': indicators kept in the review only`,
  );
}
