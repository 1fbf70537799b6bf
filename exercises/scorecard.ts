/**
 * The exercise's scorecard: what the scenario expected against what the engine did — detections,
 * playbook, actions, time to detect and to contain, approval waits, the accounts' final state —
 * with every miss named. Rendered as JSON and Markdown.
 */
import type { IncidentState } from '../domain/incident';
import type { ExerciseIdpName, Scenario } from './schema';

const IDP_LABELS: Record<ExerciseIdpName, string> = {
  lab: 'the in-process lab',
  keycloak: 'Keycloak',
  okta: 'Okta (a local fake org, through the official SDK)',
  entra: 'Entra ID (a local fake tenant, through the Graph SDK)',
};

export interface Observed {
  /** When the first scenario step ran (the attack's start, as far as the scenario knows). */
  startedAt: string;
  /** The identity provider it ran on, and the realm there. */
  idp: ExerciseIdpName;
  realm: string;
  incident?: IncidentState;
  detections: { rule: string; time: string }[];
  decisions: { approval: string; action: string; decision: string; by: string; status?: number }[];
  faults: { kind: string; at: number; method: string; path: string }[];
  accounts: { id: string; enabled: boolean; roles: string[] }[];
  clients: { id: string; originalSecretWorks: boolean }[];
  /** The realm's published signing keys before the story and at the end. */
  signingKeys: { before: string[]; after: string[] };
  /** People answered the approvals (`--live`), not the scenario's scripted responders. */
  live?: boolean;
}

export interface Scorecard {
  scenario: string;
  description: string;
  passed: boolean;
  idp: ExerciseIdpName;
  realm: string;
  incidentId?: string;
  playbook: { expected: string; actual?: string };
  timeToDetectS?: number;
  timeToContainS?: number;
  maxTimeToContainS?: number;
  /** A false-positive drill: no incident was expected, watched for this long. */
  noIncident?: true;
  watchedS?: number;
  live?: true;
  detections: { expected: string[]; actual: string[] };
  actions: { expected: string[]; taken: string[]; missing: string[]; unexpected: string[] };
  approvals: { id: string; action: string; waitedS?: number; resolution?: string }[];
  decisions: Observed['decisions'];
  faults: { injected: number; byKind: Record<string, number>; calls: Record<string, number> };
  accounts: { id: string; enabled: boolean; roles: string[] }[];
  clients: Observed['clients'];
  signingKeys: Observed['signingKeys'];
  misses: string[];
}

export function score(scenario: Scenario, seen: Observed): Scorecard {
  const exp = scenario.expect;
  const misses: string[] = [];
  const incident = seen.incident;
  const secondsFrom = (iso?: string) =>
    iso ? Math.round((Date.parse(iso) - Date.parse(seen.startedAt)) / 100) / 10 : undefined;

  if (exp.noIncident) {
    if (incident)
      misses.push(
        `an incident was opened on ${exp.incidentOn} (${incident.playbook}, phase ${incident.phase}), expected none`,
      );
  } else {
    if (!incident) misses.push(`no incident opened on ${exp.incidentOn}`);
    if (incident && incident.playbook !== exp.playbook)
      misses.push(`playbook ${incident.playbook}, expected ${exp.playbook}`);
  }

  const rules = [...new Set(seen.detections.map((d) => d.rule))];
  for (const rule of exp.detections) if (!rules.includes(rule)) misses.push(`detection ${rule} did not fire`);

  const taken = (incident?.actions ?? [])
    .filter((a) => a.status === 'done')
    .map((a) => (a.target ? `${a.action}(${a.target})` : a.action));
  const names = new Set(
    (incident?.actions ?? []).filter((a) => a.status === 'done').map((a) => a.action as string),
  );
  const missing = exp.actions.filter((a) => !names.has(a));
  const unexpected = exp.notActions.filter((a) => names.has(a));
  for (const a of missing) misses.push(`action ${a} not taken`);
  const repeated = taken.filter((a, i) => taken.indexOf(a) !== i);
  for (const a of new Set(repeated)) misses.push(`action ${a} taken more than once`);
  for (const a of unexpected) misses.push(`action ${a} taken, expected not to be`);

  const timeToContainS = secondsFrom(incident?.containedAt);
  if (exp.noIncident) {
    if (timeToContainS !== undefined)
      misses.push(`contained after ${timeToContainS} s, expected nothing contained`);
  } else if (timeToContainS === undefined) misses.push('never contained');
  else if (exp.maxTimeToContainS !== undefined && timeToContainS > exp.maxTimeToContainS)
    misses.push(`contained after ${timeToContainS} s, expected within ${exp.maxTimeToContainS} s`);

  for (const want of exp.accounts) {
    const got = seen.accounts.find((a) => a.id === want.id);
    if (!got) continue;
    if (want.enabled !== undefined && got.enabled !== want.enabled)
      misses.push(
        `account ${want.id} is ${got.enabled ? 'enabled' : 'disabled'}, expected ${want.enabled ? 'enabled' : 'disabled'}`,
      );
    if (want.hasRole && !got.roles.includes(want.hasRole))
      misses.push(`account ${want.id} lacks role ${want.hasRole}`);
    if (want.lacksRole && got.roles.includes(want.lacksRole))
      misses.push(`account ${want.id} still has role ${want.lacksRole}`);
  }
  if (exp.signingKeysRotated !== undefined) {
    const kept = seen.signingKeys.before.filter((k) => seen.signingKeys.after.includes(k));
    if (exp.signingKeysRotated && kept.length)
      misses.push(`signing key(s) ${kept.join(', ')} still published`);
    if (!exp.signingKeysRotated && kept.length < seen.signingKeys.before.length)
      misses.push('the signing keys changed, expected unchanged');
  }
  for (const want of exp.clients) {
    const got = seen.clients.find((c) => c.id === want.id);
    if (got && got.originalSecretWorks === want.secretRotated)
      misses.push(
        `client ${want.id}: its original secret ${got.originalSecretWorks ? 'still gets a token' : 'no longer works'}, expected ${want.secretRotated ? 'rotated' : 'unchanged'}`,
      );
  }

  // Every responder in the story must have had the question put to them (live, people answered).
  for (const r of seen.live ? [] : scenario.responders)
    if (!seen.decisions.some((d) => d.action === r.approval))
      misses.push(
        `approval ${r.approval} was never requested (the scenario's responder had nothing to answer)`,
      );

  const byKind: Record<string, number> = {};
  const calls: Record<string, number> = {};
  for (const f of seen.faults) {
    byKind[f.kind] = (byKind[f.kind] ?? 0) + 1;
    const call = f.method === 'CALL' ? f.path : `${f.method} ${f.path}`;
    calls[call] = (calls[call] ?? 0) + 1;
  }
  if (scenario.faults.length && !seen.faults.length)
    misses.push(
      `no fault was injected (the engine never called ${seen.idp === 'lab' ? 'the lab' : 'Keycloak'} in the fault window)`,
    );

  return {
    scenario: scenario.name,
    description: scenario.description,
    passed: misses.length === 0,
    idp: seen.idp,
    realm: seen.realm,
    incidentId: incident?.incidentId,
    playbook: { expected: exp.noIncident ? 'none (no incident)' : exp.playbook!, actual: incident?.playbook },
    timeToDetectS: secondsFrom(incident?.openedAt),
    timeToContainS,
    maxTimeToContainS: exp.maxTimeToContainS,
    ...(exp.noIncident ? { noIncident: true, watchedS: exp.watchS } : {}),
    ...(seen.live ? { live: true } : {}),
    detections: { expected: exp.detections, actual: rules },
    actions: { expected: exp.actions, taken, missing, unexpected },
    approvals: (incident?.approvals ?? []).map((a) => {
      const decided = a.decisions.at(-1)?.at;
      return {
        id: a.id,
        action: a.action,
        waitedS: decided
          ? Math.round((Date.parse(decided) - Date.parse(a.requestedAt)) / 100) / 10
          : undefined,
        resolution: a.resolution ?? a.status,
      };
    }),
    decisions: seen.decisions,
    faults: { injected: seen.faults.length, byKind, calls },
    accounts: seen.accounts,
    clients: seen.clients,
    signingKeys: seen.signingKeys,
    misses,
  };
}

export function renderScorecard(s: Scorecard): string {
  const mark = (ok: boolean) => (ok ? 'yes' : '**NO**');
  return [
    `# Exercise scorecard: ${s.scenario} — ${s.passed ? 'PASSED' : 'FAILED'}`,
    '',
    s.description,
    '',
    `Identity provider: ${IDP_LABELS[s.idp]} (realm \`${s.realm}\`)`,
    '',
    `| measure | expected | actual |`,
    `| --- | --- | --- |`,
    `| playbook | ${s.playbook.expected} | ${s.playbook.actual ?? '—'} |`,
    `| detections | ${s.detections.expected.join(', ') || '—'} | ${s.detections.actual.join(', ') || '—'} |`,
    `| time to detect (incident opened) | — | ${s.timeToDetectS ?? '—'} s |`,
    s.noIncident
      ? `| incident | none within ${s.watchedS} s | ${s.incidentId ?? 'none'} |`
      : `| time to contain | ≤ ${s.maxTimeToContainS} s | ${s.timeToContainS ?? '—'} s |`,
    `| actions | ${s.actions.expected.join(', ') || '—'} | ${s.actions.taken.join(', ') || '—'} |`,
    `| faults injected | — | ${
      Object.entries(s.faults.byKind)
        .map(([k, n]) => `${k} ×${n}`)
        .join(', ') || 'none'
    } |`,
    ...(s.faults.injected
      ? [
          '',
          `Faulted calls: ${Object.entries(s.faults.calls)
            .map(([c, n]) => `\`${c}\` ×${n}`)
            .join(', ')}`,
        ]
      : []),
    '',
    '## Approvals',
    '',
    ...(s.approvals.length
      ? s.approvals.map(
          (a) =>
            `- ${a.id} (${a.action}): ${a.resolution ?? 'pending'}${a.waitedS !== undefined ? `, decided after ${a.waitedS} s` : ''}`,
        )
      : ['- none']),
    '',
    '## Decisions (responders and users)',
    '',
    ...(s.decisions.length
      ? s.decisions.map(
          (d) => `- ${d.by} on ${d.approval} (${d.action}): ${d.decision}${d.status ? ` (${d.status})` : ''}`,
        )
      : ['- none']),
    '',
    '## Accounts at the end',
    '',
    ...(s.accounts.length ? [] : ['- none']),
    ...s.accounts.map(
      (a) =>
        `- ${a.id}: ${a.enabled ? 'enabled' : 'disabled'}; roles ${a.roles.filter((r) => !r.startsWith('default-roles')).join(', ') || '—'}`,
    ),
    ...(s.clients.length
      ? [
          '',
          '## Clients at the end',
          '',
          ...s.clients.map(
            (c) =>
              `- ${c.id}: original secret ${c.originalSecretWorks ? 'still gets a token' : 'refused (rotated)'}`,
          ),
        ]
      : []),
    ...(s.signingKeys.before.join() !== s.signingKeys.after.join()
      ? [
          '',
          `Signing keys: ${s.signingKeys.before.join(', ')} before; ${s.signingKeys.after.join(', ')} at the end`,
        ]
      : []),
    '',
    '## Misses',
    '',
    ...(s.misses.length ? s.misses.map((m) => `- ${m}`) : ['- none']),
    '',
    `Passed: ${mark(s.passed)}`,
    '',
  ].join('\n');
}
