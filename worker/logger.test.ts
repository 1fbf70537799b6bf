import { Writable } from 'node:stream';
import { createLogger } from '../telemetry/log';
import { redactingLogger, redactMeta, redactQuoted } from './logger';

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

  it('writes one JSON line per entry, redacted, with the incident id lifted out', () => {
    const lines: string[] = [];
    const sink = createLogger('worker', {
      level: 'info',
      format: 'json',
      destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }),
    });
    const log = redactingLogger('INFO', sink);
    const err = new Error("user 'alice@corp.example' not found");
    log.warn("Activity failed for 'alice@corp.example'", {
      error: err,
      workflowId: 'incident-abc',
      attempt: 2,
    });
    log.debug('below the level');
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]);
    expect(record).toMatchObject({
      level: 'warn',
      service: 'worker',
      msg: "Activity failed for '…'",
      incidentId: 'incident-abc',
      workflowId: 'incident-abc',
      attempt: 2,
      error: { name: 'Error', message: "user '…' not found" },
    });
    expect(Date.parse(record.time)).not.toBeNaN();
    expect(lines[0]).not.toContain('alice');
  });

  it('blanks secrets wherever they sit in a record', () => {
    const lines: string[] = [];
    const sink = createLogger('api', {
      format: 'json',
      destination: new Writable({ write: (c, _e, done) => (lines.push(String(c)), done()) }),
    });
    sink.info(
      {
        req: { headers: { authorization: 'Bearer eyJhbGciOi.x.y', cookie: 'sid=abc' } },
        body: { client_secret: 's3cr3t', password: 'hunter2', refresh_token: 'rt-1' },
      },
      'request',
    );
    expect(lines[0]).not.toMatch(/eyJhbGciOi|sid=abc|s3cr3t|hunter2|rt-1/);
    expect(JSON.parse(lines[0]).req.headers.authorization).toBe('[redacted]');
  });
});
