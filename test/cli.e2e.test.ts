/**
 * The responder CLI against the live API with real Keycloak sign-ins: `ir login` through the OIDC
 * device authorization grant (a person confirms the code in the browser), tokens kept 0600 in the
 * user's config directory and renewed when expired, then the whole round: the inbox, a decision,
 * a note, a close, the evidence verified — and refusals explained in words.
 */
import { chmodSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { EngineConfig } from '../config/config';
import { runCli } from '../cli/program';
import { approveDeviceLogin } from './support/browser-login';
import { eventually, testConfig, TestApi, TestWorker } from './support/engine';
import { readTestEnv } from './support/env';
import { API_AUDIENCE, KeycloakTestClient, testRealmAuth, REALM, TestUser } from './support/keycloak';

const kc = new KeycloakTestClient(readTestEnv().keycloak.url);
let cliClient: string;
let config: EngineConfig;
let api: TestApi;
let worker: TestWorker;
const users: Record<string, TestUser> = {};
const homes: Record<string, string> = {};

/** Runs `ir` as one person (their own config directory); output captured. */
async function ir(who: string, ...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(argv, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { ...process.env, IR_CONFIG_DIR: homes[who] },
  });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** `ir login`, with the person confirming the code in their browser as the CLI waits. */
async function login(who: string) {
  const out: string[] = [];
  const err: string[] = [];
  let confirmed: Promise<void> | undefined;
  const code = await runCli(['login', '--api', api.url, '--issuer', kc.issuer, '--client-id', cliClient], {
    out: (t) => out.push(t),
    err: (t) => {
      err.push(t);
      const url = /open (\S+) and confirm/.exec(t)?.[1];
      if (url) confirmed = approveDeviceLogin(url, users[who].username, users[who].password);
    },
    env: { ...process.env, IR_CONFIG_DIR: homes[who] },
  });
  await confirmed;
  return { code, out: out.join('\n'), err: err.join('\n') };
}

beforeAll(async () => {
  cliClient = (await kc.createDeviceClient('ir-cli')).id;
  await kc.ensureAudience(cliClient, API_AUDIENCE);
  config = {
    ...testConfig(),
    auth: testRealmAuth(kc.issuer, [cliClient]),
  };
  worker = await TestWorker.start(config);
  api = await TestApi.start(config);
  for (const [name, roles] of Object.entries({ responder: ['ir-responder'], approver: ['ir-approver'] })) {
    users[name] = await kc.createUser(`cli${name}`, { roles });
    homes[name] = path.join(mkdtempSync(path.join(os.tmpdir(), 'ir-cli-')), 'config');
  }
  homes.nobody = path.join(mkdtempSync(path.join(os.tmpdir(), 'ir-cli-')), 'config');
});

afterAll(async () => {
  await api?.stop();
  await worker?.stop();
});

it('signs in with the device grant and keeps the tokens to the user alone', async () => {
  for (const who of ['responder', 'approver']) {
    const res = await login(who);
    expect(res.err).toMatch(/To sign in, open http\S+\/device\?user_code=\S+ and confirm the code \S+/);
    expect(res.code).toBe(0);
    expect(res.out).toContain(`signed in as ${users[who].username}`);
    const file = path.join(homes[who], 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(homes[who]).mode & 0o777).toBe(0o700);
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.tokens.accessToken).toMatch(/^ey/);
    // The token is in the file, never on the terminal.
    expect(res.out + res.err).not.toContain(saved.tokens.accessToken);
  }
});

it('works an incident from the terminal: inbox, approve, show, note, close, evidence', async () => {
  const victim = await kc.createUser('clivictim');
  // The responder opens it through the API with their token (the CLI reads and decides).
  const token = JSON.parse(readFileSync(path.join(homes.responder, 'credentials.json'), 'utf8')).tokens
    .accessToken;
  const opened = await fetch(`${api.url}/incidents`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({
      playbook: 'compromised-credential',
      principal: { provider: 'keycloak', realm: REALM, username: victim.username },
      severity: 'high',
      summary: 'password seen in a paste',
    }),
  }).then((r) => r.json() as Promise<{ incidentId: string }>);
  const id: string = opened.incidentId;

  const inbox = await eventually(async () => {
    const res = await ir('approver', 'inbox', '--json');
    expect(res.code).toBe(0);
    const mine = JSON.parse(res.out).approvals.filter((a: { incidentId: string }) => a.incidentId === id);
    return mine.length ? mine : undefined;
  }, "the approval in the approver's inbox");
  const approvalId: string = inbox[0].approvalId;
  const table = await ir('approver', 'inbox');
  expect(table.out).toMatch(new RegExp(`${id}\\s+${approvalId}\\s+in \\d+ min\\s+0/1`));
  // The requester's own inbox does not offer it (four-eyes); --all says why.
  expect((await ir('responder', 'inbox')).out).not.toContain(approvalId);
  expect((await ir('responder', 'inbox', '--all')).out).toMatch(/no: .*four-eyes|approver role/);

  // A responder without the approver role is told so, in words, with a non-zero exit.
  const refused = await ir('responder', 'approve', id, approvalId);
  expect(refused.code).toBe(1);
  expect(refused.err).toMatch(/^ir: not allowed: .*needs the 'approver' role/);

  const approved = await ir('approver', 'approve', id, approvalId, '--comment', 'confirmed with the user');
  expect(approved.code).toBe(0);
  expect(approved.out).toBe(`${approvalId} (disableAccount): approved`);
  const again = await ir('approver', 'approve', id, approvalId);
  expect(again.code).toBe(1);
  expect(again.err).toMatch(/conflict \(ApprovalAlreadyDecided\): approval .* is already approved/);

  await eventually(
    async () => (await kc.user(victim.id)).enabled === false || undefined,
    'the account disabled',
  );
  const note = await ir('responder', 'note', id, 'user', 'reached', 'by', 'phone');
  expect(note.out).toBe('noted (1 note)');
  const shown = await ir('responder', 'show', id);
  expect(shown.out).toContain(`principal: ${victim.username} (keycloak ${REALM})`);
  expect(shown.out).toContain(`${users.approver.username} approved disableAccount: confirmed with the user`);
  expect(shown.out).toMatch(
    new RegExp(`note\\s+note: user reached by phone \\(${users.responder.username}\\)`),
  );
  const listed = await ir('responder', 'incidents', '--status', 'open', '--json');
  expect(JSON.parse(listed.out).incidents.map((i: { incidentId: string }) => i.incidentId)).toContain(id);

  await eventually(
    async () => (await ir('responder', 'show', id, '--json')).out.includes('"containedAt"') || undefined,
    'containment',
  );
  const closed = await ir('responder', 'close', id, '--disposition', 'contained', '--reason', 'done');
  expect(closed.code).toBe(0);
  const verified = await eventually(async () => {
    const res = await ir('responder', 'evidence', 'verify', id);
    return res.code === 0 ? res : undefined;
  }, 'the evidence to verify');
  expect(verified.out).toMatch(/^evidence verifies: \d+ entries, chain and objects intact$/);
});

it('renews an expired sign-in, and explains what it cannot do', async () => {
  const file = path.join(homes.approver, 'credentials.json');
  const saved = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(file, JSON.stringify({ ...saved, tokens: { ...saved.tokens, expiresAt: 0 } }), {
    mode: 0o600,
  });
  expect((await ir('approver', 'inbox')).code).toBe(0);
  const renewed = JSON.parse(readFileSync(file, 'utf8'));
  expect(renewed.tokens.expiresAt).toBeGreaterThan(Date.now());
  expect(renewed.tokens.accessToken).not.toBe(saved.tokens.accessToken);

  const none = await ir('nobody', 'incidents');
  expect(none.code).toBe(2);
  expect(none.err).toMatch(/not signed in: run 'ir login/);
  const badId = await ir('approver', 'show', 'incident-123');
  expect(badId.code).toBe(1);
  expect(badId.err).toMatch(/not an incident id/);
  const noDisposition = await ir('responder', 'close', 'incident-000000000000000000000000', '--reason', 'x');
  expect(noDisposition.code).toBe(1);
  expect(noDisposition.err).toMatch(/--disposition/);
  const forged = JSON.parse(readFileSync(file, 'utf8'));
  writeFileSync(
    file,
    JSON.stringify({ ...forged, tokens: { ...forged.tokens, accessToken: 'ey.forged.token' } }),
    {
      mode: 0o600,
    },
  );
  const rejected = await ir('approver', 'incidents');
  expect(rejected.code).toBe(2);
  expect(rejected.err).toMatch(/not signed in, or your sign-in is no longer accepted .*run 'ir login'/);
  // A credentials file others can read is refused, not used.
  writeFileSync(file, JSON.stringify(saved));
  chmodSync(file, 0o644);
  const open = await ir('approver', 'incidents');
  expect(open.code).toBe(1);
  expect(open.err).toMatch(/readable by others \(mode 644\)/);
});
