/**
 * Playbook: leaked client secret / compromised service account.
 *
 * A confidential client's secret is out (a repository, a paste, a log). Snapshot the client (its
 * credentials, never their values), give it a new secret and prove the old one is refused, refuse
 * every token issued to it so far, end its service account's sessions where the provider has one
 * (Keycloak; Okta and Entra ID applications have none); read the client back to verify, say what
 * access outlives containment and until when; then trace the service account, and review.
 */
import { patched } from '@temporalio/workflow';
import { actionDetail, principalLabel, type IncidentState, type Principal } from '../domain/incident';
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
      return;
    }
    const client = `client '${clientId}'`;
    let scope: ClientScope;
    if (patched('client-described')) {
      incident.enterPhase('evidence', `snapshot ${client} and the account it acts as`);
      scope = { account: await snapshotClient(incident, principal, clientId), described: true };
      if (scope.account) await snapshotPrincipal(incident, scope.account, input.evidenceLookbackMs);
    } else {
      // Incidents started before clients were described: the principal is the service account.
      incident.enterPhase('evidence', `snapshot the service account of ${client}`);
      await snapshotPrincipal(incident, principal, input.evidenceLookbackMs);
      scope = { account: principal, described: false };
    }
    incident.enterPhase('contain', `take the leaked secret and its tokens away from ${client}`);
    if (await containmentConfirmed(incident, `take the leaked secret and its tokens away from ${client}`)) {
      await containClient(incident, input, policy, clientId, scope);
    }
  });
}

/** The account the client acts as (when the provider has one), and whether the client was described. */
interface ClientScope {
  account?: Principal;
  described: boolean;
}

/** The client into evidence; the account it acts as, if any (else the principal, if it names one). */
async function snapshotClient(
  incident: Incident,
  principal: Principal,
  clientId: string,
): Promise<Principal | undefined> {
  try {
    const { ref, client } = await run('describeClient', `snapshot client '${clientId}' (no secret values)`, {
      principal,
      clientId,
      evidenceId: incident.state.evidenceId,
      stage: 'before',
    });
    incident.addEvidence(
      ref,
      `client '${clientId}': ${client.credentials.length} credential(s), ` +
        (client.serviceAccount ? `acts as ${client.serviceAccount}` : 'no service account'),
    );
    return client.serviceAccount ? { ...principal, username: client.serviceAccount } : undefined;
  } catch (err) {
    incident.log('note', `snapshot of client '${clientId}' FAILED: ${failureText(err)}`);
    return SERVICE_ACCOUNT.test(principal.username) ? principal : undefined;
  }
}

/** Rotate the secret (per policy), refuse its tokens, end the service account's sessions; verify; trace. */
async function containClient(
  incident: Incident,
  input: IncidentInput,
  policy: LeakedClientSecretPolicy,
  clientId: string,
  { account, described }: ClientScope,
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
  const tokens = await incident.act('revokeClientTokens', `refuse every token issued to ${client} so far`, {
    clientId,
  });
  if (account)
    await incident.act('revokeSessions', `end the sessions of ${principalLabel(account)}`, {
      principal: account,
    });

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
  if (described) checks.push(await oldSecretsGone(incident, principal, clientId));
  if (account) {
    try {
      const access = await run('inspectAccess', 'read back the service account', { principal: account });
      checks.push({
        name: 'sessions-ended',
        ok: access.sessions === 0,
        detail: `${access.sessions} session(s)`,
      });
    } catch (err) {
      checks.push({ name: 'verification-ran', ok: false, detail: failureText(err) });
    }
  }
  // What the provider cannot end at once is said, with its end, not hidden.
  if (tokens?.residualUntil)
    checks.push({
      name: 'residual-access',
      ok: true,
      detail: `verified, residual access until ${tokens.residualUntil}: access tokens issued to ${client} before containment stay valid until they expire`,
    });
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
    const since =
      input.compromisedSince ??
      new Date(Date.parse(state.openedAt) - policy.investigationLookbackMs).toISOString();
    if (account) {
      await incident.announcePhase('investigate', `trace what the service account of ${client} did`);
      await investigatePrincipal(
        incident,
        account,
        since,
        (f) => f.kind === 'grant-by-principal' || f.kind === 'role-grant',
      );
    } else {
      await incident.announcePhase('investigate', `trace the use of ${client}`);
      incident.log(
        'note',
        `finding: ${client} acts as no account in ${principal.provider}; its use since ${since} is not traced by the engine: search the provider's log for its client id by hand`,
      );
    }
    incident.enterPhase('review', 'write the post-incident review');
    await recordReview(incident, 'post-incident review');
  }
}

/** Reads the client back: no secret from before the incident may still authenticate. */
async function oldSecretsGone(incident: Incident, principal: Principal, clientId: string) {
  const cut = Date.parse(incident.state.openedAt) - 1000;
  try {
    const { ref, client } = await run('describeClient', `read back client '${clientId}'`, {
      principal,
      clientId,
      evidenceId: incident.state.evidenceId,
      stage: 'after',
    });
    incident.addEvidence(ref, `client '${clientId}' read back after containment`);
    const old = client.credentials.filter(
      (c) => c.kind === 'secret' && c.active && !(c.createdAt && Date.parse(c.createdAt) >= cut),
    );
    const fresh = client.credentials.filter((c) => c.kind === 'secret' && c.active).length - old.length;
    return {
      name: 'old-secrets-gone',
      ok: old.length === 0,
      detail: old.length
        ? `${old.length} secret(s) from before the incident still authenticate: ${old.map((c) => c.id).join(', ')}`
        : `no secret from before the incident is left; ${fresh} new secret(s)`,
    };
  } catch (err) {
    return { name: 'old-secrets-gone', ok: false, detail: failureText(err) };
  }
}

function outcomeOf(state: IncidentState, action: string): string {
  const a = [...state.actions].reverse().find((x) => x.action === action);
  return a ? actionDetail(a) : 'not run';
}
