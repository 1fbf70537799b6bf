/**
 * Investigation and eradication activities: the read-only report into the evidence chain, then the
 * approved remedies through the provider's ports, each change with its before and after recorded.
 */
import type { EvidenceRef, InvestigationSummary, Principal } from '../domain/incident';
import type { ClientDescription, PrincipalSnapshot } from '../providers/ports';
import { eradicate } from '../providers/remediation';
import { action } from './containment';
import { needClient, needGrant, type ActivityContext } from './context';
import { asActivityFailure } from './failures';
import type { EvidenceInput, InvestigateInput, PrincipalInput } from './inputs';

export function eradicationActivities(ctx: ActivityContext) {
  const roles = (p: Principal) => ctx.port(p, 'roles-and-grants');
  const clients = (p: Principal) => ctx.port(p, 'client-credentials');
  const keys = (p: Principal) => ctx.port(p, 'signing-keys');

  const applyRemedies = (name: 'eradicate' | 'hardenRealm' | 'rotateSigningKeys') =>
    action(async ({ principal, plan, since, evidenceId, oldSigningKeys }) => {
      const outcome = await eradicate(ctx.provider(principal), principal, plan ?? [], {
        since: since ?? new Date(0).toISOString(),
        oldSigningKeys,
      });
      const recorded = { ...outcome, action: name };
      if (!evidenceId) return recorded;
      const ref = await ctx.record(evidenceId, name === 'eradicate' ? 'eradication' : name, recorded);
      return { ...recorded, evidence: ref };
    });

  const investigate = async (
    input: InvestigateInput,
  ): Promise<{ ref: EvidenceRef; summary: InvestigationSummary }> => {
    const pre = input.snapshotHash
      ? ((await ctx.deps.evidence.read(input.snapshotHash)) as PrincipalSnapshot)
      : undefined;
    const window = { since: input.since, until: input.until };
    const report = await asActivityFailure(() =>
      ctx.port(input.principal, 'audit-source').investigate(input.principal, window, pre, {
        tokenForgerySuspected: input.tokenForgerySuspected,
      }),
    );
    const ref = await ctx.record(input.evidenceId, 'investigation-report', report);
    return { ref, summary: { ...window, findings: report.findings, reportHash: ref.objectHash } };
  };

  return {
    /**
     * Read-only investigation; the full report goes to the evidence chain, a summary to the workflow.
     * A few at a time per worker (ActivityDeps.investigationConcurrency), so containment comes first.
     */
    async investigate(input: InvestigateInput): Promise<{ ref: EvidenceRef; summary: InvestigationSummary }> {
      return ctx.investigations.run(() => investigate(input));
    },

    /** Applies the approved remedies; every change, with before and after, goes to the evidence chain. */
    eradicate: applyRemedies('eradicate'),
    /** Realm-wide fixes (their own approval): same path, recorded under their own action name. */
    hardenRealm: applyRemedies('hardenRealm'),
    /** Signing-key rotation (critical approval): same path, recorded under its own action name. */
    rotateSigningKeys: applyRemedies('rotateSigningKeys'),

    /** Removes one role mapping (`changed`: it was there — the before-state a compensation restores). */
    revertGrant: action(({ principal, grant }) => roles(principal).revokeRole(principal, needGrant(grant))),
    /** Compensation: the role mapping back as it was. */
    restoreGrant: action(({ principal, grant }) => roles(principal).grantRole(principal, needGrant(grant))),

    /** A client's new secret, proven (the old one refused); the new one is never returned. */
    rotateClientSecret: action(async ({ principal, clientId, since }) => {
      const client = needClient(clientId);
      const finding = { kind: 'client-used' as const, clientId: client, confidential: true, uses: 0 };
      const step = await clients(principal).rotateSecret(
        principal,
        { ...finding, remedy: 'rotate-secret' },
        { since: since ?? new Date(0).toISOString() },
      );
      return {
        action: 'rotateClientSecret',
        changed: step.changed,
        detail: `${step.after}${step.proof ? ` (${step.proof})` : ''}`,
      };
    }),
    /**
     * The client as evidence (credential ids and dates, never a value; its service account), before
     * containment and again to verify it: the stage names the evidence entry.
     */
    async describeClient(
      input: PrincipalInput & EvidenceInput & { clientId: string; stage: 'before' | 'after' },
    ): Promise<{ ref: EvidenceRef; client: ClientDescription }> {
      const client = await asActivityFailure(() =>
        clients(input.principal).describeClient(input.principal, needClient(input.clientId)),
      );
      const kind = input.stage === 'before' ? 'client-snapshot' : 'client-verification';
      return { ref: await ctx.record(input.evidenceId, kind, client), client };
    },
    /** Every token issued to the client so far refused. */
    revokeClientTokens: action(({ principal, clientId, since }) =>
      clients(principal).revokeClientTokens(principal, needClient(clientId), {
        since: since ?? new Date(0).toISOString(),
      }),
    ),

    /** Realm-wide: the active signing keys (ids and algorithms, never key material) into evidence. */
    async recordSigningKeys(
      input: PrincipalInput & EvidenceInput,
    ): Promise<{ ref: EvidenceRef; keys: string[] }> {
      const found = await asActivityFailure(() => keys(input.principal).signingKeys(input.principal.realm));
      const ref = await ctx.record(input.evidenceId, 'signing-keys', found);
      return { ref, keys: found.map((k) => `${k.kid} (${k.algorithm})`) };
    },
    /** Realm-wide signing-key rotation; before and after go to the evidence chain. */
    rotateRealmSigningKeys: action(async ({ principal, since, oldSigningKeys, evidenceId }) => {
      const port = keys(principal);
      const realm = principal.realm;
      const step = await port.rotateSigningKeys(realm, await port.signingKeys(realm), {
        since: since ?? new Date(0).toISOString(),
        oldKeys: oldSigningKeys ?? 'disable',
      });
      const recorded = {
        action: 'rotateRealmSigningKeys' as const,
        changed: step.changed,
        detail: `${step.after}${step.proof ? `; proof: ${step.proof}` : ''}`,
        steps: [step],
      };
      if (!evidenceId) return recorded;
      return { ...recorded, evidence: await ctx.record(evidenceId, 'signing-key-rotation', recorded) };
    }),
  };
}
