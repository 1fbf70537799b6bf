/**
 * "Was this you?": the link a user gets to answer for an MFA prompt they may not have sent. The
 * token is an HMAC of the incident and the moment it asked, under USER_CHALLENGE_SECRET; it is
 * never stored in workflow history, only recomputed where it is checked.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function challengeToken(secret: string, incidentId: string, askedAt: string): string {
  return createHmac('sha256', secret).update(`${incidentId}.${askedAt}`).digest('base64url');
}

export function validChallengeToken(
  secret: string,
  incidentId: string,
  askedAt: string,
  token: string,
): boolean {
  const want = Buffer.from(challengeToken(secret, incidentId, askedAt));
  const got = Buffer.from(token);
  return got.length === want.length && timingSafeEqual(got, want);
}
