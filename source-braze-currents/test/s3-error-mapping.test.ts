/**
 * The S3 error → ConnectorError mapping, for error codes the local S3 server (s3rver) cannot produce
 * (it does not verify signatures, throttle, or redirect regions). Errors are shaped like AWS SDK v3's.
 */
import { describeS3Error } from '../src/storage/s3-errors';

const ctx = { bucket: 'my-bucket', action: 'listing "currents/"', authType: 'access_key' };
const sdkError = (name: string, status: number, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error('AWS says: StringToSign ... secret-looking-text'), { name, $metadata: { httpStatusCode: status }, ...extra });

test.each([
  ['SignatureDoesNotMatch', 403, 'config_error', /aws_secret_access_key/],
  ['InvalidAccessKeyId', 403, 'config_error', /aws_access_key_id/],
  ['AccessDenied', 403, 'config_error', /s3:ListBucket.*s3:GetObject/],
  ['NoSuchBucket', 404, 'config_error', /Bucket "my-bucket" does not exist/],
  ['SlowDown', 503, 'transient_error', /Temporary problem/],
  ['InternalError', 500, 'transient_error', /Temporary problem/],
  ['ExpiredToken', 400, 'config_error', /session token/],
])('%s (HTTP %i) → %s', (name, status, failureType, message) => {
  const err = describeS3Error(sdkError(name, status), ctx);
  expect(err.failureType).toBe(failureType);
  expect(err.message).toMatch(message);
  expect(err.message).toContain('my-bucket');
  expect(err.message).not.toContain('secret-looking-text'); // the SDK's own text never reaches the user
});

test('a region redirect names the bucket region to set', () => {
  const err = describeS3Error(sdkError('PermanentRedirect', 301, { $response: { headers: { 'x-amz-bucket-region': 'eu-west-1' } } }), ctx);
  expect(err.failureType).toBe('config_error');
  expect(err.message).toMatch(/\(eu-west-1\).*storage.region/);
});

test('role credentials get role-specific advice', () => {
  const err = describeS3Error(sdkError('AccessDenied', 403), { ...ctx, authType: 'role' });
  expect(err.message).toMatch(/role_arn/);
});
