/**
 * The S3 client the evidence store uses: the AWS SDK's (`@aws-sdk/client-s3`), so signing,
 * retries, XML and credentials are the maintained library's. Any S3-compatible store works
 * (AWS S3, MinIO, Ceph RGW, Cloudflare R2, …): with an endpoint set, requests are path-style.
 * Credentials: the access key given in the configuration, or else the SDK's default chain
 * (environment, shared config, web identity / IRSA, ECS and EC2 instance roles).
 */
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';

export interface S3Settings {
  /** e.g. http://127.0.0.1:9000 for an S3-compatible store; unset: AWS S3 in `region`. */
  endpoint?: string;
  region: string;
  bucket: string;
  /** Both or neither: unset, the SDK's default credential chain is used. */
  accessKeyId?: string;
  secretAccessKey?: string;
  sessionToken?: string;
}

export class S3Error extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'S3Error';
  }
}

export function s3Client(s: S3Settings): S3Client {
  return new S3Client({
    region: s.region,
    ...(s.endpoint ? { endpoint: s.endpoint, forcePathStyle: true } : {}),
    ...(s.accessKeyId && s.secretAccessKey
      ? {
          credentials: {
            accessKeyId: s.accessKeyId,
            secretAccessKey: s.secretAccessKey,
            ...(s.sessionToken ? { sessionToken: s.sessionToken } : {}),
          },
        }
      : {}),
    // Object Lock needs an integrity header: the store sends Content-MD5 itself, and the SDK's
    // newer default checksums (CRC32) only where an operation requires one — S3-compatible
    // stores do not all know them.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** The HTTP status and S3 error code of a failed call (undefined for a non-S3 failure). */
export function s3Status(err: unknown): { status?: number; code: string } | undefined {
  if (err instanceof S3ServiceException) return { status: err.$metadata.httpStatusCode, code: err.name };
  const e = err as { $metadata?: { httpStatusCode?: number }; name?: string };
  return e?.$metadata ? { status: e.$metadata.httpStatusCode, code: String(e.name ?? 'Unknown') } : undefined;
}

/** An SDK failure as an S3Error saying what was being done (never with credentials in it). */
export function s3Error(err: unknown, what: string): Error {
  const s = s3Status(err);
  if (!s) return err instanceof Error ? err : new Error(String(err));
  return new S3Error(s.status ?? 0, s.code, `S3 ${what}: ${s.status ?? '?'} ${s.code}`);
}
