/**
 * Presigned S3 GET URLs (AWS Signature Version 4, query-string form), so a reference video or
 * audio clip staged in our bucket can be handed to the provider as a link it fetches itself
 * instead of bytes in the request (activities/seedance/media.ts). Written out here, with
 * node:crypto, rather than with @aws-sdk/s3-request-presigner, which this package does not
 * depend on; the integration test fetches a URL made here from MinIO.
 *
 * The link is signed for `host` only with an unsigned payload (what S3 presigned GETs are),
 * and lives `expiresSec` (S3 allows at most 7 days; a link signed with session credentials
 * dies with the session anyway).
 */
import { createHash, createHmac } from 'node:crypto';
import { GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';

/** S3's limit on a presigned URL's life. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;

export interface PresignCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
}

export interface PresignRequest {
  /** `http(s)://host[:port]` of an S3-compatible server (path-style URLs); absent: AWS S3 in `region`. */
  endpoint?: string | undefined;
  region: string;
  bucket: string;
  key: string;
  expiresSec: number;
  credentials: PresignCredentials;
  now?: Date;
}

/** RFC 3986 encoding, as SigV4 wants it: everything but A-Z a-z 0-9 - _ . ~ */
const encode = (s: string) => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
const sha256Hex = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex');
const hmac = (key: Buffer | string, s: string) => createHmac('sha256', key).update(s, 'utf8').digest();

/** A presigned GET URL of `s3://bucket/key`. */
export function presignS3Get(r: PresignRequest): string {
  const keyPath = r.key.split('/').map(encode).join('/');
  if (r.endpoint) {
    const origin = new URL(r.endpoint);
    return presignGet({ ...r, origin, path: `${origin.pathname.replace(/\/+$/, '')}/${encode(r.bucket)}/${keyPath}` });
  }
  // Dotted bucket names break the TLS certificate of virtual-hosted names: path style for them.
  if (r.bucket.includes('.'))
    return presignGet({ ...r, origin: new URL(`https://s3.${r.region}.amazonaws.com`), path: `/${encode(r.bucket)}/${keyPath}` });
  return presignGet({ ...r, origin: new URL(`https://${r.bucket}.s3.${r.region}.amazonaws.com`), path: `/${keyPath}` });
}

/** The signing itself, for an origin and an already encoded path (exported for AWS's published test vector). */
export function presignGet(r: {
  origin: URL;
  path: string;
  region: string;
  expiresSec: number;
  credentials: PresignCredentials;
  now?: Date | undefined;
}): string {
  const expires = Math.max(1, Math.min(MAX_PRESIGN_SECONDS, Math.floor(r.expiresSec)));
  const now = r.now ?? new Date();
  const amzDate = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d{3}/, '');
  const day = amzDate.slice(0, 8);
  const scope = `${day}/${r.region}/s3/aws4_request`;
  const query: Record<string, string> = {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': `${r.credentials.accessKeyId}/${scope}`,
    'X-Amz-Date': amzDate,
    'X-Amz-Expires': String(expires),
    'X-Amz-SignedHeaders': 'host',
    ...(r.credentials.sessionToken ? { 'X-Amz-Security-Token': r.credentials.sessionToken } : {}),
  };
  const canonicalQuery = Object.keys(query)
    .sort()
    .map((k) => `${encode(k)}=${encode(query[k] as string)}`)
    .join('&');
  const canonicalRequest = ['GET', r.path, canonicalQuery, `host:${r.origin.host}\n`, 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = ['AWS4-HMAC-SHA256', amzDate, scope, sha256Hex(canonicalRequest)].join('\n');
  let key = hmac(`AWS4${r.credentials.secretAccessKey}`, day);
  for (const part of [r.region, 's3', 'aws4_request']) key = hmac(key, part);
  const signature = createHmac('sha256', key).update(toSign, 'utf8').digest('hex');
  return `${r.origin.protocol}//${r.origin.host}${r.path}?${canonicalQuery}&X-Amz-Signature=${signature}`;
}

/**
 * Presigned links over the worker's S3 client: its credentials (whatever the SDK resolved:
 * keys, a profile, a role) and region; `endpoint` is the S3 server as the provider reaches it.
 * `head` reads an object's first bytes (a ranged GET) so a link is checked before it is sent.
 */
export function s3Presigner(
  client: S3Client,
  opts: { endpoint?: string | undefined; region: string },
): {
  link(bucket: string, key: string, expiresSec: number): Promise<string>;
  head(bucket: string, key: string, n: number, signal?: AbortSignal): Promise<{ first: Buffer; size: number }>;
} {
  return {
    async link(bucket, key, expiresSec) {
      const credentials = await client.config.credentials();
      return presignS3Get({ endpoint: opts.endpoint, region: opts.region, bucket, key, expiresSec, credentials });
    },
    async head(bucket, key, n, signal) {
      const res = await client.send(
        new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${n - 1}` }),
        signal ? { abortSignal: signal } : {},
      );
      const first = Buffer.from((await res.Body?.transformToByteArray()) ?? []);
      // `Content-Range: bytes 0-63/12345` carries the whole size; without it the body is all there is.
      const size = Number(/\/(\d+)$/.exec(res.ContentRange ?? '')?.[1] ?? first.length);
      return { first: first.subarray(0, n), size };
    },
  };
}
