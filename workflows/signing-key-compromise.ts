/**
 * Playbook: forged tokens / signing-key compromise.
 *
 * Someone may hold the realm's token-signing key: every token is suspect. Record the keys in use,
 * then — after two people approve, because it logs everyone out — put a new key in front, disable
 * the old ones and move the realm's not-before so every session and token issued under them ends,
 * proven by the realm's published keys and a token minted before. Then review.
 */
import type { IncidentState } from '../domain/incident';
import { resolveCompromisedCredentialPolicy } from '../domain/policy';
import type { IncidentInput } from './definitions';
import { run } from './kit/activities';
import { approveThenAct, concludeContainment, runPlaybook, verdictOf } from './kit/playbook';
import { failureText, Incident } from './kit/incident';
import { recordReview, recordOpening } from './kit/steps';

export async function signingKeyCompromise(input: IncidentInput): Promise<IncidentState> {
  // The same rotation policy compromised-credential uses when it suspects forged tokens.
  const { rotateSigningKeys, oldSigningKeys, holdOpenMs } = resolveCompromisedCredentialPolicy(input.policy);
  const incident = new Incident(input);
  const { state } = incident;
  const realm = `${input.principal.provider} realm '${input.principal.realm}'`;

  return runPlaybook(incident, input, holdOpenMs, async () => {
    await recordOpening(incident, input, realm);
    incident.enterPhase('evidence', `record the signing keys of ${realm}`);
    let keys: string[] = [];
    try {
      const recorded = await run('recordSigningKeys', `record the signing keys of ${realm}`, {
        evidenceId: state.evidenceId,
        principal: input.principal,
      });
      keys = recorded.keys;
      incident.addEvidence(recorded.ref, `active signing keys: ${keys.join(', ') || 'none'}`);
    } catch (err) {
      incident.log('note', `could not read the signing keys: ${failureText(err)}`);
    }

    incident.enterPhase('contain', `rotate the signing keys of ${realm}`);
    const outcome = await approveThenAct(
      incident,
      {
        action: 'rotateSigningKeys',
        summary: `rotate the signing keys of ${realm} (${keys.length} active; old keys ${oldSigningKeys === 'disable' ? 'disabled' : 'kept passive'}; logs EVERYONE out)`,
        policy: rotateSigningKeys,
      },
      'rotateRealmSigningKeys',
      `rotate the signing keys of ${realm}`,
      { oldSigningKeys, evidenceId: state.evidenceId },
    );

    incident.enterPhase('verify', 'check that tokens signed by the old keys are refused');
    const rotated = outcome !== undefined;
    await concludeContainment(
      incident,
      verdictOf([
        { name: 'old-keys-refused', ok: rotated, detail: outcome?.detail ?? 'the keys were not rotated' },
      ]),
      {
        contained: `${realm}: new signing key, old ones refused`,
        notContained: `${realm}: signing keys NOT rotated`,
        notify: {
          contained: `${realm}: signing keys rotated; everyone logged out`,
          notContained: `${realm}: signing keys NOT rotated`,
        },
      },
    );
    if (!incident.closing) {
      incident.enterPhase('review', 'write the post-incident review');
      await recordReview(incident, 'post-incident review');
    }
  });
}
