import { refuseSlackRequest, slackSignature } from './slack';

describe('Slack request signing', () => {
  const secret = '8f742231b10e8888abcd99yyyzzz85a5';
  const body = Buffer.from('payload=%7B%22type%22%3A%22block_actions%22%7D');
  const now = 1_700_000_000;

  it('accepts a fresh request signed with the secret, over its exact bytes', () => {
    const ts = String(now - 10);
    expect(refuseSlackRequest(secret, ts, slackSignature(secret, ts, body), body, now)).toBeUndefined();
  });

  it('refuses another secret, a changed body, an old or future timestamp, missing headers', () => {
    const ts = String(now);
    const sig = slackSignature(secret, ts, body);
    expect(refuseSlackRequest('another-secret-0123456789', ts, sig, body, now)).toMatch(/does not match/);
    expect(refuseSlackRequest(secret, ts, slackSignature('x'.repeat(32), ts, body), body, now)).toMatch(
      /does not match/,
    );
    expect(refuseSlackRequest(secret, ts, sig, Buffer.concat([body, Buffer.from('&x=1')]), now)).toMatch(
      /does not match/,
    );
    expect(
      refuseSlackRequest(
        secret,
        String(now - 301),
        slackSignature(secret, String(now - 301), body),
        body,
        now,
      ),
    ).toMatch(/5 minutes/);
    expect(
      refuseSlackRequest(
        secret,
        String(now + 301),
        slackSignature(secret, String(now + 301), body),
        body,
        now,
      ),
    ).toMatch(/5 minutes/);
    expect(refuseSlackRequest(secret, undefined, sig, body, now)).toMatch(/required/);
    expect(refuseSlackRequest(secret, 'abc', sig, body, now)).toMatch(/5 minutes/);
    expect(refuseSlackRequest(secret, ts, 'v0=short', body, now)).toMatch(/does not match/);
  });
});
