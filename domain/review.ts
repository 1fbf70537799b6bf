/**
 * The post-incident review: timeline, the times that matter, what was done and how it went, the
 * evidence, responders' notes and recommendations. Pure: built from the incident state (and the
 * evidence verification), rendered as JSON or Markdown.
 */
import {
  actionDetail,
  type Finding,
  type IncidentState,
  type Closure,
  type RecoveryWave,
  type TimelineEntry,
} from './incident';

export interface ReviewReport {
  incidentId: string;
  playbook: string;
  principal: string;
  severity: string;
  status: string;
  generatedAt: string;
  /** Earliest known sign of the compromise (investigation window or first triggering event). */
  firstSignAt?: string;
  openedAt: string;
  containedAt?: string;
  eradicatedAt?: string;
  recoveredAt?: string;
  closedAt?: string;
  /** How it was closed: disposition, an early close, what had been done, what was put back. */
  closure?: Closure;
  /** The incident as a drill (a replay scenario and a detection regression fixture), once closed. */
  drill?: { scenario: string; fixture: string };
  metrics: {
    timeToDetectMs?: number;
    timeToContainMs?: number;
    timeToEradicateMs?: number;
    timeToRecoverMs?: number;
    approvals: { id: string; action: string; waitedMs?: number; resolution?: string; decidedBy: string[] }[];
  };
  actions: { action: string; target?: string; status: string; at: string; detail: string }[];
  /** Accounts added to the incident after approval, with where each ended up. */
  related: { username: string; status: string; proposedBy: string; reason: string }[];
  recoveryWaves: RecoveryWave[];
  findings: Finding[];
  evidence: { entries: number; verified: boolean; problems: string[] };
  notes: { at: string; actor: string; text: string }[];
  indicators: { ips: string[]; clients: string[]; userAgents?: string[] };
  /**
   * Who outside the identity provider was told to end the person's sessions, and what each said:
   * SSF receivers (by SET), downstream apps (global token revocation), back-channel logout clients.
   */
  relyingParties: {
    ssf: { aud: string[]; event: string; status: string; acknowledgedAt?: string }[];
    downstream: { app: string; status: string; httpStatus?: number; at: string }[];
    backchannelLogout: { clientId: string; endpoint: string; sessions: number }[];
  };
  recommendations: string[];
  timeline: TimelineEntry[];
}

const ms = (from?: string, to?: string) => (from && to ? Date.parse(to) - Date.parse(from) : undefined);

export function buildReview(
  state: IncidentState,
  evidence: { entries: number; ok: boolean; problems: { seq: number; reason: string }[] },
  now: string,
  indicators: ReviewReport['indicators'] = { ips: [], clients: [], userAgents: [] },
): ReviewReport {
  const firstSignAt = state.investigation?.since;
  const findings = state.investigation?.findings ?? [];
  const approvals = state.approvals.map((a) => {
    const decidedAt = a.decisions.length ? a.decisions[a.decisions.length - 1].at : undefined;
    return {
      id: a.id,
      action: a.action,
      waitedMs: ms(a.requestedAt, decidedAt),
      resolution: a.resolution,
      decidedBy: a.decisions.map((d) => `${d.actor} (${d.decision})`),
    };
  });
  const actions = state.actions.map((a) => ({
    action: a.action,
    ...(a.target ? { target: a.target } : {}),
    status: a.status,
    at: a.at,
    detail: actionDetail(a),
  }));
  return {
    incidentId: state.incidentId,
    playbook: state.playbook,
    principal: `${state.principal.username} (${state.principal.provider} realm '${state.principal.realm}')`,
    severity: state.severity,
    status: state.status,
    generatedAt: now,
    firstSignAt,
    openedAt: state.openedAt,
    containedAt: state.containedAt,
    eradicatedAt: state.eradicatedAt,
    recoveredAt: state.recoveredAt,
    closedAt: state.closedAt,
    ...(state.closure ? { closure: state.closure } : {}),
    ...(state.status === 'closed' && state.alerts.some((a) => a.events?.length)
      ? {
          drill: {
            scenario: `/incidents/${state.incidentId}/drill?format=scenario`,
            fixture: `/incidents/${state.incidentId}/drill?format=fixture`,
          },
        }
      : {}),
    metrics: {
      timeToDetectMs: ms(firstSignAt, state.openedAt),
      timeToContainMs: ms(state.openedAt, state.containedAt),
      timeToEradicateMs: ms(state.openedAt, state.eradicatedAt),
      timeToRecoverMs: ms(state.openedAt, state.recoveredAt),
      approvals,
    },
    actions,
    related: (state.related ?? []).map((r) => ({
      username: r.principal.username,
      status: r.status,
      proposedBy: r.proposedBy,
      reason: r.reason,
    })),
    recoveryWaves: state.recoveryWaves ?? [],
    findings,
    evidence: {
      entries: evidence.entries,
      verified: evidence.ok,
      problems: evidence.problems.map((p) => `entry ${p.seq}: ${p.reason}`),
    },
    notes: state.notes ?? [],
    indicators,
    relyingParties: {
      ssf: (state.ssfDeliveries ?? []).map((d) => ({
        aud: d.aud,
        event: d.event,
        status: d.status,
        ...(d.acknowledgedAt ? { acknowledgedAt: d.acknowledgedAt } : {}),
      })),
      downstream: (state.downstreamRevocations ?? []).map((r) => ({
        app: r.app,
        status: r.status,
        ...(r.httpStatus ? { httpStatus: r.httpStatus } : {}),
        at: r.at,
      })),
      backchannelLogout: state.actions.flatMap((a) =>
        a.status === 'done' && a.outcome.loggedOutClients ? a.outcome.loggedOutClients : [],
      ),
    },
    recommendations: recommend(state, findings, approvals),
    timeline: state.timeline,
  };
}

function recommend(
  state: IncidentState,
  findings: Finding[],
  approvals: ReviewReport['metrics']['approvals'],
): string[] {
  const out: string[] = [];
  if (findings.some((f) => f.kind === 'factor')) {
    out.push(
      'Require phishing-resistant MFA (WebAuthn) and alert on factor enrolment after a suspicious login.',
    );
  }
  if (findings.some((f) => f.kind === 'role-grant' && f.privileged)) {
    out.push('Review who may grant privileged roles; alert on privileged grants outside change windows.');
  }
  if (findings.some((f) => f.kind === 'client-used' && f.confidential)) {
    out.push(
      'Move confidential clients to private-key JWT or mTLS client authentication; rotate secrets on a schedule.',
    );
  }
  if (findings.some((f) => f.kind === 'related-principal')) {
    out.push(
      'Investigate the related accounts seen from the same addresses; add them to this incident if warranted.',
    );
  }
  if (findings.some((f) => f.kind === 'realm-change')) {
    out.push(
      'Review the identity-provider, federation and client changes made during the incident window: they can outlive the account.',
    );
  }
  if (findings.some((f) => f.kind === 'signing-key')) {
    out.push(
      'Keep signing keys in an HSM or vault-backed key provider and rotate them on a schedule; alert on tokens whose kid is unknown.',
    );
  }
  const unheard = (state.ssfDeliveries ?? []).filter((d) => d.status !== 'acknowledged');
  if (unheard.length) {
    out.push(
      `Shared Signals receivers did not acknowledge ${unheard.length} event(s) (${[...new Set(unheard.map((d) => d.aud.join(', ')))].join('; ')}): their sessions may outlive containment; check those applications by hand.`,
    );
  }
  const unrevoked = (state.downstreamRevocations ?? []).filter(
    (r) => r.status === 'refused' || r.status === 'failed',
  );
  if (unrevoked.length) {
    out.push(
      `Downstream apps did not revoke the user's tokens (${unrevoked.map((r) => `${r.app}: ${r.status}`).join('; ')}): end those sessions by hand and fix their global token revocation endpoints.`,
    );
  }
  if (state.recoveryWaves?.some((w) => w.status === 'rolled-back')) {
    out.push('A recovery wave was rolled back on a new detection: the attacker may still hold a way in.');
  }
  const settings = findings.filter((f) => f.kind === 'realm-setting');
  if (settings.length) {
    out.push(
      `Fix the realm settings that helped the attack: ${settings.map((f) => (f.kind === 'realm-setting' ? f.setting : '')).join(', ')}.`,
    );
  }
  const slow = approvals.filter((a) => (a.waitedMs ?? 0) > 15 * 60_000);
  if (slow.length)
    out.push(
      `Approvals waited over 15 minutes (${slow.map((a) => a.id).join(', ')}): review on-call approver coverage.`,
    );
  if (state.actions.some((a) => a.status === 'done' && a.outcome.incomplete)) {
    out.push(
      'The identity provider refused some eradication steps (see the actions): finish them by hand or widen the engine’s rights.',
    );
  }
  if (state.actions.some((a) => a.status === 'failed')) {
    out.push('Some actions failed: check the engine’s permissions in the identity provider and re-run them.');
  }
  if (state.verification && !state.verification.verified) {
    out.push('Containment was not verified: treat the account as still compromised until it is.');
  }
  if (!out.length)
    out.push('No gaps found by the playbook; keep the detections that raised this incident tuned.');
  return out;
}

function dur(v?: number): string {
  if (v === undefined) return '—';
  if (v < 1000) return `${v} ms`;
  const s = Math.round(v / 1000);
  return s < 120 ? `${s} s` : `${Math.round(s / 60)} min`;
}

/** One line per finding, for the timeline, approval summaries and the review. */
export function describeFinding(f: Finding): string {
  switch (f.kind) {
    case 'role-grant':
      return `${f.privileged ? 'privileged ' : ''}role '${f.role}' (${f.container}) granted ${f.grantedAt ?? ''} by ${f.grantedBy ?? 'unknown'}`;
    case 'factor':
      return `${f.type} factor ${f.label ? `'${f.label}' ` : ''}enrolled ${f.createdAt ?? ''}`;
    case 'client-used':
      return `${f.confidential ? 'confidential' : 'public'} client '${f.clientId}'${f.authentication ? ` (${f.authentication})` : ''} used ${f.uses} time(s)`;
    case 'grant-by-principal':
      return `the principal did: ${f.what} at ${f.at}`;
    case 'realm-change':
      return `realm change in the window: ${f.what} by ${f.by} at ${f.at}`;
    case 'related-principal':
      return `related account '${f.username}' (${f.via})`;
    case 'realm-setting':
      return `realm setting ${f.setting} is ${f.current} (recommended: ${f.recommended})`;
    case 'signing-key':
      return `active ${f.algorithm} signing key ${f.kid} (token forgery suspected)`;
  }
}

function closureLines(c: Closure | undefined): string[] {
  if (!c) return [];
  const list = (title: string, items: string[] | undefined) =>
    items?.length ? [`- ${title}:`, ...items.map((i) => `  - ${i}`)] : [];
  return [
    `- Closed as: ${c.disposition ?? '—'}, requested by ${c.requestedBy} in phase ${c.phase}${c.early ? ' (early: approved by a second person)' : ''}: ${c.reason}`,
    ...list('Done before closing', c.done),
    ...list('Could be put back', c.reversible),
    ...list('Cannot be put back', c.irreversible),
    ...(c.rollback
      ? [
          `- Rollback: ${c.rollback.resolution ?? 'pending'}; put back: ${c.rollback.undone.join('; ') || 'nothing'}`,
        ]
      : []),
  ];
}

export function renderReviewMarkdown(r: ReviewReport): string {
  const lines = [
    `# Post-incident review: ${r.incidentId}`,
    '',
    `- Principal: ${r.principal}`,
    `- Playbook: ${r.playbook}; severity: ${r.severity}; status: ${r.status}`,
    `- Generated: ${r.generatedAt}`,
    ...closureLines(r.closure),
    ...(r.drill
      ? [
          `- Drill: replay it as an exercise (${r.drill.scenario}); keep its events as a detection regression (${r.drill.fixture})`,
        ]
      : []),
    '',
    '## Times',
    '',
    '| milestone | at | since opening |',
    '| --- | --- | --- |',
    `| first sign | ${r.firstSignAt ?? '—'} | |`,
    `| opened | ${r.openedAt} | |`,
    `| contained | ${r.containedAt ?? '—'} | ${dur(r.metrics.timeToContainMs)} |`,
    `| eradicated | ${r.eradicatedAt ?? '—'} | ${dur(r.metrics.timeToEradicateMs)} |`,
    `| recovered | ${r.recoveredAt ?? '—'} | ${dur(r.metrics.timeToRecoverMs)} |`,
    `| closed | ${r.closedAt ?? '—'} | |`,
    '',
    `Time to detect (first sign → opened): ${dur(r.metrics.timeToDetectMs)}.`,
    '',
    '## Approvals',
    '',
    ...(r.metrics.approvals.length
      ? r.metrics.approvals.map(
          (a) =>
            `- ${a.id} (${a.action}): ${a.resolution ?? 'pending'} after ${dur(a.waitedMs)}${a.decidedBy.length ? ` — ${a.decidedBy.join(', ')}` : ''}`,
        )
      : ['- none needed']),
    '',
    '## Findings',
    '',
    ...(r.findings.length ? r.findings.map((f) => `- ${describeFinding(f)}`) : ['- none']),
    '',
    '## Actions',
    '',
    '| action | on | status | at | result |',
    '| --- | --- | --- | --- | --- |',
    ...r.actions.map(
      (a) =>
        `| ${a.action} | ${a.target ?? '—'} | ${a.status} | ${a.at} | ${a.detail.replace(/\|/g, '\\|')} |`,
    ),
    '',
    '## Scope and recovery',
    '',
    ...(r.related.length
      ? r.related.map((x) => `- added ${x.username} (${x.status}), proposed by ${x.proposedBy}: ${x.reason}`)
      : ['- no account added to the incident']),
    ...r.recoveryWaves.map(
      (w) => `- wave ${w.wave} [${w.principals.join(', ')}]: ${w.status}${w.detail ? ` — ${w.detail}` : ''}`,
    ),
    '',
    '## Evidence',
    '',
    `${r.evidence.entries} entries; chain ${r.evidence.verified ? 'verifies' : `FAILS: ${r.evidence.problems.join('; ')}`}.`,
    '',
    '## Indicators',
    '',
    `- addresses: ${r.indicators.ips.join(', ') || '—'}`,
    `- clients: ${r.indicators.clients.join(', ') || '—'}`,
    `- user agents: ${r.indicators.userAgents?.join(', ') || '—'}`,
    '',
    '## Notes',
    '',
    ...(r.notes.length ? r.notes.map((n) => `- ${n.at} ${n.actor}: ${n.text}`) : ['- none']),
    '',
    '## Recommendations',
    '',
    ...r.recommendations.map((x) => `- ${x}`),
    '',
    '## Timeline',
    '',
    ...r.timeline.map((t) => `- ${t.at} [${t.phase}] ${t.actor}: ${t.message}`),
    '',
  ];
  return lines.join('\n');
}
