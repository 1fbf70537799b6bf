/** The evidence store a deployment uses: a local folder, or S3 with Object Lock (EVIDENCE_STORE=s3). */
import type { EngineConfig } from '../config/config';
import { checkAnchors, ChainVerification, ManifestEntry } from './chain';
import { EvidenceStore, LocalEvidenceStore } from './local-store';
import { S3EvidenceStore } from './s3-store';

export function evidenceStoreFor(config: EngineConfig): EvidenceStore {
  return config.evidenceS3
    ? new S3EvidenceStore(config.evidenceS3)
    : new LocalEvidenceStore(config.evidenceDir);
}

/**
 * An incident's evidence, verified: the chain checks itself, and the entry hashes the incident
 * recorded (in Temporal history) catch a manifest whose last entries were cut off.
 */
export async function verifyIncidentEvidence(
  store: EvidenceStore,
  evidenceId: string,
  anchors: { seq: number; entryHash: string; kind?: string }[],
): Promise<{ manifest: ManifestEntry[]; verification: ChainVerification }> {
  const manifest = await store.manifest(evidenceId);
  const chain = await store.verify(evidenceId, manifest);
  const problems = [...chain.problems, ...checkAnchors(manifest, anchors)];
  return { manifest, verification: { ...chain, ok: problems.length === 0, problems } };
}
