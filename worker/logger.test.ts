import { redactMeta, redactQuoted } from './logger';

describe('worker log redaction', () => {
  it('masks quoted values in failure messages, keeping their shape', () => {
    expect(redactQuoted("KeycloakUserNotFound: user 'alice@corp.example' not in realm 'corp'")).toBe(
      "KeycloakUserNotFound: user '…' not in realm '…'",
    );
  });

  it('keeps the failure type and ids, drops principal names', () => {
    const err = new Error("user 'alice@corp.example' not found");
    err.name = 'KeycloakUserNotFound';
    const meta = redactMeta({ error: err, workflowId: 'incident-abc', activityType: 'disableAccount' })!;
    expect(meta).toEqual({
      error: { name: 'KeycloakUserNotFound', message: "user '…' not found" },
      workflowId: 'incident-abc',
      activityType: 'disableAccount',
    });
    expect(JSON.stringify(meta)).not.toContain('alice');
  });

  it('follows causes, also of errors from another realm (the workflow sandbox)', () => {
    const foreign = {
      name: 'Error',
      message: 'Activity task failed',
      cause: { name: 'ApplicationFailure', message: "user 'bob' gone" },
    };
    expect(redactMeta({ error: foreign })).toEqual({
      error: {
        name: 'Error',
        message: 'Activity task failed',
        cause: { name: 'ApplicationFailure', message: "user '…' gone" },
      },
    });
  });
});
