/**
 * The few S3 calls the evidence store needs (PUT, GET, list), signed with AWS Signature Version 4,
 * path-style, so any S3-compatible store works: AWS S3, MinIO, Ceph RGW, Cloudflare R2, … No SDK:
 * the signing is ~40 lines and checked against AWS's published example in s3.test.ts.
 */
import { createHash, createHmac } from 'node:crypto';

export interface S3Settings {
  /** e.g. https://s3.eu-west-1.amazonaws.com or http://127.0.0.1:9000 */
  endpoint: string;
  region: string;
  bucket: string;
  accessKeyId: string;
  secretAccessKey: string;
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

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex');
const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

/** RFC 3986 encoding as SigV4 wants it (slashes kept in paths). */
export function uriEncode(value: string, keepSlash = false): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(keepSlash ? /%2F/g : /$^/, '/');
}

export interface SignInput {
  method: string;
  host: string;
  /** Already-encoded absolute path, e.g. /bucket/objects/ab12 */
  path: string;
  query: Record<string, string>;
  /** Headers to sign besides host, x-amz-date and x-amz-content-sha256. */
  headers: Record<string, string>;
  payloadHash: string;
  amzDate: string; // 20130524T000000Z
  region: string;
  service: string;
  accessKeyId: string;
  secretAccessKey: string;
}

/** The Authorization header value for a request (AWS Signature Version 4). */
export function signV4(input: SignInput): string {
  const headers: Record<string, string> = {
    host: input.host,
    'x-amz-date': input.amzDate,
    'x-amz-content-sha256': input.payloadHash,
  };
  for (const [k, v] of Object.entries(input.headers))
    headers[k.toLowerCase()] = v.trim().replace(/\s+/g, ' ');
  const names = Object.keys(headers).sort();
  const canonicalQuery = Object.keys(input.query)
    .sort()
    .map((k) => `${uriEncode(k)}=${uriEncode(input.query[k])}`)
    .join('&');
  const canonicalRequest = [
    input.method,
    input.path,
    canonicalQuery,
    names.map((n) => `${n}:${headers[n]}\n`).join(''),
    names.join(';'),
    input.payloadHash,
  ].join('\n');
  const day = input.amzDate.slice(0, 8);
  const scope = `${day}/${input.region}/${input.service}/aws4_request`;
  const toSign = ['AWS4-HMAC-SHA256', input.amzDate, scope, sha256(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${input.secretAccessKey}`, day);
  for (const part of [input.region, input.service, 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return `AWS4-HMAC-SHA256 Credential=${input.accessKeyId}/${scope}, SignedHeaders=${names.join(';')}, Signature=${signature}`;
}

export class S3Client {
  private readonly base: URL;

  constructor(private readonly s: S3Settings) {
    this.base = new URL(s.endpoint);
  }

  async request(
    method: 'GET' | 'PUT' | 'HEAD' | 'DELETE',
    key: string,
    opts: { query?: Record<string, string>; headers?: Record<string, string>; body?: string | Buffer } = {},
  ): Promise<Response> {
    const path = `/${uriEncode(this.s.bucket)}${key ? `/${uriEncode(key, true)}` : ''}`;
    const query = opts.query ?? {};
    const body = opts.body ?? '';
    const payloadHash = sha256(body);
    const amzDate = new Date()
      .toISOString()
      .replace(/[-:]/g, '')
      .replace(/\.\d{3}/, '');
    const headers: Record<string, string> = { ...opts.headers };
    if (this.s.sessionToken) headers['x-amz-security-token'] = this.s.sessionToken;
    const authorization = signV4({
      method,
      host: this.base.host,
      path,
      query,
      headers,
      payloadHash,
      amzDate,
      region: this.s.region,
      service: 's3',
      accessKeyId: this.s.accessKeyId,
      secretAccessKey: this.s.secretAccessKey,
    });
    const qs = Object.keys(query).length
      ? `?${Object.entries(query)
          .map(([k, v]) => `${uriEncode(k)}=${uriEncode(v)}`)
          .join('&')}`
      : '';
    return fetch(`${this.base.origin}${path}${qs}`, {
      method,
      headers: { ...headers, authorization, 'x-amz-date': amzDate, 'x-amz-content-sha256': payloadHash },
      body: method === 'PUT' ? body : undefined,
      signal: AbortSignal.timeout(15_000),
    });
  }

  /** Throws S3Error with the service's code for anything but 2xx. */
  async ok(res: Response, what: string): Promise<Response> {
    if (res.ok) return res;
    const text = await res.text();
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? String(res.status);
    throw new S3Error(res.status, code, `S3 ${what}: ${res.status} ${code}`);
  }

  /** Every key under `prefix` (ListObjectsV2, all pages). */
  async list(prefix: string): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const query: Record<string, string> = { 'list-type': '2', prefix };
      if (token) query['continuation-token'] = token;
      const xml = await (await this.ok(await this.request('GET', '', { query }), `list ${prefix}`)).text();
      for (const m of xml.matchAll(/<Key>([^<]+)<\/Key>/g)) keys.push(decodeXml(m[1]));
      token = /<IsTruncated>true<\/IsTruncated>/.test(xml)
        ? decodeXml(/<NextContinuationToken>([^<]+)<\/NextContinuationToken>/.exec(xml)?.[1] ?? '')
        : undefined;
    } while (token);
    return keys;
  }
}

function decodeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');
}
