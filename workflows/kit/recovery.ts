/**
 * Staged recovery: principals come back in waves. Each wave waits a quiet watch window, passes the
 * playbook's application integrity checks, gets its approval, is reinstated, and is watched once
 * more: a new detection about one of its principals then rolls the whole wave back.
 */
import { condition, patched } from '@temporalio/workflow';
import type { Principal, RecoveryWave, VerificationCheck } from '../../domain/incident';
import type { ApprovalPolicy } from '../../domain/policy';
import { run } from './activities';
import { awaitApproval, goesAhead } from './approvals';
import { failureText, Incident } from './incident';
import { tellReceivers } from './security-events';

export interface WaveMember {
  principal: Principal;
  /** When this principal's containment finished: resets after it count (ActionInput.containedAt). */
  containedAt: string;
}

export interface RecoveryPolicy {
  reinstate: ApprovalPolicy;
  recoveryWatchMs: number;
  recoveryWaveSize: number;
  recoveryChecks: string[];
}

/** How recovery ended: everyone back, held (a detection, a failed check, a refusal), or the incident closing. */
export type RecoveryOutcome = 'recovered' | 'held' | 'closing';

/**
 * `watchFrom`: the number of alerts the incident had when recovery was decided on; a detection
 * after that (even before the first wave starts watching) holds the first wave.
 */
export async function recoverInWaves(
  incident: Incident,
  members: WaveMember[],
  policy: RecoveryPolicy,
  watchFrom = incident.state.alerts.length,
): Promise<RecoveryOutcome> {
  const size = Math.max(1, policy.recoveryWaveSize);
  for (let i = 0; i < members.length; i += size) {
    const from = i === 0 ? watchFrom : incident.state.alerts.length;
    const outcome = await runWave(incident, members.slice(i, i + size), policy, from);
    if (outcome !== 'recovered') return outcome;
  }
  return 'recovered';
}

async function runWave(
  incident: Incident,
  members: WaveMember[],
  policy: RecoveryPolicy,
  watchFrom: number,
): Promise<RecoveryOutcome> {
  const { state } = incident;
  const names = members.map((m) => m.principal.username);
  const wave: RecoveryWave = {
    wave: (state.recoveryWaves ?? []).length + 1,
    principals: names,
    status: 'watching',
    startedAt: new Date().toISOString(),
  };
  (state.recoveryWaves ??= []).push(wave);
  const end = (status: RecoveryWave['status'], detail: string, outcome: RecoveryOutcome): RecoveryOutcome => {
    wave.status = status;
    wave.detail = detail;
    wave.endedAt = new Date().toISOString();
    incident.log('note', `recovery wave ${wave.wave} [${names.join(', ')}] ${status}: ${detail}`);
    incident.publish();
    return outcome;
  };
  const watchSeconds = Math.round(policy.recoveryWatchMs / 1000);
  incident.log('note', `recovery wave ${wave.wave} [${names.join(', ')}]: quiet watch of ${watchSeconds} s`);
  incident.publish();
  // Versioning example (docs/playbooks.md, "Changing a playbook safely"): telling responders that a
  // wave started is a new activity call. Incidents that were already recovering when this shipped
  // replay without it (`patched` is false for them); remove the guard once none of them is open.
  if (patched('notify-recovery-wave-start')) {
    await incident.notify(
      'phase',
      `recovery wave ${wave.wave} started: ${names.join(', ')}, quiet watch of ${watchSeconds} s`,
    );
  }

  // 1. Quiet watch: no new detection about the wave's principals.
  if (await detectionDuring(incident, names, policy.recoveryWatchMs, watchFrom)) {
    return end('held', 'a new detection arrived during the watch window', 'held');
  }
  if (incident.closing) return end('skipped', 'the incident is closing', 'closing');

  // 2. Application integrity checks (pluggable HTTP hooks).
  if (policy.recoveryChecks.length) {
    wave.status = 'checking';
    const checks = await Promise.all(
      policy.recoveryChecks.map((name) =>
        run('runRecoveryCheck', `integrity check '${name}' for recovery wave ${wave.wave}`, {
          name,
          incidentId: state.incidentId,
          wave: wave.wave,
          principals: names,
        }).catch((err): VerificationCheck => ({ name, ok: false, detail: failureText(err) })),
      ),
    );
    wave.checks = checks;
    for (const c of checks)
      incident.log('verification', `${c.ok ? 'ok' : 'FAIL'} check ${c.name}: ${c.detail}`);
    const failed = checks.filter((c) => !c.ok);
    if (failed.length) {
      await incident.notify(
        'escalation',
        `recovery wave ${wave.wave} held: integrity check(s) ${failed.map((c) => c.name).join(', ')} failed`,
      );
      return end(
        'held',
        `integrity check(s) failed: ${failed.map((c) => `${c.name} (${c.detail})`).join('; ')}`,
        'held',
      );
    }
  }

  // 3. Approval.
  wave.status = 'awaiting-approval';
  const resolution = await awaitApproval(incident, {
    action: 'reinstateAccount',
    summary: `reinstate wave ${wave.wave}: ${names.join(', ')} (password reset and MFA enrolment at next login)`,
    policy: policy.reinstate,
    // Whoever holds one of these accounts never approves giving it back.
    excluded: members.map((m) => m.principal.username),
  });
  if (!goesAhead(resolution)) {
    for (const m of members)
      incident.skip('reinstateAccount', `approval resolved as ${resolution}`, m.principal);
    return end('skipped', `approval resolved as ${resolution}`, resolution === 'closed' ? 'closing' : 'held');
  }

  // 4. Reinstate.
  const back: WaveMember[] = [];
  for (const m of members) {
    const outcome = await incident.act(
      'reinstateAccount',
      `reinstate ${m.principal.username} (wave ${wave.wave})`,
      {
        principal: m.principal,
        containedAt: m.containedAt,
      },
    );
    if (outcome) {
      back.push(m);
      await tellReceivers(incident, ['account-enabled'], m.principal);
    }
  }
  if (back.length < members.length) {
    return end('held', `${members.length - back.length} reinstatement(s) failed`, 'held');
  }
  wave.status = 'reinstated';
  incident.publish();

  // 5. Watched again: a new detection now rolls the wave back.
  if (await detectionDuring(incident, names, policy.recoveryWatchMs, incident.state.alerts.length)) {
    for (const m of back) {
      const rolledBack = await incident.act(
        'rollBackReinstatement',
        `roll back reinstatement of ${m.principal.username}`,
        {
          principal: m.principal,
        },
      );
      if (rolledBack) await tellReceivers(incident, ['account-disabled', 'session-revoked'], m.principal);
    }
    await incident.notify(
      'escalation',
      `recovery wave ${wave.wave} rolled back: new detection about ${names.join(', ')}`,
    );
    return end(
      'rolled-back',
      'a new detection after reinstatement: disabled again and sessions revoked',
      'held',
    );
  }
  return end('reinstated', 'reinstated and quiet through the watch window', 'recovered');
}

/**
 * Waits the window (or until closing); true when an alert about `names` arrived after the
 * `from`-th alert of the incident.
 */
async function detectionDuring(
  incident: Incident,
  names: string[],
  ms: number,
  from: number,
): Promise<boolean> {
  const seen = () => incident.alertsAbout(names, from) > 0;
  await condition(() => incident.closing || seen(), ms);
  return seen();
}
