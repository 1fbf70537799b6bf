/**
 * Playbook: MFA fatigue.
 *
 * Someone kept sending MFA prompts and one was accepted. Before any broad action, ask the person:
 * "was this you?" — a link they answer (its token checked by the API). "No" contains the whole
 * account at once; "yes" ends it with nothing changed; no answer (or no way to reach them) puts
 * the decision to a responder, whose silence contains by default.
 */
import { ApplicationFailure, condition, setHandler } from '@temporalio/workflow';
import { principalLabel, type IncidentState, type UserChallenge } from '../domain/incident';
import { resolveMfaFatiguePolicy } from '../domain/policy';
import { userAnswerUpdate, type IncidentInput } from './definitions';
import { run } from './kit/activities';
import { approved, concludeContainment, runPlaybook } from './kit/playbook';
import { failureText, Incident } from './kit/incident';
import { cutAccess, recordReview, snapshotPrincipal, verify, recordOpening } from './kit/steps';
import { announceContainment } from './kit/security-events';

export async function mfaFatigue(input: IncidentInput): Promise<IncidentState> {
  const policy = resolveMfaFatiguePolicy(input.policy);
  const incident = new Incident(input);
  const { state } = incident;
  const { principal } = input;
  const who = principalLabel(principal);

  setHandler(
    userAnswerUpdate,
    (req) => {
      const c = state.userChallenge!;
      c.status = req.answer;
      c.answeredAt = new Date().toISOString();
      if (req.origin) c.origin = req.origin;
      incident.log(
        'note',
        `${principal.username} answered "was this you?": ${req.answer === 'me' ? 'yes, it was me' : 'NO, it was not me'}`,
        principal.username,
        req.origin,
      );
      incident.publish();
      return { recorded: true as const };
    },
    {
      validator: (_req) => {
        if (state.userChallenge?.status !== 'pending')
          throw ApplicationFailure.nonRetryable('no question is waiting for an answer', 'AlreadyAnswered');
      },
    },
  );

  return runPlaybook(incident, input, policy.holdOpenMs, async () => {
    await recordOpening(incident, input, who);
    incident.enterPhase('evidence', `snapshot ${who} before asking`);
    await snapshotPrincipal(incident, principal, input.evidenceLookbackMs);

    // Ask the person first.
    const answer = await askUser(incident, input, policy.askUserMs);
    let contain = answer === 'not-me';
    if (answer === 'me') {
      incident.log('note', `${principal.username} confirmed the sign-in: nothing changes`);
    } else if (answer === 'no-answer') {
      contain = await approved(incident, {
        action: 'containWithoutAnswer',
        summary: `${principal.username} did not answer "was this you?": contain the account?`,
        policy: policy.noAnswer,
      });
    }

    if (contain) {
      incident.enterPhase('contain', `cut every way into ${who}`);
      await cutAccess(incident, principal, { disable: true });
      // Relying parties hear of it (SSF), downstream apps revoke (global token revocation).
      await announceContainment(incident, principal);
      const containedAt = new Date().toISOString();
      incident.enterPhase('verify', `check that containment of ${who} holds`);
      const verification = await verify(incident, {
        evidenceId: state.evidenceId,
        principal,
        containedAt,
        accountDisabled: true,
        suspectTokenRefs: input.suspectTokenRefs ?? [],
      });
      await concludeContainment(
        incident,
        verification,
        {
          contained: 'containment verified',
          notContained: 'containment NOT verified',
          notify: {
            contained: `${who}: contained and verified`,
            notContained: `${who}: containment NOT verified`,
          },
        },
        containedAt,
      );
    }
    if (!incident.closing) {
      incident.enterPhase('review', 'write the post-incident review');
      await recordReview(
        incident,
        contain ? 'post-incident review' : 'post-incident review (the user confirmed)',
      );
    }
  });
}

/** Sends the question and waits for the answer until it expires; `no-answer` when nobody could answer. */
async function askUser(
  incident: Incident,
  input: IncidentInput,
  askUserMs: number,
): Promise<UserChallenge['status']> {
  const askedAt = new Date().toISOString();
  const challenge: UserChallenge = {
    askedAt,
    expiresAt: new Date(Date.now() + askUserMs).toISOString(),
    sent: false,
    status: 'pending',
  };
  incident.state.userChallenge = challenge;
  incident.publish();
  try {
    const sent = await run('challengeUser', `ask ${input.principal.username}: was this you?`, {
      incidentId: incident.state.incidentId,
      principal: input.principal,
      askedAt,
      expiresAt: challenge.expiresAt,
    });
    challenge.sent = sent.sent;
    incident.log(
      'note',
      sent.sent ? `asked ${input.principal.username}: was this you?` : `could not ask: ${sent.reason}`,
    );
  } catch (err) {
    incident.log('note', `could not ask ${input.principal.username}: ${failureText(err)}`);
  }
  if (challenge.sent) {
    await condition(() => challenge.status !== 'pending' || incident.closing, askUserMs);
  }
  if (challenge.status === 'pending') {
    challenge.status = 'no-answer';
    incident.log('note', `no answer from ${input.principal.username}`);
  }
  incident.publish();
  return challenge.status;
}
