/**
 * Runs a tabletop exercise with the real playbook code: a throwaway realm (in the in-process lab,
 * on Keycloak, or a fake Okta org or Entra tenant), the scenario's accounts, the engine (worker, API, a pulling detector) with the
 * scenario's faults at its door to the provider, the users' and attacker's actions on schedule,
 * the responders' decisions and the users' answers as they come due; then the outcome is scored
 * against the scenario's expectations.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '@temporalio/client';
import type { LabIdentityProvider } from '../providers/lab/connector';
import type { EngineConfig } from '../config/config';
import type { IncidentState } from '../domain/incident';
import { incidentIdFor } from '../domain/principal-key';
import { REALM_SUBJECT } from '../domain/incident';
import type { DetectionConfig } from '../detection/rules';
import { ensureDetector, stopDetector } from '../worker/detectors';
import {
  KeycloakExerciseIdp,
  LabExerciseIdp,
  type ExerciseAccount,
  type ExerciseClient,
  type ExerciseIdp,
  type FaultSchedule,
  type SessionTokens,
} from './idps';
import { EntraExerciseIdp, OktaExerciseIdp } from './vendor-idps';
import type { ExerciseIdpName, Scenario, ScenarioStep } from './schema';
import { score, type Observed, type Scorecard } from './scorecard';

/** The engine pieces an exercise runs: started by the CLI or by the test harness. */
export interface ExerciseEngine {
  start(
    config: EngineConfig,
    lab?: LabIdentityProvider,
  ): Promise<{
    client: Client;
    apiUrl: string;
    stop(): Promise<void>;
  }>;
}

export interface ExerciseOptions {
  /**
   * Where to run: the in-process lab (default), the Keycloak at `keycloakUrl`, or a fake Okta org
   * or Entra tenant started for the exercise.
   */
  idp?: ExerciseIdpName;
  keycloakUrl?: string;
  /** The engine's base configuration (Temporal, payload keys, evidence folder). */
  config: EngineConfig;
  engine: ExerciseEngine;
  /** Extra seconds after the expected containment time before the exercise is called. */
  graceS?: number;
  log?: (line: string) => void;
  /**
   * People answer the approvals (the inbox, `ir`, the console, chat) instead of the scenario's
   * scripted responders; `onLive` gets the exercise API's address to give them. The exercise then
   * waits up to `liveTimeoutS` (default 900) for containment and an empty inbox.
   */
  live?: { onLive?: (apiUrl: string) => void; timeoutS?: number };
}

/** A scenario that cannot run on the chosen identity provider (push MFA on Keycloak). */
export class ScenarioNotForIdp extends Error {}

async function startIdp(kind: ExerciseIdpName, realm: string, keycloakUrl?: string): Promise<ExerciseIdp> {
  switch (kind) {
    case 'lab':
      return LabExerciseIdp.start(realm);
    case 'keycloak':
      return KeycloakExerciseIdp.start(keycloakUrl ?? 'http://127.0.0.1:18080', realm);
    case 'okta':
      return OktaExerciseIdp.start(realm);
    case 'entra':
      return EntraExerciseIdp.start(realm);
  }
}

export async function runExercise(story: Scenario, opts: ExerciseOptions): Promise<Scorecard> {
  const log = opts.log ?? (() => undefined);
  const kind = opts.idp ?? 'lab';
  if (!story.idps.includes(kind))
    throw new ScenarioNotForIdp(`${story.name} runs on ${story.idps.join(', ')} only, not ${kind}`);
  // Responders who answer only on some providers (a question one provider's evidence raises).
  const scenario: Scenario = {
    ...story,
    responders: story.responders.filter((r) => !r.idps || r.idps.includes(kind)),
  };
  const realm = `exercise-${scenario.name}-${randomUUID().slice(0, 6)}`.slice(0, 60);
  const idp = await startIdp(kind, realm, opts.keycloakUrl);
  const links = await LinkInbox.start();
  let engine: Awaited<ReturnType<ExerciseEngine['start']>> | undefined;
  // The responders' loop; stopped before the engine, however the exercise ends.
  let running = true;
  let responders: Promise<void> | undefined;
  // The story's clock (steps and faults) starts with its first step, once everything is set up.
  let started = Number.POSITIVE_INFINITY;
  const at = (s: number) => started + s * 1000;
  try {
    const accounts = new Map<string, ExerciseAccount>();
    for (const a of scenario.accounts) accounts.set(a.id, await idp.createAccount(a));
    const clients = new Map<string, ExerciseClient>();
    for (const c of scenario.clients) clients.set(c.id, await idp.createClient(c.id));

    // The scenario's faults, answered to the engine's calls to the provider while they last.
    const injected: Observed['faults'] = [];
    const faults: FaultSchedule = (call, kind) => {
      const now = Date.now();
      for (const f of scenario.faults) {
        if (now < at(f.at) || now >= at(f.at + f.for)) continue;
        if (f.scope === 'actions' && kind === 'events') continue;
        const [method, path] = call.includes(' ') ? call.split(' ') : ['CALL', call];
        injected.push({ kind: f.kind, at: now - started, method, path });
        return f.kind === 'idp-outage' ? { status: 503 } : { status: 429, retryAfterS: f.retryAfter };
      }
      return undefined;
    };
    const base: EngineConfig = {
      ...opts.config,
      temporal: { ...opts.config.temporal, taskQueue: `exercise-${randomUUID()}` },
      auth: { mode: 'dev' },
      // The incidents detection opens in this exercise get the scenario's (compressed) policy.
      playbookPolicies:
        scenario.policy && scenario.expect.playbook
          ? { [scenario.expect.playbook]: scenario.policy }
          : undefined,
      // "Was this you?" links reach the runner, which plays the users.
      userChallenge: {
        secret: randomBytes(32).toString('base64url'),
        webhookUrl: links.url,
        publicApiUrl: 'http://exercise.invalid',
      },
    };
    const { config, lab } = await idp.engine(base, faults);
    engine = await opts.engine.start(config, lab);
    // The realm is new: reading it from its start means no event is missed while the detector's
    // first workflow task is still on its way (the story starts as soon as this returns).
    const source = {
      provider: idp.provider,
      tenant: realm,
      pull: { intervalMs: 500, lookbackMs: 10 * 60_000 },
    };
    await ensureDetector(
      engine.client,
      config.temporal.taskQueue,
      source,
      scenario.detection as Partial<DetectionConfig> | undefined,
    );
    log(
      `exercise ${scenario.name} on ${kind}: realm ${realm}, ${scenario.accounts.length} account(s), ${scenario.steps.length} step(s)`,
    );

    const onAccount = accounts.get(scenario.expect.incidentOn);
    const names = onAccount
      ? [onAccount.username, onAccount.userId]
      : scenario.expect.incidentOn === 'realm'
        ? [REALM_SUBJECT]
        : [clients.get(scenario.expect.incidentOn)!.serviceAccount];
    const incidentIds = names.map((username) => incidentIdFor({ provider: idp.provider, realm, username }));
    const api = apiClient(engine.apiUrl);

    // Responders act on the approvals as they come due (or deliberately never answer) — or, live,
    // people do, through the inbox.
    const decisions: Observed['decisions'] = [];
    if (opts.live) {
      log(
        `  live: approvals go to people — API ${engine.apiUrl} (ir login --api ${engine.apiUrl} --actor <you>; ir inbox), console ${engine.apiUrl}/console/`,
      );
      opts.live.onLive?.(engine.apiUrl);
    }
    responders = (async () => {
      if (opts.live) return;
      const done = new Set<string>();
      while (running) {
        const state = await findIncident(api, incidentIds);
        for (const approval of state?.approvals ?? []) {
          const rule = scenario.responders.find((r) => r.approval === approval.action);
          if (!rule || approval.status !== 'pending' || done.has(approval.id)) continue;
          if (Date.now() < Date.parse(approval.requestedAt) + rule.after * 1000) continue;
          done.add(approval.id);
          for (const by of typeof rule.by === 'string' ? [rule.by] : rule.by) {
            if (rule.decision === 'ignore') {
              decisions.push({ approval: approval.id, action: approval.action, decision: 'ignored', by });
              continue;
            }
            const res = await api(
              'POST',
              `/incidents/${state!.incidentId}/approvals`,
              { approvalId: approval.id, decision: rule.decision, comment: 'tabletop exercise' },
              by,
            );
            decisions.push({
              approval: approval.id,
              action: approval.action,
              decision: rule.decision,
              by,
              status: res.status,
            });
          }
        }
        await sleep(250);
      }
    })();

    // The story, on schedule.
    const sessions = new Map<string, { account: ExerciseAccount; tokens: SessionTokens }>();
    const keysBefore = await idp.publishedKeys();
    started = Date.now();
    for (const step of [...scenario.steps].sort((a, b) => a.at - b.at)) {
      await sleep(Math.max(0, at(step.at) - Date.now()));
      const note = await perform(step, { idp, api, accounts, clients, sessions, links, decisions });
      log(
        `  ${((Date.now() - started) / 1000).toFixed(1)} s  ${describeStep(step)}${note ? `: ${note}` : ''}`,
      );
    }

    // Wait for the outcome (or the deadline), then collect what happened. A false-positive drill
    // watches for its window: any incident on the account is the miss.
    const waitS = scenario.expect.noIncident
      ? scenario.expect.watchS
      : opts.live
        ? (opts.live.timeoutS ?? 900)
        : scenario.expect.maxTimeToContainS! + (opts.graceS ?? 30);
    const deadline = Date.now() + waitS * 1000;
    let state: IncidentState | undefined;
    while (Date.now() < deadline) {
      state = await findIncident(api, incidentIds);
      if (state && scenario.expect.noIncident) break;
      if (state && (opts.live ? settledLive(state) : settled(state, scenario, decisions))) break;
      await sleep(500);
    }
    if (opts.live && state) decisions.push(...peopleDecisions(state));
    running = false;
    await responders;
    responders = undefined;
    const alerts =
      (
        (await api('GET', '/alerts?limit=200')).body as {
          alerts?: { rule: string; principal?: { tenant?: string }; time: string }[];
        }
      ).alerts ?? [];
    const accountsNow: Observed['accounts'] = [];
    for (const expectation of scenario.expect.accounts) {
      accountsNow.push({ id: expectation.id, ...(await idp.state(accounts.get(expectation.id)!)) });
    }
    // The leaked secret itself: does it still get a token?
    const clientsNow: Observed['clients'] = [];
    for (const expectation of scenario.expect.clients) {
      const works = await idp.clientLogin(clients.get(expectation.id)!);
      clientsNow.push({ id: expectation.id, originalSecretWorks: works });
    }
    if (state && state.status !== 'closed') {
      await api(
        'POST',
        `/incidents/${state.incidentId}/close`,
        { reason: 'exercise over' },
        'exercise.lead',
      ).catch(() => undefined);
      // Let it finish (final review) while its worker still runs: no rehearsal is left running.
      await Promise.race([
        engine.client.workflow
          .getHandle(state.incidentId)
          .result()
          .catch(() => undefined),
        sleep(15_000),
      ]);
    }
    return score(scenario, {
      startedAt: new Date(started).toISOString(),
      idp: kind,
      realm,
      incident: state,
      detections: alerts
        .filter((a) => a.principal?.tenant === realm)
        .map((a) => ({ rule: a.rule, time: a.time })),
      decisions,
      faults: injected,
      accounts: accountsNow,
      clients: clientsNow,
      signingKeys: { before: keysBefore, after: await idp.publishedKeys() },
      ...(opts.live ? { live: true } : {}),
    });
  } finally {
    running = false;
    await responders?.catch(() => undefined);
    if (engine) {
      await stopDetector(engine.client, { provider: idp.provider, tenant: realm }, 'exercise over').catch(
        () => undefined,
      );
      await engine.stop();
    }
    await links.stop();
    await idp.close();
  }
}

/**
 * Live: containment has ended, one way or the other (what comes after it — hardening, recovery —
 * waits for days in real time and is left to the people).
 */
function settledLive(state: IncidentState): boolean {
  if (state.phase === 'containment-unverified' || state.status === 'closed') return true;
  return Boolean(state.containedAt) && state.phase !== 'contain' && state.phase !== 'verify';
}

/** What the people answering live decided, from the incident's record. */
function peopleDecisions(state: IncidentState): Observed['decisions'] {
  return state.approvals.flatMap((a) =>
    a.decisions.map((d) => ({
      approval: a.id,
      action: a.action,
      decision: d.decision,
      by: d.actor,
      status: 200,
    })),
  );
}

/**
 * Done: the incident contained (or failed to), every expected action taken, every responder the
 * scenario has answer (an approval still to be asked is waited for), nobody left to answer.
 */
function settled(state: IncidentState, scenario: Scenario, decisions: Observed['decisions']): boolean {
  if (state.phase === 'containment-unverified' || state.status === 'closed') return true;
  const taken = new Set(state.actions.filter((a) => a.status === 'done').map((a) => a.action));
  const allTaken = scenario.expect.actions.every((a) => taken.has(a as never));
  const answering = new Set(
    scenario.responders.filter((r) => r.decision !== 'ignore').map((r) => r.approval),
  );
  const waitingOnResponder = state.approvals.some((a) => a.status === 'pending' && answering.has(a.action));
  const decided = new Set(decisions.map((d) => d.action));
  const allAnswered = [...answering].every((action) => decided.has(action));
  return (
    Boolean(state.containedAt) &&
    allTaken &&
    allAnswered &&
    !waitingOnResponder &&
    state.phase !== 'contain' &&
    state.phase !== 'verify'
  );
}

async function perform(
  step: ScenarioStep,
  ctx: {
    idp: ExerciseIdp;
    api: ReturnType<typeof apiClient>;
    accounts: Map<string, ExerciseAccount>;
    clients: Map<string, ExerciseClient>;
    sessions: Map<string, { account: ExerciseAccount; tokens: SessionTokens }>;
    links: LinkInbox;
    decisions: Observed['decisions'];
  },
): Promise<string | undefined> {
  if (step.do === 'forge-tokens') {
    const refused = await ctx.idp.forgeTokens(
      step.for.map((a) => ctx.accounts.get(a)!),
      step,
    );
    return `${refused} of ${step.for.length} forged token(s) refused`;
  }
  if (step.do === 'client-login') {
    const client = ctx.clients.get(step.client)!;
    let granted = 0;
    for (let i = 0; i < step.times; i++) {
      if (i > 0) await sleep(step.every * 1000);
      if (await ctx.idp.clientLogin(client, step)) granted += 1;
    }
    return `${granted} of ${step.times} token(s) granted`;
  }
  const account = ctx.accounts.get(step.as)!;
  switch (step.do) {
    case 'login': {
      const tokens = await ctx.idp.login(account, step);
      if (step.session) ctx.sessions.set(step.session, { account, tokens });
      return undefined;
    }
    case 'login-fail':
      for (let i = 0; i < step.times; i++) await ctx.idp.failLogin(account);
      return undefined;
    case 'grant-role':
      await ctx.idp.grantRole(account, ctx.accounts.get(step.to)!, step.role);
      return undefined;
    case 'token-use': {
      const { tokens } = ctx.sessions.get(step.session)!;
      await ctx.idp.useSession(
        account,
        tokens,
        { from: step.from, userAgent: step.userAgent },
        step.previously,
        async (ndjson) => {
          const res = await ctx.api(
            'POST',
            '/events?provider=keycloak',
            ndjson,
            'exercise.proxy',
            'application/x-ndjson',
          );
          if (res.status !== 200)
            throw new Error(`token-use push: ${res.status} ${JSON.stringify(res.body)}`);
        },
      );
      return undefined;
    }
    case 'mfa-push': {
      let approved = 0;
      for (const [i, answer] of step.answers.entries()) {
        if (i > 0) await sleep(step.every * 1000);
        if (await ctx.idp.pushLogin(account, answer, step)) approved += 1;
      }
      return `${approved} of ${step.answers.length} login(s) got through`;
    }
    case 'answer-challenge': {
      const link = await ctx.links.next(account.username, step.within * 1000);
      if (!link) return `no "was this you?" link arrived within ${step.within} s`;
      const res = await ctx.api(
        'POST',
        `/incidents/${link.incidentId}/was-this-you`,
        { t: link.token, answer: step.answer },
        undefined,
      );
      ctx.decisions.push({
        approval: 'was-this-you',
        action: 'userAnswer',
        decision: step.answer,
        by: step.as,
        status: res.status,
      });
      return `answered "${step.answer}" (${res.status})`;
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
    case 'mfa-push':
      return `the attacker logs in as ${step.as} ${step.answers.length} time(s); ${step.as} answers ${step.answers.join(', ')}`;
    case 'answer-challenge':
      return `${step.as} answers "was this you?": ${step.answer}`;
    case 'forge-tokens':
      return `the attacker mints tokens with the stolen signing key for ${step.for.join(', ')}`;
    case 'client-login':
      return `client ${step.client} authenticates with its secret${step.from ? ` from ${step.from}` : ''} ×${step.times}`;
  }
}

/**
 * Receives the "was this you?" messages the engine sends users (its USER_CHALLENGE_WEBHOOK_URL),
 * so the runner can answer them as each user would.
 */
class LinkInbox {
  private readonly received: { username: string; incidentId: string; token: string }[] = [];

  private constructor(
    private readonly server: http.Server,
    readonly url: string,
  ) {}

  static async start(): Promise<LinkInbox> {
    // eslint-disable-next-line prefer-const -- assigned once the server listens, read by its handler
    let inbox!: LinkInbox;
    const server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        try {
          const msg = JSON.parse(body) as { username: string; incidentId: string; link: string };
          const token = new URL(msg.link).searchParams.get('t') ?? '';
          inbox.received.push({ username: msg.username, incidentId: msg.incidentId, token });
          res.writeHead(204).end();
        } catch {
          res.writeHead(400).end();
        }
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    inbox = new LinkInbox(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
    return inbox;
  }

  /** The next link sent to `username`, waiting up to `withinMs`. */
  async next(username: string, withinMs: number) {
    const until = Date.now() + withinMs;
    while (Date.now() < until) {
      const i = this.received.findIndex((m) => m.username === username);
      if (i >= 0) return this.received.splice(i, 1)[0];
      await sleep(200);
    }
    return undefined;
  }

  stop(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
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
