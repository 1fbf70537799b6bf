/** The evidence store a deployment uses: a local folder, or S3 with Object Lock (EVIDENCE_STORE=s3). */
import type { EngineConfig } from '../config/config';
import { EvidenceStore, LocalEvidenceStore } from './local-store';
import { S3EvidenceStore } from './s3-store';

export function evidenceStoreFor(config: EngineConfig): EvidenceStore {
  return config.evidenceS3
    ? new S3EvidenceStore(config.evidenceS3)
    : new LocalEvidenceStore(config.evidenceDir);
}
