import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { explain } from './api-client';
import { configDir, readProfile, writeProfile } from './credentials';
import { relative, runCli } from './program';

describe('ir', () => {
  it('explains refusals in words, with what to do', () => {
    expect(
      explain(401, { error: 'Unauthorized', message: 'the bearer token was refused (JWTExpired)' }),
    ).toMatch(/not signed in.*JWTExpired.*run 'ir login'/);
    expect(explain(403, { error: 'Forbidden', detail: "'bob' needs the 'approver' role" })).toMatch(
      /^not allowed: 'bob' needs the 'approver' role \(ask an administrator/,
    );
    expect(explain(403, { error: 'FourEyesViolation', detail: 'you asked for it' })).toBe(
      "refused by the incident's rules (FourEyesViolation): you asked for it",
    );
    expect(explain(409, { error: 'ApprovalAlreadyDecided', detail: 'already approved' })).toMatch(
      /^conflict \(ApprovalAlreadyDecided\): already approved — read the incident again/,
    );
    expect(explain(500, 'oops')).toBe('the API answered 500: oops');
  });

  it('says how far a deadline is', () => {
    const now = Date.parse('2026-12-01T12:00:00Z');
    expect(relative('2026-12-01T12:14:00Z', now)).toBe('in 14 min');
    expect(relative('2026-12-01T09:00:00Z', now)).toBe('3 h ago');
    expect(relative('2026-12-05T12:00:00Z', now)).toBe('in 4 d');
  });

  it('keeps the profile in the user config dir, owner-only', () => {
    const home = mkdtempSync(path.join(os.tmpdir(), 'ir-unit-'));
    expect(configDir({ XDG_CONFIG_HOME: home })).toBe(path.join(home, 'identity-incident-response'));
    const env = { IR_CONFIG_DIR: path.join(home, 'cfg') };
    const file = writeProfile({ api: 'http://127.0.0.1:3000', actor: 'alice' }, env);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(readProfile(env)).toEqual({ api: 'http://127.0.0.1:3000', actor: 'alice' });
    expect(JSON.parse(readFileSync(file, 'utf8')).actor).toBe('alice');
  });

  it('refuses bad arguments before calling anything', async () => {
    const err: string[] = [];
    const io = {
      out: () => undefined,
      err: (t: string) => err.push(t),
      env: { IR_CONFIG_DIR: '/nonexistent/ir' },
    };
    expect(await runCli(['incidents', '--phase', 'nope'], io)).toBe(1);
    expect(err.join('\n')).toMatch(/Allowed choices are triage, evidence/);
    expect(await runCli(['login', '--api', 'not a url', '--actor', 'a'], io)).toBe(1);
    expect(err.join('\n')).toMatch(/--api 'not a url' is not a URL/);
    expect(await runCli(['login', '--api', 'http://x'], io)).toBe(1);
    expect(err.join('\n')).toMatch(/give --issuer \(OIDC\) or, for a dev-mode API, --actor/);
  });
});
