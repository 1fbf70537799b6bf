/**
 * Fast workflow tests of the six playbooks on the real Temporal dev server with stand-in activities
 * (no identity provider): the order of containment, what waits for a person (and which person may
 * decide), and what a failed or unsupported step does to the verdict — in a second or two each. The
 * end-to-end tests on Keycloak and the lab prove the same playbooks against the real thing.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { ApplicationFailure } from '@temporalio/common';
import { randomUUID } from 'node:crypto';
import type { Alert, IncidentState } from '../domain/incident';
import {
  closeIncidentUpdate,
  decideApprovalUpdate,
  incidentStateQuery,
  type IncidentInput,
} from '../workflows/definitions';
import { eventually } from './support/engine';
import { readTestEnv } from './support/env';

const address = readTestEnv().temporal.url.replace(/^\w+:\/\//, '');
const taskQueue = `playbook-workflows-${randomUUID()}`;
const calls: string[] = [];
let failing: string | undefined;
let failingAs: { type: string; message: string } | undefined;
/** An activity held running until the test lets it finish. */
let held: { name: string; gate: Promise<void> } | undefined;
/** What describeClient reads back: a client acting as a service account (as Keycloak's do). */
let described: { serviceAccount?: string; residualUntil?: string } = {
  serviceAccount: 'service-account-billing',
};
/** How long (ms) the first verification says residual access lasts; none by default. */
let residualFor: number | undefined;
/** What inspectAccess reads back: by default, everything cut. */
let access = { enabled: false, sessions: 0, sessionIds: [] as string[], roleMapped: false };
let worker: Worker;
let running: Promise<void>;
let client: Client;
let connection: NativeConnection;

const ref = (kind: string) => ({
  kind,
  objectHash: 'a'.repeat(64),
  entryHash: 'b'.repeat(64),
  seq: calls.length,
});

/** Stand-ins for every activity the playbook calls; each call is recorded by name. */
const standIn = (name: string) => async (input: Record<string, unknown>) => {
  calls.push(name);
  if (held?.name === name) await held.gate;
  if (name === failing)
    throw ApplicationFailure.nonRetryable(
      failingAs?.message ?? `${name} refused (stand-in)`,
      failingAs?.type ?? 'StandInRefused',
    );
  switch (name) {
    case 'recordEvidence':
      return ref(String(input.kind));
    case 'snapshotEvidence':
      return {
        ref: ref('principal-snapshot'),
        counts: { sessions: 1, offlineSessions: 0, consents: 0, credentials: 1, loginEvents: 3 },
      };
    case 'verifyContainment': {
      // The first verification may report residual access a few seconds long (as Entra's does).
      const residualUntil = calls.filter((c) => c === name).length === 1 ? residualFor : undefined;
      return {
        ref: ref('containment-verification'),
        verification: {
          verified: true,
          checkedAt: new Date().toISOString(),
          checks: [
            { name: 'stand-in', ok: true, detail: 'ok' },
            ...(residualUntil
              ? [
                  {
                    name: 'residual-access',
                    ok: true,
                    detail: 'verified, residual access (stand-in)',
                    residualUntil: new Date(Date.now() + residualUntil).toISOString(),
                  },
                ]
              : []),
          ],
        },
      };
    }
    case 'investigate':
      return {
        ref: ref('investigation-report'),
        summary: { since: input.since, until: input.until, findings: [], reportHash: 'c'.repeat(64) },
      };
    case 'writeReview':
      return { ref: ref('post-incident-review'), indicators: { ips: [], clients: [], userAgents: [] } };
    case 'inspectAccess':
      return access;
    case 'describeClient':
      return {
        ref: ref(`client-${String(input.stage)}`),
        client: {
          clientId: input.clientId,
          // Before: the leaked secret; after: a new one, unless the rotation failed.
          credentials: [
            {
              id: 'secret-1',
              kind: 'secret',
              active: true,
              createdAt:
                input.stage === 'after' && failing !== 'rotateClientSecret'
                  ? new Date().toISOString()
                  : '2020-01-01T00:00:00Z',
            },
          ],
          serviceAccount: described.serviceAccount,
        },
      };
    case 'revokeClientTokens':
      return {
        action: name,
        changed: true,
        detail: `${name} (stand-in)`,
        residualUntil: described.residualUntil,
      };
    case 'recordSigningKeys':
      return { ref: ref('signing-keys'), keys: ['old-kid (RS256)'] };
    case 'challengeUser':
      return { sent: false, reason: 'no channel (stand-in)' };
    case 'notify':
      return undefined;
    case 'emitSecurityEvents':
      return { streams: 1, subject: 'iss_sub' };
    case 'revokeDownstream':
      return { revocations: [] };
    default:
      return { action: name, changed: true, detail: `${name} (stand-in)` };
  }
};

/** Every activity a playbook may call. */
const ACTIVITIES = [
  'inspectAccess',
  'revokeSession',
  'revertGrant',
  'restoreGrant',
  'suspendAccount',
  'restoreAccount',
  'rotateClientSecret',
  'revokeClientTokens',
  'describeClient',
  'recordSigningKeys',
  'rotateRealmSigningKeys',
  'challengeUser',
  'recordEvidence',
  'snapshotEvidence',
  'requireReauthentication',
  'revokeSessions',
  'revokeOfflineAccess',
  'disableAccount',
  'verifyContainment',
  'investigate',
  'eradicate',
  'hardenRealm',
  'rotateSigningKeys',
  'reinstateAccount',
  'rollBackReinstatement',
  'runRecoveryCheck',
  'writeReview',
  'publishIndicators',
  'notify',
  'emitSecurityEvents',
  'revokeDownstream',
];
const activities = Object.fromEntries(ACTIVITIES.map((name) => [name, standIn(name)]));

beforeAll(async () => {
  connection = await NativeConnection.connect({ address });
  worker = await Worker.create({
    connection,
    taskQueue,
    workflowBundle: { codePath: readTestEnv().workflowBundlePath },
    activities,
  });
  running = worker.run();
  client = new Client({ connection: await Connection.connect({ address }) });
});

afterAll(async () => {
  worker?.shutdown();
  await running;
  await connection?.close();
  await client?.connection.close();
});

beforeEach(() => {
  calls.length = 0;
  failing = undefined;
  failingAs = undefined;
  access = { enabled: false, sessions: 0, sessionIds: [], roleMapped: false };
  described = { serviceAccount: 'service-account-billing' };
  residualFor = undefined;
  held = undefined;
});

function input(severity: IncidentInput['severity'], alert: Partial<Alert> = {}): IncidentInput {
  return {
    playbook: 'compromised-credential',
    principal: { provider: 'keycloak', realm: 'corp', username: `wf-${randomUUID().slice(0, 8)}` },
    principalKey: randomUUID().replace(/-/g, '').slice(0, 24),
    severity,
    summary: 'stand-in incident',
    openedBy: 'wf.responder',
    alert: {
      id: randomUUID(),
      source: 'test',
      severity,
      summary: 'stand-in alert',
      raisedAt: new Date().toISOString(),
      reportedBy: 'wf.responder',
      ...alert,
    },
    policy: { holdOpenMs: 60_000 },
  };
}

const WORKFLOW: Record<IncidentInput['playbook'], string> = {
  'compromised-credential': 'compromisedCredential',
  'session-hijack': 'sessionHijack',
  'privilege-escalation': 'privilegeEscalation',
  'mfa-fatigue': 'mfaFatigue',
  'leaked-client-secret': 'leakedClientSecret',
  'signing-key-compromise': 'signingKeyCompromise',
};

async function start(i: IncidentInput) {
  return client.workflow.start(WORKFLOW[i.playbook], {
    workflowId: `incident-wf-${randomUUID().slice(0, 12)}`,
    taskQueue,
    args: [i],
  });
}

function until(handle: Awaited<ReturnType<typeof start>>, ok: (s: IncidentState) => boolean) {
  return eventually(async () => {
    const s = await handle.query(incidentStateQuery);
    return ok(s) ? s : undefined;
  }, 'the incident to get there');
}

/** The stolen password first, then sessions and offline access (together), and the account. */
const CONTAINMENT = ['requireReauthentication', 'revokeSessions', 'revokeOfflineAccess', 'disableAccount'];

/**
 * The provider calls in order; sessions and offline access run at once, so whichever of the two
 * started first is listed in CONTAINMENT's order.
 */
const providerCalls = () => {
  const list = rawProviderCalls();
  for (let i = 0; i + 1 < list.length; i++) {
    if (list[i] === 'revokeOfflineAccess' && list[i + 1] === 'revokeSessions') {
      list[i] = 'revokeSessions';
      list[i + 1] = 'revokeOfflineAccess';
    }
  }
  return list;
};

/** Activity names scheduled by the same workflow task (run at once), from the incident's history. */
async function scheduledTogether(handle: Awaited<ReturnType<typeof start>>): Promise<string[][]> {
  const byTask = new Map<string, string[]>();
  for (const e of (await handle.fetchHistory()).events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    if (!a) continue;
    const task = String(a.workflowTaskCompletedEventId);
    byTask.set(task, [...(byTask.get(task) ?? []), a.activityType?.name ?? '?']);
  }
  return [...byTask.values()];
}

const rawProviderCalls = () =>
  calls.filter(
    (c) =>
      ![
        'recordEvidence',
        'snapshotEvidence',
        'notify',
        'verifyContainment',
        'inspectAccess',
        'describeClient',
        'writeReview',
        'emitSecurityEvents',
        'revokeDownstream',
      ].includes(c),
  );

async function decide(
  handle: Awaited<ReturnType<typeof start>>,
  approvalId: string,
  actor: string,
  decision: 'approve' | 'reject' = 'approve',
) {
  return handle.executeUpdate(decideApprovalUpdate, { args: [{ approvalId, decision, actor }] });
}

const pendingFor = (action: string) => (s: IncidentState) =>
  s.approvals.find((a) => a.action === action && a.status === 'pending');

describe('compromised-credential', () => {
  it('replaces the stolen password before anything else, then cuts sessions and disables (critical)', async () => {
    const handle = await start(input('critical'));
    const state = await until(handle, (s) => s.containedAt !== undefined);
    expect(providerCalls().slice(0, 4)).toEqual(CONTAINMENT);
    expect(state.approvals.filter((a) => a.action !== 'reinstateAccount')).toEqual([]);
    // Sessions and offline access are cut at once, after the password and before the account.
    const batches = await scheduledTogether(handle);
    expect(batches).toContainEqual(['revokeSessions', 'revokeOfflineAccess']);
    expect(batches).toContainEqual(['requireReauthentication']);
    expect(batches).toContainEqual(['disableAccount']);
    expect(state.actions.slice(0, 4).map((a) => a.action)).toEqual(CONTAINMENT);
    await handle.terminate('test done');
  });

  it('verifies again once the residual access the first verification reported has ended', async () => {
    residualFor = 2000;
    const handle = await start(input('critical'));
    const state = await until(handle, (s) =>
      s.timeline.some((t) => / stand-in \(re-verified\): ok/.test(t.message)),
    );
    expect(calls.filter((c) => c === 'verifyContainment')).toHaveLength(2);
    const messages = state.timeline.map((t) => t.message);
    expect(messages).toContainEqual(
      expect.stringMatching(/residual access of .+ ends .+: verification runs again then/),
    );
    expect(messages).toContainEqual(
      expect.stringMatching(/re-verification of .+ after residual access: holds/),
    );
    await handle.terminate('test done');
  });

  it('changes nothing on pushed evidence until a person confirms, then contains', async () => {
    const handle = await start(input('critical', { evidence: 'pushed' }));
    const waiting = await until(handle, (s) => s.approvals.some((a) => a.action === 'confirmContainment'));
    expect(providerCalls()).toEqual([]);
    const confirm = waiting.approvals.find((a) => a.action === 'confirmContainment')!;
    await handle.executeUpdate(decideApprovalUpdate, {
      args: [{ approvalId: confirm.id, decision: 'approve', actor: 'wf.approver' }],
    });
    const state = await until(handle, (s) => s.containedAt !== undefined);
    // Confirmed: the rest acts at the severity it had (disabling without another question).
    expect(providerCalls().slice(0, 4)).toEqual(CONTAINMENT);
    expect(state.approvals.map((a) => a.action)).not.toContain('disableAccount');
    await handle.terminate('test done');
  });

  it('refuses the opener as approver of their own request, by identity', async () => {
    const handle = await start(input('high'));
    const waiting = await until(handle, (s) => s.approvals.some((a) => a.status === 'pending'));
    const approval = waiting.approvals.find((a) => a.status === 'pending')!;
    await expect(
      handle.executeUpdate(decideApprovalUpdate, {
        args: [{ approvalId: approval.id, decision: 'approve', actor: 'WF.Responder' }],
      }),
    ).rejects.toThrow();
    await handle.terminate('test done');
  });

  it('never calls containment verified when a step failed', async () => {
    failing = 'revokeOfflineAccess';
    const handle = await start(input('critical'));
    const state = await until(handle, (s) => s.phase === 'containment-unverified');
    expect(state.containedAt).toBeUndefined();
    expect(state.actions.find((a) => a.action === 'revokeOfflineAccess')?.status).toBe('failed');
    await handle.terminate('test done');
  });

  it('records a port the provider lacks as a finding, and the containment as unverified', async () => {
    failing = 'revokeOfflineAccess';
    failingAs = {
      type: 'PortNotSupported',
      message: 'not supported by okta: the okta connector has no sessions-and-tokens port',
    };
    const handle = await start(input('critical'));
    const state = await until(handle, (s) => s.phase === 'containment-unverified');
    expect(state.containedAt).toBeUndefined();
    const notes = state.timeline.filter((e) => e.kind === 'note').map((e) => e.message);
    expect(notes).toContainEqual(
      expect.stringMatching(/^finding: revokeOfflineAccess .*not supported by okta/),
    );
    // The steps after it still ran: one missing port does not leave the account enabled.
    expect(providerCalls()).toContain('disableAccount');
    await handle.terminate('test done');
  });
});

describe('session-hijack', () => {
  it('ends only the stolen session, verifies it gone, and escalates only with evidence or a person', async () => {
    const handle = await start({
      ...input('high'),
      playbook: 'session-hijack',
      sessionId: 'stolen-session-1',
    });
    const state = await until(handle, (s) => pendingFor('escalateToAccount')(s) !== undefined);
    expect(providerCalls()).toEqual(['revokeSession']);
    expect(state.phase).toBe('contained');
    expect(state.verification?.checks.map((c) => c.name)).toEqual(['stolen-session-ended']);
    await decide(handle, pendingFor('escalateToAccount')(state)!.id, 'wf.approver');
    await until(handle, (s) => s.actions.some((a) => a.action === 'disableAccount'));
    expect(providerCalls()).toEqual(['revokeSession', ...CONTAINMENT]);
    await handle.terminate('test done');
  });

  it('is not contained when the stolen session is still there', async () => {
    access = { ...access, sessions: 1, sessionIds: ['stolen-session-1'] };
    const handle = await start({
      ...input('high'),
      playbook: 'session-hijack',
      sessionId: 'stolen-session-1',
    });
    const state = await until(handle, (s) => s.phase === 'containment-unverified');
    expect(state.containedAt).toBeUndefined();
    await handle.terminate('test done');
  });
});

describe('privilege-escalation', () => {
  const escalation = { role: 'realm-admin', container: 'realm', grantedBy: 'mallory' };

  it('takes the role back before anything else, then the sessions; the grantor never decides', async () => {
    const handle = await start({ ...input('high'), playbook: 'privilege-escalation', escalation });
    const waiting = await until(handle, (s) => pendingFor('suspendAccount')(s) !== undefined);
    expect(providerCalls()).toEqual(['revertGrant', 'revokeSessions']);
    const suspend = pendingFor('suspendAccount')(waiting)!;
    await expect(decide(handle, suspend.id, 'Mallory')).rejects.toThrow();
    await decide(handle, suspend.id, 'wf.approver');
    const confirm = await until(handle, (s) => pendingFor('confirmIncident')(s) !== undefined);
    expect(providerCalls()).toEqual(['revertGrant', 'revokeSessions', 'suspendAccount']);
    expect(confirm.phase).toBe('contained');
    await handle.terminate('test done');
  });

  it('puts the role and the grantor back when a person says the grant was authorised', async () => {
    const handle = await start({ ...input('critical'), playbook: 'privilege-escalation', escalation });
    const waiting = await until(handle, (s) => pendingFor('confirmIncident')(s) !== undefined);
    await decide(handle, pendingFor('confirmIncident')(waiting)!.id, 'wf.approver', 'reject');
    await until(handle, (s) => s.actions.some((a) => a.action === 'restoreGrant'));
    // Newest first: the grantor re-enabled, then the role mapped again.
    expect(providerCalls().slice(-2)).toEqual(['restoreAccount', 'restoreGrant']);
    await handle.terminate('test done');
  });
});

describe('mfa-fatigue', () => {
  it('asks the user first; nobody could be asked, so a person decides, then every way in is cut', async () => {
    const handle = await start({ ...input('high'), playbook: 'mfa-fatigue' });
    const waiting = await until(handle, (s) => pendingFor('containWithoutAnswer')(s) !== undefined);
    expect(providerCalls()).toEqual(['challengeUser']);
    await decide(handle, pendingFor('containWithoutAnswer')(waiting)!.id, 'wf.approver');
    const state = await until(handle, (s) => s.containedAt !== undefined);
    expect(providerCalls()).toEqual(['challengeUser', ...CONTAINMENT]);
    expect(state.phase).toMatch(/contained|review/);
    await handle.terminate('test done');
  });

  it('contains nothing when the approver says no', async () => {
    const handle = await start({ ...input('high'), playbook: 'mfa-fatigue' });
    const waiting = await until(handle, (s) => pendingFor('containWithoutAnswer')(s) !== undefined);
    await decide(handle, pendingFor('containWithoutAnswer')(waiting)!.id, 'wf.approver', 'reject');
    const state = await until(handle, (s) =>
      s.actions.some((a) => a.action === 'containWithoutAnswer' && a.status === 'skipped'),
    );
    expect(providerCalls()).toEqual(['challengeUser']);
    expect(state.containedAt).toBeUndefined();
    await handle.terminate('test done');
  });
});

describe('leaked-client-secret', () => {
  const svc = (severity: IncidentInput['severity']) => {
    const i = input(severity);
    return {
      ...i,
      playbook: 'leaked-client-secret' as const,
      principal: { ...i.principal, username: 'service-account-billing' },
    };
  };

  it('rotates the secret, refuses its tokens and ends the sessions of the client the service account names', async () => {
    const handle = await start(svc('high'));
    const state = await until(handle, (s) => s.containedAt !== undefined);
    expect(providerCalls().slice(0, 3)).toEqual([
      'rotateClientSecret',
      'revokeClientTokens',
      'revokeSessions',
    ]);
    expect(state.verification?.checks.map((c) => [c.name, c.ok])).toEqual([
      ['secret-rotated', true],
      ['tokens-revoked', true],
      ['old-secrets-gone', true],
      ['sessions-ended', true],
    ]);
    await handle.terminate('test done');
  });

  it('on a provider whose applications act as no account: no session step, residual access said with its end', async () => {
    const until_ = new Date(Date.now() + 3_600_000).toISOString();
    described = { serviceAccount: undefined, residualUntil: until_ };
    const handle = await start({
      ...svc('high'),
      principal: { provider: 'okta' as const, realm: 'example.okta.com', username: '0oaclient' },
      clientId: '0oaclient',
    });
    const state = await until(handle, (s) => s.phase === 'review');
    expect(providerCalls()).toEqual(['rotateClientSecret', 'revokeClientTokens']);
    expect(calls.filter((c) => c === 'describeClient')).toHaveLength(2);
    expect(state.verification?.checks.map((c) => [c.name, c.ok])).toEqual([
      ['secret-rotated', true],
      ['tokens-revoked', true],
      ['old-secrets-gone', true],
      ['residual-access', true],
    ]);
    expect(state.verification?.checks.at(-1)?.detail).toContain(`residual access until ${until_}`);
    expect(calls).not.toContain('snapshotEvidence');
    expect(calls).not.toContain('investigate');
    expect(state.timeline.map((t) => t.message)).toContainEqual(
      expect.stringMatching(/finding: client '0oaclient' acts as no account in okta/),
    );
    await handle.terminate('test done');
  });

  it('is not contained when the old secret is still there after containment', async () => {
    failing = 'rotateClientSecret';
    const handle = await start(svc('high'));
    const state = await until(handle, (s) => s.verification !== undefined);
    expect(state.verification?.verified).toBe(false);
    expect(state.verification?.checks.find((c) => c.name === 'old-secrets-gone')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/1 secret\(s\) from before the incident still authenticate/),
    });
    await handle.terminate('test done');
  });

  it('is not contained when the rotation failed', async () => {
    failing = 'rotateClientSecret';
    const handle = await start(svc('high'));
    const state = await until(handle, (s) => s.verification !== undefined);
    expect(state.verification?.verified).toBe(false);
    expect(state.timeline.map((t) => t.message)).toContain("client 'billing' NOT contained");
    expect(state.verification?.checks.find((c) => c.name === 'secret-rotated')?.ok).toBe(false);
    await handle.terminate('test done');
  });
});

describe('signing-key-compromise', () => {
  const realmWide = () => ({ ...input('critical'), playbook: 'signing-key-compromise' as const });

  it('records the keys, then rotates only after two different people approve', async () => {
    const handle = await start(realmWide());
    const waiting = await until(handle, (s) => pendingFor('rotateSigningKeys')(s) !== undefined);
    expect(providerCalls()).toEqual(['recordSigningKeys']);
    const approval = pendingFor('rotateSigningKeys')(waiting)!;
    await decide(handle, approval.id, 'wf.first');
    await expect(decide(handle, approval.id, 'WF.First')).rejects.toThrow();
    expect(providerCalls()).toEqual(['recordSigningKeys']);
    await decide(handle, approval.id, 'wf.second');
    const state = await until(handle, (s) => s.containedAt !== undefined);
    expect(providerCalls()).toEqual(['recordSigningKeys', 'rotateRealmSigningKeys']);
    expect(state.verification?.checks).toEqual([
      expect.objectContaining({ name: 'old-keys-refused', ok: true }),
    ]);
    await handle.terminate('test done');
  });
});

describe('closing early', () => {
  it('lets the step that is running finish and be recorded, starts no other, and offers to put it back', async () => {
    let release!: () => void;
    held = { name: 'disableAccount', gate: new Promise<void>((resolve) => (release = resolve)) };
    const handle = await start(input('critical'));
    await eventually(async () => calls.includes('disableAccount') || undefined, 'disableAccount to start');
    const asked = await handle.executeUpdate(closeIncidentUpdate, {
      args: [{ actor: 'wf.responder', reason: 'false alarm', disposition: 'false-positive' }],
    });
    expect(asked.closure).toMatchObject({ status: 'pending', early: true, phase: 'contain' });
    await decide(handle, asked.closure!.approvalId!, 'wf.lead');
    await until(handle, (s) => s.closure?.status === 'approved');
    const before = calls.length;
    release();
    const waiting = await until(handle, (s) => pendingFor('rollBack')(s) !== undefined);
    // The running step was not lost: recorded as done, and offered back.
    expect(waiting.actions.find((a) => a.action === 'disableAccount')?.status).toBe('done');
    expect(waiting.closure?.reversible).toEqual([
      expect.stringMatching(/^disableAccount on wf-.*enable the account/),
    ]);
    // Nothing else on the identity provider started after the stop.
    expect(
      calls
        .slice(before)
        .filter((c) => !['notify', 'recordEvidence', 'verifyContainment', 'emitSecurityEvents'].includes(c)),
    ).toEqual([]);
    await decide(handle, pendingFor('rollBack')(waiting)!.id, 'wf.lead');
    const closed = await until(handle, (s) => s.status === 'closed');
    expect(closed.closure?.rollback).toMatchObject({
      resolution: 'approved',
      undone: [expect.stringMatching(/^disableAccount/)],
    });
    expect(calls).toContain('restoreAccount');
    expect(closed.containedAt).toBeUndefined();
  });

  it('goes on containing when the second person refuses the early close', async () => {
    let release!: () => void;
    held = { name: 'disableAccount', gate: new Promise<void>((resolve) => (release = resolve)) };
    const handle = await start(input('critical'));
    await eventually(async () => calls.includes('disableAccount') || undefined, 'disableAccount to start');
    const asked = await handle.executeUpdate(closeIncidentUpdate, {
      args: [{ actor: 'wf.responder', reason: 'false alarm?', disposition: 'benign' }],
    });
    await decide(handle, asked.closure!.approvalId!, 'wf.lead', 'reject');
    release();
    const contained = await until(handle, (s) => s.containedAt !== undefined);
    expect(contained.closure?.status).toBe('refused');
    expect(contained.status).toBe('open');
  });
});
