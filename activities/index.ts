/**
 * Everything playbooks do to the world goes through these activities. Built by a factory so the
 * worker and the tests wire real or different dependencies without globals.
 */
import { activityInfo, ApplicationFailure } from '@temporalio/activity';
import type { EvidenceStore } from '../evidence/local-store';
import type { SealedTokens } from '../evidence/sealed-tokens';
import type {
  ActionOutcome,
  ContainmentVerification,
  EvidenceRef,
  Finding,
  IncidentState,
  InvestigationSummary,
  Principal,
  ProviderName,
} from '../domain/incident';
import { verifyIncidentEvidence } from '../evidence/store';
import { challengeToken } from '../domain/user-challenge';
import { buildReview } from '../domain/review';
import { asActivityFailure } from './failures';
import {
  IdentityProviderError,
  type AccessState,
  type IdentityProvider,
  type InvestigationReport,
  type PrincipalSnapshot,
  type RoleGrant,
} from './identity-provider';
import type { Notification, Notifier } from './notifier';
import { PORTS, type ProviderReport } from '../domain/ports';

export interface ActivityDeps {
  providers: Partial<Record<ProviderName, IdentityProvider | undefined>>;
  evidence: EvidenceStore;
  sealedTokens: SealedTokens;
  notifier: Notifier;
  /** Recovery integrity checks by name (RECOVERY_CHECKS): playbooks name them, never give URLs. */
  recoveryChecks?: Record<string, string>;
  /** "Was this you?" links to users (USER_CHALLENGE_*). */
  userChallenge?: { secret: string; webhookUrl?: string; publicApiUrl: string };
}

export interface PrincipalInput {
  principal: Principal;
}

/** An identity-provider action; `since` (the incident's start) lets a retry tell its own effect apart. */
export interface ActionInput extends PrincipalInput {
  since?: string;
  /** Eradication: the findings whose remedies to apply. */
  plan?: Finding[];
  /** Reinstatement: when containment finished (resets after it count). */
  containedAt?: string;
  /** Actions whose before/after belongs in the evidence chain. */
  evidenceId?: string;
  /** Signing-key rotation: what happens to the old keys. */
  oldSigningKeys?: 'disable' | 'passive';
  /** Role grant actions: which role. */
  grant?: RoleGrant;
  /** Session actions: which session. */
  sessionId?: string;
  /** Client actions: which client. */
  clientId?: string;
}

export interface RecoveryCheckInput {
  name: string;
  incidentId: string;
  wave: number;
  principals: string[];
}

export interface InvestigateInput extends PrincipalInput, EvidenceInput {
  since: string;
  until: string;
  /** The pre-containment snapshot's object hash: factors it lists are judged too. */
  snapshotHash?: string;
  /** Token forgery suspected: the realm's active signing keys are findings too. */
  tokenForgerySuspected?: boolean;
}

/** Activities that add to an incident's evidence chain name it by `evidenceId`. */
export interface EvidenceInput {
  evidenceId: string;
}

export interface SnapshotResult {
  ref: EvidenceRef;
  counts: {
    sessions: number;
    offlineSessions: number;
    consents: number;
    credentials: number;
    loginEvents: number;
  };
}

export interface VerifyInput extends PrincipalInput, EvidenceInput {
  containedAt: string;
  accountDisabled: boolean;
  /** The incident's start: the stolen password must have been replaced after it. */
  cutFrom?: string;
  suspectTokenRefs: string[];
}

export function createActivities(deps: ActivityDeps) {
  const provider = (p: Principal): IdentityProvider => {
    const found = deps.providers[p.provider];
    if (!found) {
      throw ApplicationFailure.nonRetryable(
        `no connector configured for provider '${p.provider}'`,
        'ProviderNotConfigured',
      );
    }
    return found;
  };

  const record = async (evidenceId: string, kind: string, content: unknown): Promise<EvidenceRef> => {
    const { entry, entryVersion } = await deps.evidence.record(evidenceId, kind, content, idempotencyKey());
    return {
      kind,
      objectHash: entry.objectHash,
      entryHash: entry.entryHash,
      seq: entry.seq,
      ...(entryVersion ? { entryVersion } : {}),
      ...(entry.objectVersion ? { objectVersion: entry.objectVersion } : {}),
    };
  };

  const act = (fn: (p: IdentityProvider, input: ActionInput) => Promise<ActionOutcome>) =>
    async function (input: ActionInput): Promise<ActionOutcome> {
      return asActivityFailure(() => fn(provider(input.principal), input));
    };

  const applyRemedies = (action: 'eradicate' | 'hardenRealm' | 'rotateSigningKeys') =>
    act(async (p, { principal, plan, since, evidenceId, oldSigningKeys }) => {
      const outcome = await p.eradicate(principal, plan ?? [], {
        since: since ?? new Date(0).toISOString(),
        oldSigningKeys,
      });
      const recorded = { ...outcome, action };
      if (!evidenceId) return recorded;
      const ref = await record(evidenceId, action === 'eradicate' ? 'eradication' : action, recorded);
      return { ...recorded, evidence: ref };
    });

  return {
    async snapshotEvidence(
      input: PrincipalInput & EvidenceInput & { lookbackMs: number },
    ): Promise<SnapshotResult> {
      const snapshot = await asActivityFailure(() =>
        provider(input.principal).snapshot(input.principal, input.lookbackMs),
      );
      const ref = await record(input.evidenceId, 'principal-snapshot', snapshot);
      return {
        ref,
        counts: {
          sessions: snapshot.sessions.length,
          offlineSessions: snapshot.offlineSessions.length,
          consents: snapshot.consents.length,
          credentials: snapshot.credentials.length,
          loginEvents: snapshot.recentLoginEvents.length,
        },
      };
    },

    /**
     * The permissions doctor: for each provider and tenant, which ports the worker's credentials
     * allow. A provider this worker has no connector for is reported as such, never skipped.
     */
    async checkProviders(input: {
      targets: { provider: string; tenant: string }[];
    }): Promise<ProviderReport[]> {
      return Promise.all(
        input.targets.map(async ({ provider, tenant }) => {
          const connector = Object.hasOwn(deps.providers, provider)
            ? deps.providers[provider as ProviderName]
            : undefined;
          if (!connector)
            return uncheckable(
              provider,
              tenant,
              'not-supported',
              `not supported by ${provider}: this worker has no ${provider} connector`,
            );
          // One tenant that cannot be checked (no such realm, provider down) is a finding, not a failure.
          return connector
            .checkPermissions(tenant)
            .catch((err: Error) =>
              uncheckable(provider, tenant, 'missing', `could not be checked: ${err.message.slice(0, 200)}`),
            );
        }),
      );
    },

    /** Records non-secret incident facts (alerts, decisions) in the evidence chain. */
    async recordEvidence(input: EvidenceInput & { kind: string; content: unknown }): Promise<EvidenceRef> {
      return record(input.evidenceId, input.kind, input.content);
    },

    revokeSessions: act((p, { principal, since }) => p.revokeSessions(principal, { since })),
    revokeOfflineAccess: act((p, { principal }) => p.revokeOfflineAccess(principal)),
    requireReauthentication: act((p, { principal, since }) =>
      p.requireReauthentication(principal, { since }),
    ),
    disableAccount: act((p, { principal }) => p.disableAccount(principal)),

    /** Read-only investigation; the full report goes to the evidence chain, a summary to the workflow. */
    async investigate(input: InvestigateInput): Promise<{ ref: EvidenceRef; summary: InvestigationSummary }> {
      const pre = input.snapshotHash
        ? ((await deps.evidence.read(input.snapshotHash)) as PrincipalSnapshot)
        : undefined;
      const window = { since: input.since, until: input.until };
      const report = await asActivityFailure(() =>
        provider(input.principal).investigate(input.principal, window, pre, {
          tokenForgerySuspected: input.tokenForgerySuspected,
        }),
      );
      const ref = await record(input.evidenceId, 'investigation-report', report);
      return { ref, summary: { ...window, findings: report.findings, reportHash: ref.objectHash } };
    },

    /** Applies the approved remedies; every change, with before and after, goes to the evidence chain. */
    eradicate: applyRemedies('eradicate'),
    /** Realm-wide fixes (their own approval): same path, recorded under their own action name. */
    hardenRealm: applyRemedies('hardenRealm'),
    /** Signing-key rotation (critical approval): same path, recorded under its own action name. */
    rotateSigningKeys: applyRemedies('rotateSigningKeys'),

    reinstateAccount: act(async (p, { principal, containedAt, evidenceId }) => {
      const outcome = await p.reinstate(principal, { containedAt: containedAt ?? new Date().toISOString() });
      if (!evidenceId) return outcome;
      return { ...outcome, evidence: await record(evidenceId, 'reinstatement', { principal, ...outcome }) };
    }),

    /** Removes one role mapping (`changed`: it was there — the before-state a compensation restores). */
    revertGrant: act((p, { principal, grant }) => p.revokeRole(principal, needGrant(grant))),
    /** Compensation: the role mapping back as it was. */
    restoreGrant: act((p, { principal, grant }) => p.grantRole(principal, needGrant(grant))),

    /** Suspends an account (disabled, sessions cut); `changed` says it was enabled before. */
    suspendAccount: act(async (p, { principal }) => {
      const disabled = await p.disableAccount(principal);
      const sessions = await p.revokeSessions(principal);
      return {
        action: 'suspendAccount' as const,
        changed: disabled.changed,
        detail: `${disabled.detail}; ${sessions.detail}`,
      };
    }),
    /** A client's new secret, proven (the old one refused); the new one is never returned. */
    rotateClientSecret: act((p, { principal, clientId, since }) =>
      p.rotateClientSecret(principal, needClient(clientId), { since: since ?? new Date(0).toISOString() }),
    ),
    /** Every token issued to the client so far refused. */
    revokeClientTokens: act((p, { principal, clientId, since }) =>
      p.revokeClientTokens(principal, needClient(clientId), { since: since ?? new Date(0).toISOString() }),
    ),

    /** Realm-wide: the active signing keys (ids and algorithms, never key material) into evidence. */
    async recordSigningKeys(
      input: PrincipalInput & EvidenceInput,
    ): Promise<{ ref: EvidenceRef; keys: string[] }> {
      const keys = await asActivityFailure(() =>
        provider(input.principal).signingKeys(input.principal.realm),
      );
      const ref = await record(input.evidenceId, 'signing-keys', keys);
      return { ref, keys: keys.map((k) => `${k.kid} (${k.algorithm})`) };
    },
    /** Realm-wide signing-key rotation; before and after go to the evidence chain. */
    rotateRealmSigningKeys: act(async (p, { principal, since, oldSigningKeys, evidenceId }) => {
      const outcome = await p.rotateRealmSigningKeys(principal.realm, {
        since: since ?? new Date(0).toISOString(),
        oldKeys: oldSigningKeys ?? 'disable',
      });
      const recorded = { ...outcome, action: 'rotateRealmSigningKeys' as const };
      if (!evidenceId) return recorded;
      return { ...recorded, evidence: await record(evidenceId, 'signing-key-rotation', recorded) };
    }),

    /** Ends one (stolen) session, leaving the principal's others alone. */
    revokeSession: act((p, { principal, sessionId }) => {
      if (!sessionId)
        throw new IdentityProviderError('BadActionInput', 'BadActionInput: no session given', false);
      return p.revokeSession(principal, sessionId);
    }),

    /**
     * Asks the user "was this you?": sends a link (its token computed here, never returned or
     * logged) to the configured channel. `sent: false` says why nobody could be asked.
     */
    async challengeUser(input: {
      incidentId: string;
      principal: Principal;
      askedAt: string;
      expiresAt: string;
    }): Promise<{ sent: boolean; reason?: string }> {
      const c = deps.userChallenge;
      if (!c?.webhookUrl)
        return { sent: false, reason: 'no channel to reach users (USER_CHALLENGE_WEBHOOK_URL)' };
      const token = challengeToken(c.secret, input.incidentId, input.askedAt);
      const res = await fetch(c.webhookUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          kind: 'was-this-you',
          incidentId: input.incidentId,
          username: input.principal.username,
          realm: input.principal.realm,
          link: `${c.publicApiUrl}/incidents/${input.incidentId}/was-this-you?t=${token}`,
          expiresAt: input.expiresAt,
        }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`UserChallengeRejected: the user channel answered ${res.status}`);
      return { sent: true };
    },

    /** Read-only access state for a playbook's own verification. */
    async inspectAccess(input: PrincipalInput & { grant?: RoleGrant }): Promise<AccessState> {
      return asActivityFailure(() => provider(input.principal).inspect(input.principal, input.grant));
    },

    /** Compensation: the account enabled again as it was, nothing demanded at next login. */
    restoreAccount: act((p, { principal }) => p.enableAccount(principal)),

    /** Undoes a reinstatement a new detection made unsafe: disabled again, sessions cut again. */
    rollBackReinstatement: act(async (p, { principal, evidenceId }) => {
      const disabled = await p.disableAccount(principal);
      const sessions = await p.revokeSessions(principal);
      const outcome = {
        action: 'rollBackReinstatement' as const,
        changed: disabled.changed || sessions.changed,
        detail: `${disabled.detail}; ${sessions.detail}`,
      };
      if (!evidenceId) return outcome;
      return {
        ...outcome,
        evidence: await record(evidenceId, 'reinstatement-rollback', { principal, ...outcome }),
      };
    }),

    /**
     * One application integrity check for a recovery wave: POSTs the wave to the configured URL;
     * any 2xx passes. The answer's first 200 characters are kept as the detail.
     */
    async runRecoveryCheck(
      input: RecoveryCheckInput,
    ): Promise<{ name: string; ok: boolean; detail: string }> {
      const url = deps.recoveryChecks?.[input.name];
      if (!url)
        return {
          name: input.name,
          ok: false,
          detail: `no recovery check named '${input.name}' is configured`,
        };
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            incidentId: input.incidentId,
            wave: input.wave,
            principals: input.principals,
          }),
          signal: AbortSignal.timeout(10_000),
        });
        const text = (await res.text()).slice(0, 200);
        return { name: input.name, ok: res.ok, detail: `HTTP ${res.status}${text ? `: ${text}` : ''}` };
      } catch (err) {
        // Unreachable is a failed check (the wave holds), not an activity failure to retry for minutes.
        return { name: input.name, ok: false, detail: `no answer: ${(err as Error).message}` };
      }
    },

    /** Builds the post-incident review from the state and the verified evidence, and records it. */
    async writeReview(
      input: EvidenceInput & { state: IncidentState },
    ): Promise<{ ref: EvidenceRef; indicators: ReviewIndicators }> {
      const { verification } = await verifyIncidentEvidence(
        deps.evidence,
        input.evidenceId,
        input.state.evidence,
        { running: true },
      );
      // What the attacker was seen with: the triggering events' addresses and user agents, the
      // routable addresses of the auth timeline, the confidential clients used.
      const events = input.state.alerts.flatMap(
        (a) => (a.events ?? []) as { sourceIp?: string; userAgent?: string }[],
      );
      const ips = new Set(events.map((e) => e.sourceIp).filter(isPublicAddress));
      const userAgents = new Set(events.map((e) => e.userAgent).filter((u): u is string => Boolean(u)));
      const clients = new Set<string>();
      const reportHash = input.state.investigation?.reportHash;
      if (reportHash) {
        const report = (await deps.evidence.read(reportHash)) as InvestigationReport;
        for (const e of report.authTimeline) if (isPublicAddress(e.ip)) ips.add(e.ip);
        for (const c of report.blastRadius.clients) if (c.confidential) clients.add(c.clientId);
      }
      const indicators = { ips: [...ips], clients: [...clients], userAgents: [...userAgents] };
      const review = buildReview(input.state, verification, new Date().toISOString(), indicators);
      return { ref: await record(input.evidenceId, 'post-incident-review', review), indicators };
    },

    async verifyContainment(
      input: VerifyInput,
    ): Promise<{ verification: ContainmentVerification; ref: EvidenceRef }> {
      const suspectTokens = await Promise.all(
        input.suspectTokenRefs.map((ref) => deps.sealedTokens.open(ref)),
      );
      const checks = await asActivityFailure(() =>
        provider(input.principal).verifyContainment(input.principal, {
          containedAt: input.containedAt,
          accountDisabled: input.accountDisabled,
          cutFrom: input.cutFrom,
          suspectTokens,
        }),
      );
      const verification: ContainmentVerification = {
        verified: checks.length > 0 && checks.every((c) => c.ok),
        checkedAt: new Date().toISOString(),
        checks,
      };
      const ref = await record(input.evidenceId, 'containment-verification', verification);
      return { verification, ref };
    },

    async notify(notification: Notification): Promise<void> {
      const { workflowExecution: wf, activityId } = activityInfo();
      await deps.notifier.notify(notification, wf ? `${wf.workflowId}/${wf.runId}/${activityId}` : undefined);
    },
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** What a review hands to detection (ASNs are derived from the addresses there). */
/** Every port of a provider and tenant in one state, for one reason. */
function uncheckable(
  provider: string,
  tenant: string,
  status: 'missing' | 'not-supported',
  detail: string,
): ProviderReport {
  return {
    provider,
    tenant,
    checkedAt: new Date().toISOString(),
    ports: PORTS.map((port) => ({ port, status, detail })),
  };
}

export interface ReviewIndicators {
  ips: string[];
  clients: string[];
  userAgents: string[];
}

function needClient(clientId: string | undefined): string {
  if (!clientId) throw new IdentityProviderError('BadActionInput', 'BadActionInput: no client given', false);
  return clientId;
}

function needGrant(grant: RoleGrant | undefined): RoleGrant {
  if (!grant) throw new IdentityProviderError('BadActionInput', 'BadActionInput: no role given', false);
  return grant;
}

/** Same key on every retry of one activity execution, different for every other execution. */
function idempotencyKey(): string {
  const info = activityInfo();
  const run = info.workflowExecution;
  return `${run?.workflowId ?? 'standalone'}/${run?.runId ?? '-'}/${info.activityId}`;
}

/** Not loopback, link-local or a private (RFC 1918 / ULA) range. */
export function isPublicAddress(ip: string | undefined): ip is string {
  if (!ip) return false;
  if (/^(127\.|10\.|192\.168\.|169\.254\.|0\.)/.test(ip)) return false;
  if (/^172\.(1[6-9]|2\d|3[01])\./.test(ip)) return false;
  if (/^(::1$|fe80:|fc|fd)/i.test(ip)) return false;
  return true;
}
