/**
 * Runs a tabletop exercise with the real playbook code: a throwaway Keycloak realm shaped like the
 * lab realm, the scenario's accounts, the engine (worker, API, a pulling detector) talking to
 * Keycloak through a fault proxy, the users' and attacker's actions on schedule, the responders'
 * decisions as they come due; then the outcome is scored against the scenario's expectations.
 */
import { randomUUID } from 'node:crypto';
import type { EngineConfig } from '../config/config';
import type { IncidentState } from '../domain/incident';
import { incidentIdFor } from '../domain/principal-key';
import { FaultProxy, type Injected } from '../test/support/fault-proxy';
import { KeycloakTestClient, type TestUser, type UserTokens } from '../test/support/keycloak';
import { ensureDetector, stopDetector } from '../worker/detectors';
import type { Scenario, ScenarioStep } from './schema';
import { score, type Observed, type Scorecard } from './scorecard';

/** The engine pieces an exercise runs: started by the CLI or by the test harness. */
export interface ExerciseEngine {
  start(config: EngineConfig): Promise<{
    client: import('@temporalio/client').Client;
    apiUrl: string;
    stop(): Promise<void>;
  }>;
}

export interface ExerciseOptions {
  keycloakUrl: string;
  /** The engine's base configuration (Temporal, payload keys, evidence folder); Keycloak is set here. */
  config: EngineConfig;
  engine: ExerciseEngine;
  /** Extra seconds after the expected containment time before the exercise is called. */
  graceS?: number;
  log?: (line: string) => void;
}

const ENGINE_CLIENT = { id: 'ir-engine', secret: 'local-dev-ir-engine-secret' };

export async function runExercise(scenario: Scenario, opts: ExerciseOptions): Promise<Scorecard> {
  const log = opts.log ?? (() => undefined);
  const admin = new KeycloakTestClient(opts.keycloakUrl);
  const realm = `exercise-${scenario.name}-${randomUUID().slice(0, 6)}`.slice(0, 60);
  const lab = await admin.createRealmLikeCorp(realm);
  let proxy: FaultProxy | undefined;
  let engine: Awaited<ReturnType<ExerciseEngine['start']>> | undefined;
  const started = Date.now();
  const at = (s: number) => started + s * 1000;
  try {
    // The scenario's accounts, in the throwaway realm.
    const accounts = new Map<string, TestUser>();
    for (const a of scenario.accounts) {
      const user = await lab.createUser(a.id);
      for (const role of a.roles) await lab.grantRealmRole(user.id, role);
      if (a.admin) await grantUserManagement(lab, user.id);
      accounts.set(a.id, user);
    }

    // Faults sit between the engine and Keycloak (the attacker and users reach Keycloak directly).
    const injected: Observed['faults'] = [];
    proxy = await FaultProxy.start(opts.keycloakUrl, [], (method, path) => {
      if (!path.startsWith('/admin/')) return undefined;
      const now = Date.now();
      for (const f of scenario.faults) {
        if (now < exerciseTime(started, f.at) || now >= exerciseTime(started, f.at + f.for)) continue;
        const fault: Injected =
          f.kind === 'idp-outage'
            ? { kind: 'status', status: 503 }
            : { kind: 'status', status: 429, headers: { 'retry-after': String(f.retryAfter) } };
        injected.push({ kind: f.kind, at: now - started, method, path: path.split('?')[0] });
        return fault;
      }
      return undefined;
    });

    const config: EngineConfig = {
      ...opts.config,
      temporal: { ...opts.config.temporal, taskQueue: `exercise-${randomUUID()}` },
      keycloak: { baseUrl: proxy.url, clientId: ENGINE_CLIENT.id, clientSecret: ENGINE_CLIENT.secret },
      auth: { mode: 'dev' },
      // The incidents detection opens in this exercise get the scenario's (compressed) policy.
      playbookPolicies: scenario.policy ? { [scenario.expect.playbook]: scenario.policy } : undefined,
    };
    engine = await opts.engine.start(config);
    const source = { provider: 'keycloak' as const, tenant: realm, pull: { intervalMs: 500 } };
    await ensureDetector(engine.client, config.temporal.taskQueue, source);
    log(
      `exercise ${scenario.name}: realm ${realm}, ${scenario.accounts.length} account(s), ${scenario.steps.length} step(s)`,
    );

    const incidentOn = accounts.get(scenario.expect.incidentOn)!;
    const incidentIds = [incidentOn.username, incidentOn.id].map((username) =>
      incidentIdFor({ provider: 'keycloak', realm, username }),
    );
    const api = apiClient(engine.apiUrl);

    // Responders act on the approvals as they come due (or deliberately never answer).
    const decisions: Observed['decisions'] = [];
    let running = true;
    const responders = (async () => {
      const done = new Set<string>();
      while (running) {
        const state = await findIncident(api, incidentIds);
        for (const approval of state?.approvals ?? []) {
          const rule = scenario.responders.find((r) => r.approval === approval.action);
          if (!rule || approval.status !== 'pending' || done.has(approval.id)) continue;
          if (Date.now() < Date.parse(approval.requestedAt) + rule.after * 1000) continue;
          done.add(approval.id);
          if (rule.decision === 'ignore') {
            decisions.push({
              approval: approval.id,
              action: approval.action,
              decision: 'ignored',
              by: rule.by,
            });
            continue;
          }
          const res = await api(
            'POST',
            `/incidents/${state!.incidentId}/approvals`,
            {
              approvalId: approval.id,
              decision: rule.decision,
              comment: 'tabletop exercise',
            },
            rule.by,
          );
          decisions.push({
            approval: approval.id,
            action: approval.action,
            decision: rule.decision,
            by: rule.by,
            status: res.status,
          });
        }
        await sleep(250);
      }
    })();

    // The story, on schedule.
    const sessions = new Map<string, { user: TestUser; tokens: UserTokens }>();
    const firstStepAt = Date.now();
    for (const step of [...scenario.steps].sort((a, b) => a.at - b.at)) {
      await sleep(Math.max(0, at(step.at) - Date.now()));
      await perform(step, { lab, api, accounts, sessions, realm });
      log(`  ${((Date.now() - started) / 1000).toFixed(1)} s  ${describeStep(step)}`);
    }

    // Wait for the outcome (or the deadline), then collect what happened.
    const deadline = Date.now() + (scenario.expect.maxTimeToContainS + (opts.graceS ?? 30)) * 1000;
    let state: IncidentState | undefined;
    while (Date.now() < deadline) {
      state = await findIncident(api, incidentIds);
      if (state && settled(state, scenario)) break;
      await sleep(500);
    }
    running = false;
    await responders;
    const alerts =
      (
        (await api('GET', '/alerts?limit=200')).body as {
          alerts?: { rule: string; principal?: { tenant?: string }; time: string }[];
        }
      ).alerts ?? [];
    const accountsNow: Observed['accounts'] = [];
    for (const expectation of scenario.expect.accounts) {
      const user = accounts.get(expectation.id)!;
      const rep = await lab.user(user.id);
      const roles = (await lab.admin<{ name: string }[]>('GET', `/users/${user.id}/role-mappings/realm`)).map(
        (r) => r.name,
      );
      accountsNow.push({ id: expectation.id, enabled: rep.enabled, roles });
    }
    if (state && state.status !== 'closed') {
      await api(
        'POST',
        `/incidents/${state.incidentId}/close`,
        { reason: 'exercise over' },
        'exercise.lead',
      ).catch(() => undefined);
    }
    return score(scenario, {
      startedAt: new Date(firstStepAt).toISOString(),
      realm,
      incident: state,
      detections: alerts
        .filter((a) => a.principal?.tenant === realm)
        .map((a) => ({ rule: a.rule, time: a.time })),
      decisions,
      faults: injected,
      accounts: accountsNow,
    });
  } finally {
    if (engine) {
      await stopDetector(engine.client, { provider: 'keycloak', tenant: realm }, 'exercise over').catch(
        () => undefined,
      );
      await engine.stop();
    }
    await proxy?.stop();
    await lab.deleteRealm().catch(() => undefined);
  }
}

/** Done: the incident contained (or failed to), every expected action taken, nobody still to answer. */
function settled(state: IncidentState, scenario: Scenario): boolean {
  if (state.phase === 'containment-unverified' || state.status === 'closed') return true;
  const taken = new Set(state.actions.filter((a) => a.status === 'done').map((a) => a.action));
  const allTaken = scenario.expect.actions.every((a) => taken.has(a as never));
  const answering = new Set(
    scenario.responders.filter((r) => r.decision !== 'ignore').map((r) => r.approval),
  );
  const waitingOnResponder = state.approvals.some((a) => a.status === 'pending' && answering.has(a.action));
  return (
    Boolean(state.containedAt) &&
    allTaken &&
    !waitingOnResponder &&
    state.phase !== 'contain' &&
    state.phase !== 'verify'
  );
}

function exerciseTime(started: number, s: number): number {
  return started + s * 1000;
}

async function perform(
  step: ScenarioStep,
  ctx: {
    lab: KeycloakTestClient;
    api: ReturnType<typeof apiClient>;
    accounts: Map<string, TestUser>;
    sessions: Map<string, { user: TestUser; tokens: UserTokens }>;
    realm: string;
  },
): Promise<void> {
  const user = ctx.accounts.get(step.as)!;
  switch (step.do) {
    case 'login': {
      const tokens = await ctx.lab.login(user);
      if (step.session) ctx.sessions.set(step.session, { user, tokens });
      return;
    }
    case 'login-fail':
      for (let i = 0; i < step.times; i++)
        await ctx.lab.login({ ...user, password: `wrong-${randomUUID()}` }).catch(() => undefined);
      return;
    case 'grant-role': {
      const grantee = ctx.accounts.get(step.to)!;
      const { access_token } = await ctx.lab.login(user);
      const role = await ctx.lab.realmRole(step.role);
      const res = await fetch(
        `${ctx.lab.baseUrl}/admin/realms/${ctx.realm}/users/${grantee.id}/role-mappings/realm`,
        {
          method: 'POST',
          headers: { authorization: `Bearer ${access_token}`, 'content-type': 'application/json' },
          body: JSON.stringify([role]),
        },
      );
      if (!res.ok) throw new Error(`grant-role as ${step.as}: Keycloak answered ${res.status}`);
      return;
    }
    case 'token-use': {
      // Reported by the upstream proxy in Keycloak's event format: the session seen before, then
      // the same session from elsewhere.
      const session = ctx.sessions.get(step.session)!;
      const sessionId = session.tokens.session_state!;
      const event = (ip: string, ua: string) => ({
        id: randomUUID(),
        time: Date.now(),
        type: 'REFRESH_TOKEN',
        realmName: ctx.realm,
        clientId: 'corp-app',
        userId: session.user.id,
        sessionId,
        ipAddress: ip,
        details: { username: session.user.username, user_agent: ua },
      });
      const body = [event(step.previously.from, step.previously.userAgent), event(step.from, step.userAgent)]
        .map((e) => JSON.stringify(e))
        .join('\n');
      const res = await ctx.api(
        'POST',
        '/events?provider=keycloak',
        body,
        'exercise.proxy',
        'application/x-ndjson',
      );
      if (res.status !== 200) throw new Error(`token-use push: ${res.status} ${JSON.stringify(res.body)}`);
      return;
    }
  }
}

function describeStep(step: ScenarioStep): string {
  switch (step.do) {
    case 'login':
      return `${step.as} logs in${step.session ? ` (session '${step.session}')` : ''}`;
    case 'login-fail':
      return `${step.as}: ${step.times} failed login(s)`;
    case 'grant-role':
      return `${step.as} grants ${step.role} to ${step.to}`;
    case 'token-use':
      return `session '${step.session}' of ${step.as} used from ${step.from}`;
  }
}

async function grantUserManagement(lab: KeycloakTestClient, userId: string): Promise<void> {
  const [management] = await lab.admin<{ id: string }[]>('GET', '/clients?clientId=realm-management');
  const roles = await Promise.all(
    ['manage-users', 'view-users', 'query-users'].map((r) =>
      lab.admin<{ id: string; name: string }>('GET', `/clients/${management.id}/roles/${r}`),
    ),
  );
  await lab.admin('POST', `/users/${userId}/role-mappings/clients/${management.id}`, roles);
}

function apiClient(baseUrl: string) {
  return async (
    method: string,
    route: string,
    body?: unknown,
    actor = 'exercise',
    contentType = 'application/json',
  ) => {
    const res = await fetch(`${baseUrl}${route}`, {
      method,
      headers: { 'content-type': contentType, 'x-actor': actor },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
  };
}

async function findIncident(
  api: ReturnType<typeof apiClient>,
  ids: string[],
): Promise<IncidentState | undefined> {
  for (const id of ids) {
    const res = await api('GET', `/incidents/${id}`);
    if (res.status === 200) return res.body as IncidentState;
  }
  return undefined;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
