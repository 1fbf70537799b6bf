/**
 * Playbook: privilege escalation.
 *
 * Someone was granted a privileged role they should not have. Act first, precisely and reversibly:
 * take that one role back, end the sessions whose tokens carry it, and suspend the account that
 * granted it (it may be compromised too). Then ask a person whether the grant was authorised: if
 * it was, everything is put back as it was found; if not (or nobody answers), trace what the
 * elevated identity did while it held the role, and review.
 */
import { principalLabel, type IncidentState, type Principal } from '../domain/incident';
import { resolvePrivilegeEscalationPolicy } from '../domain/policy';
import type { Escalation, IncidentInput } from './definitions';
import { run } from './kit/activities';
import { awaitApproval } from './kit/approvals';
import { approveThen, concludeContainment, runPlaybook, verdictOf } from './kit/playbook';
import { Compensations } from './kit/compensation';
import { failureText, Incident } from './kit/incident';
import {
  recordReview,
  snapshotPrincipal,
  recordOpening,
  investigatePrincipal,
  containmentConfirmed,
} from './kit/steps';
import { tellReceivers } from './kit/security-events';

export async function privilegeEscalation(input: IncidentInput): Promise<IncidentState> {
  const policy = resolvePrivilegeEscalationPolicy(input.policy);
  const incident = new Incident(input);
  const undo = new Compensations(incident);
  const grantee = input.principal;
  const who = principalLabel(grantee);

  return runPlaybook(incident, input, policy.holdOpenMs, () =>
    undo.guard(async () => {
      await recordOpening(incident, input, who);
      const escalation = input.escalation ?? escalationFromAlert(input);
      if (!escalation) {
        incident.enterPhase('containment-unverified', 'the alert names no role: nothing precise to revert');
        await incident.notify('containment-unverified', `${who}: privilege escalation without a named role`);
        return;
      }
      const role =
        escalation.container === 'realm'
          ? `realm role '${escalation.role}'`
          : `role '${escalation.role}' of '${escalation.container}'`;
      const grant = { role: escalation.role, container: escalation.container };

      // Evidence before anything changes: the grantee, and the account that granted the role.
      incident.enterPhase('evidence', `snapshot ${who} and whoever granted ${role}`);
      await snapshotPrincipal(incident, grantee, input.evidenceLookbackMs);
      const actor = await actorOf(incident, grantee, escalation);

      // Contain, reversibly: each change records how to put it back.
      incident.enterPhase('contain', `take ${role} back from ${who}`);
      if (!(await containmentConfirmed(incident, `take ${role} back from ${who}`))) return;
      await undo.act(
        'revertGrant',
        `revert ${role} of ${who}`,
        { grant },
        {
          action: 'restoreGrant',
          summary: `restore ${role} of ${who}`,
        },
      );
      const revoked = await incident.act(
        'revokeSessions',
        `revoke the sessions of ${who} (their tokens carry ${role})`,
      );
      // Relying parties drop sessions whose tokens still carry the role.
      if (revoked) await tellReceivers(incident, ['session-revoked']);
      if (actor) {
        const actorWho = principalLabel(actor);
        await approveThen(
          incident,
          {
            action: 'suspendAccount',
            summary: `suspend ${actorWho}, who granted ${role} to ${grantee.username}`,
            policy: policy.suspendActor,
            excluded: grantors(escalation, actor),
          },
          () =>
            undo.act(
              'suspendAccount',
              `suspend ${actorWho}`,
              { principal: actor },
              { action: 'restoreAccount', summary: `re-enable ${actorWho}` },
            ),
          { action: 'suspendAccount', principal: actor },
        );
      }
      const containedAt = new Date().toISOString();

      // Verify, by reading back.
      incident.enterPhase('verify', `check that ${role} is gone and the actor is suspended`);
      const checks = await verifyEscalation(incident, grantee, grant, actor);
      const why = checks
        .filter((c) => !c.ok)
        .map((c) => `${c.name} (${c.detail})`)
        .join('; ');
      const contained = await concludeContainment(
        incident,
        verdictOf(checks),
        {
          contained: `${role} reverted${actor ? ` and ${actor.username} suspended` : ''}: verified`,
          notContained: `containment NOT verified: ${why}`,
          notify: {
            contained: `${who}: ${role} reverted and verified`,
            notContained: `${who}: containment NOT verified: ${why}`,
          },
        },
        containedAt,
      );
      if (!contained) return;

      // A person decides whether the grant was authorised.
      const confirmation = await awaitApproval(incident, {
        action: 'confirmIncident',
        summary: `confirm that granting ${role} to ${grantee.username}${escalation.grantedBy ? ` by ${escalation.grantedBy}` : ''} was NOT authorised (reject to put everything back)`,
        policy: policy.confirm,
        excluded: grantors(escalation, actor),
      });
      if (confirmation === 'rejected') {
        const by = incident.state.approvals.at(-1)?.decisions.at(-1)?.actor ?? 'a responder';
        await undo.compensate(`${by} said the grant was authorised`);
        incident.log(
          'note',
          `false positive: ${role} of ${grantee.username} was authorised; containment undone`,
        );
        await incident.announcePhase('review', `false positive: ${role} and the actor restored`);
        await recordReview(incident, 'post-incident review (false positive)');
        return;
      }

      if (incident.closing) return;
      // What did the elevated identity do while it held the role?
      await incident.announcePhase('investigate', `trace what ${who} did while holding ${role}`);
      const since =
        escalation.grantedAt ??
        new Date(Date.parse(incident.state.openedAt) - policy.investigationLookbackMs).toISOString();
      await investigatePrincipal(incident, grantee, since, (f) => f.kind === 'grant-by-principal');
      incident.enterPhase('review', 'write the post-incident review');
      await recordReview(incident, 'post-incident review');
    }),
  );
}

/** The grant, from the privilege-change event that raised the alert (detection-opened incidents). */
/** The account that granted the role, by every name known for it: it never decides this incident. */
function grantors(escalation: Escalation, actor: Principal | undefined): string[] {
  return [escalation.grantedBy, actor?.username].filter((n): n is string => Boolean(n));
}

function escalationFromAlert(input: IncidentInput): Escalation | undefined {
  const event = (input.alert?.events ?? []).find(
    (e): e is { privilege?: string; actor?: { name?: string; id?: string }; time?: string } =>
      typeof e === 'object' && e !== null && (e as { category?: string }).category === 'privilege-change',
  );
  const role = event?.privilege?.split(',')[0];
  if (!role || role.startsWith('group:')) return undefined;
  return {
    role,
    container: 'realm',
    grantedBy: event?.actor?.name ?? event?.actor?.id,
    grantedAt: event?.time,
  };
}

/** The account that granted the role, when it is another account of the same realm (snapshotted). */
async function actorOf(
  incident: Incident,
  grantee: Principal,
  escalation: Escalation,
): Promise<Principal | undefined> {
  const name = escalation.grantedBy;
  if (!name || name.toLowerCase() === grantee.username.toLowerCase()) return undefined;
  const actor: Principal = { ...grantee, username: name };
  try {
    await snapshotPrincipal(incident, actor);
    return actor;
  } catch (err) {
    incident.log(
      'note',
      `the grantor '${name}' is not an account of realm '${grantee.realm}' (${failureText(err)}): not suspended`,
    );
    return undefined;
  }
}

async function verifyEscalation(
  incident: Incident,
  grantee: Principal,
  grant: { role: string; container: string },
  actor: Principal | undefined,
) {
  const checks: { name: string; ok: boolean; detail: string }[] = [];
  try {
    const g = await run('inspectAccess', `read back ${grantee.username}'s roles and sessions`, {
      principal: grantee,
      grant,
    });
    checks.push({
      name: 'grant-reverted',
      ok: g.roleMapped === false,
      detail: g.roleMapped ? 'role still mapped' : 'role not mapped',
    });
    checks.push({ name: 'sessions-revoked', ok: g.sessions === 0, detail: `${g.sessions} session(s)` });
    const suspended = incident.state.actions.some(
      (a) => a.action === 'suspendAccount' && a.status === 'done',
    );
    if (actor && suspended) {
      const a = await run('inspectAccess', `read back ${actor.username}'s account`, { principal: actor });
      checks.push({
        name: 'actor-suspended',
        ok: !a.enabled && a.sessions === 0,
        detail: `${a.enabled ? 'enabled' : 'disabled'}, ${a.sessions} session(s)`,
      });
    }
  } catch (err) {
    checks.push({
      name: 'verification-ran',
      ok: false,
      detail: `verification could not run: ${failureText(err)}`,
    });
  }
  for (const c of checks) incident.log('verification', `${c.ok ? 'ok' : 'FAIL'} ${c.name}: ${c.detail}`);
  return checks;
}
