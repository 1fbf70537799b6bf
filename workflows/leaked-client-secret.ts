/**
 * Playbook: leaked client secret / compromised service account.
 *
 * A confidential client's secret is out (a repository, a paste, a log). Give the client a new
 * secret and prove the old one is refused, refuse every token issued to it so far, end its service
 * account's sessions; then trace what the service account did in the window, and review.
 */
import { actionDetail, principalLabel, type IncidentState } from '../domain/incident';
import { resolveLeakedClientSecretPolicy, type LeakedClientSecretPolicy } from '../domain/policy';
import type { IncidentInput } from './definitions';
import { run } from './kit/activities';
import { approveThenAct, concludeContainment, runPlaybook, verdictOf } from './kit/playbook';
import { failureText, Incident } from './kit/incident';
import {
  recordReview,
  snapshotPrincipal,
  recordOpening,
  investigatePrincipal,
  containmentConfirmed,
} from './kit/steps';

/** Keycloak names a client's service account `service-account-<client id>`. */
const SERVICE_ACCOUNT = /^service-account-(.+)$/;

export async function leakedClientSecret(input: IncidentInput): Promise<IncidentState> {
  const policy = resolveLeakedClientSecretPolicy(input.policy);
  const incident = new Incident(input);
  const { principal } = input;
  const clientId = input.clientId ?? SERVICE_ACCOUNT.exec(principal.username)?.[1];

  return runPlaybook(incident, input, policy.holdOpenMs, async () => {
    await recordOpening(incident, input, clientId ?? principal.username);
    if (!clientId) {
      incident.enterPhase(
        'containment-unverified',
        'no client named: give clientId, or the service account as principal',
      );
      await incident.notify(
        'containment-unverified',
        `${principal.username}: leaked secret of an unnamed client`,
      );
    } else {
      const client = `client '${clientId}'`;
      incident.enterPhase('evidence', `snapshot the service account of ${client}`);
      await snapshotPrincipal(incident, principal, input.evidenceLookbackMs);

      incident.enterPhase('contain', `take the leaked secret and its tokens away from ${client}`);
      if (await containmentConfirmed(incident, `take the leaked secret and its tokens away from ${client}`)) {
        await containClient(incident, input, policy, clientId);
      }
    }
  });
}

/** Rotate the secret (per policy), refuse its tokens, end the service account's sessions; verify; trace. */
async function containClient(
  incident: Incident,
  input: IncidentInput,
  policy: LeakedClientSecretPolicy,
  clientId: string,
): Promise<void> {
  const { state } = incident;
  const { principal } = input;
  const client = `client '${clientId}'`;
  await approveThenAct(
    incident,
    {
      action: 'rotateClientSecret',
      summary: `rotate the secret of ${client} (its application stops authenticating until its owner takes the new one)`,
      policy: policy.rotateSecret,
    },
    'rotateClientSecret',
    `rotate the secret of ${client}`,
    { clientId },
  );
  await incident.act('revokeClientTokens', `refuse every token issued to ${client} so far`, { clientId });
  await incident.act('revokeSessions', `end the sessions of ${principalLabel(principal)}`);

  incident.enterPhase('verify', `check that ${client} is contained`);
  const done = (a: string) => state.actions.some((x) => x.action === a && x.status === 'done');
  const checks = [
    {
      name: 'secret-rotated',
      ok: done('rotateClientSecret'),
      detail: outcomeOf(state, 'rotateClientSecret'),
    },
    {
      name: 'tokens-revoked',
      ok: done('revokeClientTokens'),
      detail: outcomeOf(state, 'revokeClientTokens'),
    },
  ];
  try {
    const access = await run('inspectAccess', 'read back the service account', { principal });
    checks.push({
      name: 'sessions-ended',
      ok: access.sessions === 0,
      detail: `${access.sessions} session(s)`,
    });
  } catch (err) {
    checks.push({ name: 'verification-ran', ok: false, detail: failureText(err) });
  }
  for (const c of checks) incident.log('verification', `${c.ok ? 'ok' : 'FAIL'} ${c.name}: ${c.detail}`);
  await concludeContainment(incident, verdictOf(checks), {
    contained: `${client} contained`,
    notContained: `${client} NOT contained`,
    notify: {
      contained: `${client}: secret rotated, tokens refused`,
      notContained: `${client}: containment NOT verified`,
    },
  });

  // What did the service account do with it?
  if (!incident.closing) {
    await incident.announcePhase('investigate', `trace what the service account of ${client} did`);
    const since =
      input.compromisedSince ??
      new Date(Date.parse(state.openedAt) - policy.investigationLookbackMs).toISOString();
    await investigatePrincipal(
      incident,
      principal,
      since,
      (f) => f.kind === 'grant-by-principal' || f.kind === 'role-grant',
    );
    incident.enterPhase('review', 'write the post-incident review');
    await recordReview(incident, 'post-incident review');
  }
}

function outcomeOf(state: IncidentState, action: string): string {
  const a = [...state.actions].reverse().find((x) => x.action === action);
  return a ? actionDetail(a) : 'not run';
}
