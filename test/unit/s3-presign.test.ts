/**
 * Presigned S3 GET URLs, signed here (storage/s3-presign.ts): AWS's published SigV4
 * query-string example gives the published signature; path style with a custom endpoint,
 * virtual-hosted on AWS, session tokens signed, lifetimes bounded by S3's 7 days.
 * (test/integration/reference-media.test.ts fetches one from MinIO.)
 */
import { MAX_PRESIGN_SECONDS, presignGet, presignS3Get } from '../../storage/s3-presign';

// AWS's documented example credentials (SigV4 docs), not a real key: they reproduce the published signature.
const credentials = { accessKeyId: 'AKIAIOSFODNN7EXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const now = new Date('2013-05-24T00:00:00Z');

test("AWS's published example (GET examplebucket/test.txt, 24 h) gives its published signature", () => {
  const url = presignGet({
    origin: new URL('https://examplebucket.s3.amazonaws.com'),
    path: '/test.txt',
    region: 'us-east-1',
    expiresSec: 86400,
    credentials,
    now,
  });
  expect(url).toBe(
    'https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
  );
});

test('a custom endpoint is path style; AWS is virtual-hosted (path style for dotted buckets); a session token is signed; at most 7 days', () => {
  const base = { region: 'us-east-1', bucket: 'b', key: 'renders/inputs/abc.mp4', expiresSec: 3600, credentials, now };
  expect(presignS3Get({ ...base, endpoint: 'http://127.0.0.1:9000' })).toMatch(
    /^http:\/\/127\.0\.0\.1:9000\/b\/renders\/inputs\/abc\.mp4\?X-Amz-Algorithm=/,
  );
  expect(presignS3Get(base)).toMatch(/^https:\/\/b\.s3\.us-east-1\.amazonaws\.com\/renders\/inputs\/abc\.mp4\?/);
  expect(presignS3Get({ ...base, bucket: 'my.bucket' })).toMatch(/^https:\/\/s3\.us-east-1\.amazonaws\.com\/my\.bucket\/renders\//);
  const withToken = presignS3Get({ ...base, credentials: { ...credentials, sessionToken: 'tok/en+=' } });
  expect(withToken).toContain('X-Amz-Security-Token=tok%2Fen%2B%3D&X-Amz-SignedHeaders=host&X-Amz-Signature=');
  expect(presignS3Get({ ...base, expiresSec: 30 * 24 * 3600 })).toContain(`X-Amz-Expires=${MAX_PRESIGN_SECONDS}&`);
});
