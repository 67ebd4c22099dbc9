/**
 * Turns AWS SDK errors into ConnectorErrors that say what to fix. Only the error code, HTTP status and
 * our own words reach the message: the SDK's text can quote request details, and secrets must never leak.
 */
import { ConnectorError, configError, transientError } from '../../../connector-kit/errors';

interface AwsLikeError {
  name?: string;
  code?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
  $response?: { headers?: Record<string, string> };
  $retryable?: unknown;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);
const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestTimeout', 'RequestTimeTooSkewed', 'TooManyRequestsException', 'InternalError', 'ServiceUnavailable', 'TimeoutError', 'RequestTimeoutException']);

export interface S3ErrorContext {
  bucket: string;
  /** What we were doing, e.g. `listing "currents/"`. */
  action: string;
  /** Whether credentials came from a role (changes the advice). */
  authType: string;
}

/** The most specific code we can find: SDK error name, Node's `code`, a wrapped cause, or a code in the text. */
export function s3ErrorCode(err: unknown): string {
  const e = (err ?? {}) as AwsLikeError & { cause?: AwsLikeError; errors?: AwsLikeError[]; message?: string };
  if (e.name && e.name !== 'Error' && e.name !== 'AggregateError') return e.name;
  const direct = e.Code ?? e.code ?? e.cause?.code ?? e.errors?.[0]?.code;
  if (direct) return direct;
  const inText = /\b(E[A-Z]{4,})\b/.exec(String(e.message ?? ''));
  return inText ? inText[1] : 'UnknownError';
}

export function describeS3Error(err: unknown, ctx: S3ErrorContext): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const e = (err ?? {}) as AwsLikeError;
  const code = s3ErrorCode(e);
  const status = e.$metadata?.httpStatusCode;
  const internal = `S3 ${ctx.action} in bucket "${ctx.bucket}" failed: ${code}${status ? ` (HTTP ${status})` : ''}`;
  const where = `S3 bucket "${ctx.bucket}" (while ${ctx.action})`;
  const credentialsHint = ctx.authType === 'role'
    ? 'check storage.credentials.role_arn / external_id and that the role trusts the credentials this connector runs with'
    : ctx.authType === 'default_chain'
      ? 'check the AWS credentials available to the connector (environment, profile or instance role)'
      : 'check storage.credentials.aws_access_key_id and aws_secret_access_key';

  switch (code) {
    case 'NoSuchBucket':
    case 'NotFound':
      return configError(`Bucket "${ctx.bucket}" does not exist (or is not visible at this endpoint/region). Fix storage.bucket (and storage.endpoint/region if you use one).`, internal);
    case 'InvalidAccessKeyId':
      return configError(`The access key id was not recognised by ${where}. Fix storage.credentials.aws_access_key_id.`, internal);
    case 'SignatureDoesNotMatch':
      return configError(`The secret access key does not match the access key id for ${where}. Fix storage.credentials.aws_secret_access_key.`, internal);
    case 'AccessDenied':
    case 'Forbidden':
    case 'AllAccessDisabled':
      return configError(`Access denied to ${where}: the credentials need s3:ListBucket on the bucket and s3:GetObject on its objects; ${credentialsHint}.`, internal);
    case 'ExpiredToken':
    case 'InvalidToken':
    case 'TokenRefreshRequired':
      return configError(`The AWS session token was rejected by ${where} (expired or invalid); ${credentialsHint}.`, internal);
    case 'CredentialsProviderError':
      return configError(`No AWS credentials could be obtained for ${where}; ${credentialsHint}.`, internal);
    case 'PermanentRedirect':
    case 'AuthorizationHeaderMalformed':
    case 'IllegalLocationConstraintException': {
      const region = e.$response?.headers?.['x-amz-bucket-region'];
      return configError(`Bucket "${ctx.bucket}" is in another region${region ? ` (${region})` : ''}. Set storage.region to the bucket's region.`, internal);
    }
    default:
      break;
  }
  if (THROTTLING.has(code) || NETWORK_CODES.has(code) || (status !== undefined && status >= 500) || status === 429) {
    return transientError(`Temporary problem reaching ${where}: ${code}. The sync can be retried; if it persists check storage.endpoint and network access.`, internal);
  }
  if (status === 403) return configError(`Access denied to ${where}; ${credentialsHint}.`, internal);
  if (status === 404) return configError(`Not found: ${where}. Check storage.bucket and prefix.`, internal);
  return new ConnectorError(`S3 request failed for ${where}: ${code}${status ? ` (HTTP ${status})` : ''}.`, 'system_error', internal);
}
