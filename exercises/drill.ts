/**
 * Every incident becomes a drill: a closed incident turned into a tabletop scenario that replays
 * the real attack's story on the lab (the accounts, the steps and their timing, the faults the
 * engine met, the decisions people took) and into a detection regression fixture (the triggering
 * events, which must raise the same rules again). People and addresses are pseudonymised
 * consistently (user-1, responder-1, 198.51.100.x / 2001:db8::x, example.com); vendor event ids,
 * tenants and raw references are replaced. The scenario is validated by the scenario schema before
 * it is handed out.
 */
import { createHash } from 'node:crypto';
import { isIPv4 } from 'node:net';
import { stringify } from 'yaml';
import type { IdentityEvent } from '../detection/events';
import type { IncidentState } from '../domain/incident';
import { parseScenario, type Scenario } from './schema';

export interface DetectionFixture {
  /** What the fixture is (the incident it came from, pseudonymised). */
  description: string;
  /** The rules that must fire again over `events` (with the default detection configuration). */
  expectRules: string[];
  events: IdentityEvent[];
}

export interface Drill {
  name: string;
  scenario: Scenario;
  /** The scenario file's text (YAML), ready for `npm run exercise -- <file>`. */
  scenarioYaml: string;
  fixture: DetectionFixture;
}

export class NoStoryError extends Error {}

/** Longest story a drill replays, in seconds: a longer incident is compressed to fit. */
const MAX_STORY_S = 120;

class Pseudonyms {
  private readonly users = new Map<string, string>();
  private readonly people = new Map<string, string>();
  private readonly ips = new Map<string, string>();

  user(name: string | undefined): string | undefined {
    if (!name) return undefined;
    const key = name.toLowerCase().replace(/@.*$/, '');
    if (!this.users.has(key)) this.users.set(key, `user-${this.users.size + 1}`);
    return this.users.get(key);
  }
  person(name: string): string {
    if (name === 'engine' || name === 'detector') return name;
    if (!this.people.has(name)) this.people.set(name, `responder-${this.people.size + 1}`);
    return this.people.get(name)!;
  }
  ip(ip: string | undefined): string | undefined {
    if (!ip) return undefined;
    if (!this.ips.has(ip)) {
      const n = this.ips.size + 1;
      // Documentation ranges (RFC 5737, RFC 3849): never anyone's real address.
      this.ips.set(
        ip,
        isIPv4(ip)
          ? `${n <= 254 ? '198.51.100' : '203.0.113'}.${((n - 1) % 254) + 1}`
          : `2001:db8::${n.toString(16)}`,
      );
    }
    return this.ips.get(ip);
  }
  /** Free text (a reason, a summary) with every known name and address replaced. */
  text(s: string): string {
    let out = s;
    for (const [real, alias] of [...this.users, ...this.people, ...this.ips].sort(
      (a, b) => b[0].length - a[0].length,
    ))
      out = out.split(real).join(alias);
    return out.replace(/[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g, 'someone@example.com');
  }
}

const idOf = (s: string) => createHash('sha256').update(s).digest('hex').slice(0, 24);

/** The events the incident's detections carried, oldest first, each once. */
function triggeringEvents(state: IncidentState): IdentityEvent[] {
  const seen = new Map<string, IdentityEvent>();
  for (const alert of state.alerts)
    for (const e of (alert.events ?? []) as IdentityEvent[])
      if (e && typeof e === 'object' && typeof e.time === 'string' && !seen.has(e.id)) seen.set(e.id, e);
  return [...seen.values()].sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : 0));
}

export function drillFrom(state: IncidentState): Drill {
  if (state.status !== 'closed')
    throw new NoStoryError(
      `incident ${state.incidentId} is still open: a drill is made from a closed incident`,
    );
  const events = triggeringEvents(state);
  if (!events.length)
    throw new NoStoryError(
      `incident ${state.incidentId} has no detection events to replay (it was opened by a person)`,
    );
  const names = new Pseudonyms();
  const principal = names.user(state.principal.username)!;
  // Every name and address known up front, so free text (summaries, reasons) loses them all.
  for (const e of events) {
    names.user(e.actor?.name);
    names.user(e.target?.name);
    names.ip(e.sourceIp);
  }
  const t0 = Date.parse(events[0].time);
  const span = (Date.parse(events.at(-1)!.time) - t0) / 1000;
  const scale = span > MAX_STORY_S ? MAX_STORY_S / span : 1;
  const at = (iso: string) => Math.round(Math.max(0, (Date.parse(iso) - t0) / 1000) * scale * 10) / 10;

  // The story: logins, failures (runs of them as one step), role grants.
  const steps: Record<string, unknown>[] = [];
  const admins = new Set<string>();
  const accounts = new Set<string>([principal]);
  for (const e of events) {
    const who = names.user(e.actor?.name ?? e.target?.name);
    if (!who) continue;
    if (e.category === 'authentication' && e.activity === 'logon') {
      accounts.add(who);
      const last = steps.at(-1);
      if (e.outcome === 'failure' && last?.do === 'login-fail' && last.as === who) {
        last.times = Math.min(50, Number(last.times) + 1);
        continue;
      }
      steps.push(
        e.outcome === 'failure'
          ? { at: at(e.time), do: 'login-fail', as: who, times: 1 }
          : {
              at: at(e.time),
              do: 'login',
              as: who,
              ...(e.sourceIp ? { from: names.ip(e.sourceIp) } : {}),
              ...(e.userAgent ? { userAgent: e.userAgent.slice(0, 300) } : {}),
            },
      );
    } else if (e.category === 'privilege-change' && e.activity === 'grant' && e.privilege) {
      const grantor = names.user(e.actor?.name);
      const grantee = names.user(e.target?.name);
      if (!grantor || !grantee) continue;
      admins.add(grantor);
      accounts.add(grantor).add(grantee);
      steps.push({ at: at(e.time), do: 'grant-role', as: grantor, to: grantee, role: e.privilege });
    }
  }
  if (!steps.length)
    throw new NoStoryError(
      `incident ${state.incidentId}: none of its events is a step a drill can replay yet (logins, failures, role grants)`,
    );

  // What the engine met on its way (failed calls to the provider) and what people decided.
  const opened = Date.parse(state.openedAt);
  const fromStory = (iso: string) =>
    Math.min(3600, Math.round((((Date.parse(iso) - opened) / 1000) * scale + at(state.openedAt)) * 10) / 10);
  const faults = state.actions
    .filter((a) => a.status === 'failed')
    .slice(0, 10)
    .map((a) => ({
      kind: /429|rate|throttl/i.test('error' in a ? a.error : '') ? '429-storm' : 'idp-outage',
      at: fromStory(a.at),
      for: 5,
      scope: 'actions',
    }));
  const responders: Record<string, unknown>[] = [];
  const policy: Record<string, unknown> = {};
  for (const a of state.approvals) {
    if (a.decisions.length) {
      const first = a.decisions[0];
      responders.push({
        approval: a.action,
        decision: first.decision === 'approve' ? 'approve' : 'reject',
        after: Math.min(
          60,
          Math.max(0, Math.round(((Date.parse(first.at) - Date.parse(a.requestedAt)) / 1000) * scale)),
        ),
        by:
          a.decisions.length > 1 ? a.decisions.map((d) => names.person(d.actor)) : names.person(first.actor),
      });
    } else if (a.resolution === 'default-proceed' || a.resolution === 'default-skip') {
      responders.push({ approval: a.action, decision: 'ignore' });
      // Nobody answered: the policy's default came, on a compressed clock.
      policy[a.action] = {
        timeoutMs: 2000,
        escalations: a.maxEscalations ?? 0,
        onTimeout: a.onTimeout ?? 'skip',
      };
    }
    if (responders.length >= 20) break;
  }

  const done = state.actions.filter((a) => a.status === 'done' && !a.target);
  const actions = [...new Set(done.map((a) => a.action))];
  const disabled = done.some((a) => a.action === 'disableAccount' || a.action === 'suspendAccount');
  const restored = done.some((a) => a.action === 'restoreAccount' || a.action === 'reinstateAccount');
  const rules = [
    ...new Set(
      state.alerts.map((a) => /^detection:(.+)$/.exec(a.source)?.[1]).filter((r): r is string => !!r),
    ),
  ];
  const name = `drill-${state.playbook}-${idOf(state.incidentId).slice(0, 8)}`.slice(0, 40);
  const timeToContain = state.containedAt ? (Date.parse(state.containedAt) - opened) / 1000 : undefined;

  const doc = {
    name,
    description: [
      `Replays incident ${idOf(state.incidentId)} (${state.playbook}, severity ${state.severity}), pseudonymised:`,
      names
        .text(state.summary)
        .slice(0, 300)
        .replace(/([^.])$/, '$1.'),
      scale < 1 ? `Its ${Math.round(span)} s story is compressed to ${MAX_STORY_S} s.` : '',
      `Made with ir drill-from on ${new Date().toISOString().slice(0, 10)}.`,
    ]
      .filter(Boolean)
      .join(' '),
    idps: ['lab'],
    accounts: [...accounts].map((id) => ({ id, ...(admins.has(id) ? { admin: true } : {}) })),
    steps,
    ...(faults.length ? { faults } : {}),
    ...(responders.length ? { responders } : {}),
    ...(Object.keys(policy).length ? { policy } : {}),
    expect: {
      detections: rules,
      playbook: state.playbook,
      incidentOn: principal,
      actions,
      maxTimeToContainS: Math.max(30, Math.min(3600, Math.ceil((timeToContain ?? 30) * 2))),
      ...(actions.length ? { accounts: [{ id: principal, enabled: !disabled || restored }] } : {}),
    },
  };
  const scenarioYaml = stringify(doc, { lineWidth: 100 });
  const scenario = parseScenario(scenarioYaml, `${name}.yaml`);

  const fixture: DetectionFixture = {
    description: `Triggering events of incident ${idOf(state.incidentId)} (${state.playbook}), pseudonymised: ${rules.join(', ')} must fire again.`,
    expectRules: rules,
    events: events.map((e) => pseudonymiseEvent(e, names)),
  };
  return { name, scenario, scenarioYaml, fixture };
}

function pseudonymiseEvent(e: IdentityEvent, names: Pseudonyms): IdentityEvent {
  const party = (p: IdentityEvent['actor']) =>
    p
      ? {
          ...p,
          ...(p.id ? { id: idOf(p.id) } : {}),
          ...(p.name ? { name: `${names.user(p.name)}@example.com` } : {}),
        }
      : undefined;
  return {
    ...e,
    id: idOf(e.id),
    tenant: 'drill',
    rawRef: idOf(e.rawRef ?? e.id).padEnd(64, '0'),
    ...(e.actor ? { actor: party(e.actor) } : {}),
    ...(e.target ? { target: party(e.target) } : {}),
    ...(e.sourceIp ? { sourceIp: names.ip(e.sourceIp) } : {}),
    ...(e.sessionId ? { sessionId: idOf(e.sessionId) } : {}),
    ...(e.reason ? { reason: names.text(e.reason) } : {}),
  } as IdentityEvent;
}
