/**
 * Slack request signing (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256(signing secret, "v0:<timestamp>:<raw body>")>` and
 * `X-Slack-Request-Timestamp` within five minutes, compared in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SLACK_WINDOW_S = 300;

export function slackSignature(secret: string, timestamp: string, body: Buffer | string): string {
  return `v0=${createHmac('sha256', secret).update(`v0:${timestamp}:`).update(body).digest('hex')}`;
}

/** Undefined when the request is Slack's; otherwise why not (never echoing the secret). */
export function refuseSlackRequest(
  secret: string,
  timestamp: string | undefined,
  signature: string | undefined,
  body: Buffer | undefined,
  nowS = Math.floor(Date.now() / 1000),
): string | undefined {
  if (!timestamp || !signature || !body)
    return 'X-Slack-Request-Timestamp and X-Slack-Signature are required';
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowS - Number(timestamp)) > SLACK_WINDOW_S)
    return 'the request timestamp is missing or more than 5 minutes away (replayed?)';
  const expected = Buffer.from(slackSignature(secret, timestamp, body));
  const given = Buffer.from(signature);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return 'the Slack signature does not match';
  return undefined;
}
