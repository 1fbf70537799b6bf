/**
 * SSF delivery: sign a stream's SET with the transmitter key and push it (RFC 8935: POST
 * `application/secevent+jwt`, the receiver answers 202), or sign it for the receiver to poll.
 * A 4xx other than 429 is the receiver refusing the SET: not retried. The SET's token and the
 * stream's authorization header never reach logs or failure messages. A push connects only to
 * public addresses unless its host is in SSF_PUSH_PRIVATE_HOSTS (ssf/egress.ts); one that may not
 * go there is refused for good, without a connection.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { pushFetch, PushTargetRefused } from '../ssf/egress';
import { signSet, type SetClaims, type SigningKey } from '../ssf/set';

export interface DeliverSetInput {
  streamId: string;
  endpoint: string;
  authorizationHeader?: string;
  claims: SetClaims & { jti: string };
}

export function ssfActivities(key: () => Promise<SigningKey>, privateHosts: readonly string[] = []) {
  return {
    async deliverSet(input: DeliverSetInput): Promise<{ status: number }> {
      const { token } = await signSet(await key(), input.claims);
      let res: Awaited<ReturnType<typeof pushFetch>>;
      try {
        res = await pushFetch(
          input.endpoint,
          {
            method: 'POST',
            headers: {
              'content-type': 'application/secevent+jwt',
              accept: 'application/json',
              ...(input.authorizationHeader ? { authorization: input.authorizationHeader } : {}),
            },
            body: token,
            redirect: 'error',
            signal: AbortSignal.timeout(10_000),
          },
          privateHosts,
        );
      } catch (err) {
        const refused = err instanceof PushTargetRefused ? err : notPublic(err);
        if (refused) throw ApplicationFailure.nonRetryable(refused.message, 'PushTargetRefused');
        throw ApplicationFailure.retryable(
          `push to ${new URL(input.endpoint).origin} failed: ${(err as Error).message}`,
          'PushFailed',
        );
      }
      if (res.status === 202) return { status: 202 };
      // RFC 8935 §2.3: a 400 carries { err, description }.
      const body = (await res.json().catch(() => ({}))) as { err?: string; description?: string };
      const why = `receiver answered ${res.status}${body.err ? ` ${String(body.err).slice(0, 60)}` : ''}${body.description ? `: ${String(body.description).slice(0, 200)}` : ''}`;
      if (res.status >= 400 && res.status < 500 && res.status !== 429)
        throw ApplicationFailure.nonRetryable(why, 'PushRefused');
      throw ApplicationFailure.retryable(why, 'PushFailed');
    },

    async signSetForPoll(input: { claims: SetClaims & { jti: string } }): Promise<string> {
      return (await signSet(await key(), input.claims)).token;
    },
  };
}

export type SsfActivities = ReturnType<typeof ssfActivities>;

/** The connection refused because the endpoint's name resolved to an address that is not public. */
function notPublic(err: unknown): Error | undefined {
  for (let e = err as (Error & { code?: string; cause?: unknown }) | undefined, i = 0; e && i < 5; i++) {
    if (e.code === 'ENOTPUBLIC') return e;
    e = e.cause as typeof e;
  }
  return undefined;
}
