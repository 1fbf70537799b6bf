/** The evidence store a deployment uses: a local folder, or S3 with Object Lock (EVIDENCE_STORE=s3). */
import { EngineConfig, requirePayloadProtection, requirePrincipalKeySecret } from '../config/config';
import { payloadCodec } from '../codec/data-converter';
import { SealedTokens } from './sealed-tokens';
import { ChainProblem, checkAnchors, ChainVerification, ManifestEntry } from './chain';
import { EvidenceStore, LocalEvidenceStore } from './local-store';
import { S3EvidenceStore } from './s3-store';

export function evidenceStoreFor(config: EngineConfig): EvidenceStore {
  return config.evidenceS3
    ? new S3EvidenceStore(config.evidenceS3)
    : new LocalEvidenceStore(config.evidenceDir);
}

/** Stolen tokens handed to the engine: encrypted with the payload keys, kept with the evidence. */
export function sealedTokensFor(
  config: EngineConfig,
  store: EvidenceStore = evidenceStoreFor(config),
): SealedTokens {
  return new SealedTokens(
    store,
    payloadCodec(requirePayloadProtection(config)),
    requirePrincipalKeySecret(config),
  );
}

/**
 * An incident's evidence, verified: the chain checks itself (every object re-hashed as read), the
 * entry hashes the incident recorded in Temporal history catch a manifest whose entries were cut
 * off or replaced, and an entry the incident never anchored (written into the chain by anything
 * but the incident's own activities) is refused. While the incident runs (`running`), entries after
 * its last anchor may still be on their way into history and are listed as pending, not refused.
 */
export async function verifyIncidentEvidence(
  store: EvidenceStore,
  evidenceId: string,
  anchors: { seq: number; entryHash: string; kind?: string; entryVersion?: string }[],
  opts: { running?: boolean } = {},
): Promise<{ manifest: ManifestEntry[]; verification: ChainVerification & { pending?: number[] } }> {
  const pins = new Map(anchors.filter((a) => a.entryVersion).map((a) => [a.seq, a.entryVersion!]));
  const manifest = await store.manifest(evidenceId, pins);
  const chain = await store.verify(evidenceId, manifest);
  const anchored = new Set(anchors.map((a) => a.seq));
  const last = Math.max(-1, ...anchored);
  const pending: number[] = [];
  const unanchored: ChainProblem[] = [];
  for (const entry of manifest) {
    if (anchored.has(entry.seq)) continue;
    if (opts.running && entry.seq > last) pending.push(entry.seq);
    else
      unanchored.push({
        seq: entry.seq,
        reason: `entry ${entry.seq} (${entry.kind}) is not anchored in the incident's history`,
      });
  }
  const problems = [...chain.problems, ...checkAnchors(manifest, anchors), ...unanchored];
  return {
    manifest,
    verification: { ...chain, ok: problems.length === 0, problems, ...(pending.length ? { pending } : {}) },
  };
}
