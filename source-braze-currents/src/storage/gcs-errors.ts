/**
 * Turns @google-cloud/storage errors into ConnectorErrors that say what to fix. Only the HTTP status, the
 * API's reason code and our own words reach the message (never the SDK's text or request).
 */
import { ConnectorError, configError, transientError } from '../../../connector-kit/errors';

interface GcsLikeError {
  code?: number | string;
  errors?: { reason?: string }[];
  message?: string;
}

export interface GcsErrorContext {
  bucket: string;
  /** What we were doing, e.g. `listing "currents/"`. */
  action: string;
  /** The service account's e-mail (not a secret; tells the user which principal needs access). */
  principal: string;
  /** The role the caller needs, for a 403; default the read-only role the source needs. */
  role?: string;
}

const VIEWER_ROLE = '"Storage Object Viewer" role (storage.objects.list and storage.objects.get)';

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH']);

/** The HTTP status, the API's reason, and Node's (or the client's) string code, as far as the error has them. */
function partsOf(err: unknown): { status?: number; network?: string; code: string } {
  const e = (err ?? {}) as GcsLikeError;
  const status = typeof e.code === 'number' ? e.code : undefined;
  const reason = e.errors?.[0]?.reason;
  const network = typeof e.code === 'string' ? e.code : /\b(E[A-Z]{4,})\b/.exec(String(e.message ?? ''))?.[1];
  return { status, network, code: reason ?? network ?? (status ? `HTTP ${status}` : 'UnknownError') };
}

/** The most specific code of an error: the API's reason, a string code, else the HTTP status. */
export function gcsErrorCode(err: unknown): string {
  return partsOf(err).code;
}

export function describeGcsError(err: unknown, ctx: GcsErrorContext): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const { status, network, code } = partsOf(err);
  const internal = `GCS ${ctx.action} in bucket "${ctx.bucket}" failed: ${code}${status ? ` (HTTP ${status})` : ''}`;
  const where = `GCS bucket "${ctx.bucket}" (while ${ctx.action})`;

  if (status === 401) {
    return configError(`Google rejected the service-account key for ${where} (deleted or disabled key, or a key of another project). Create a new JSON key and paste it into storage.service_account_json.`, internal);
  }
  if (status === 403) {
    return configError(`Access denied to ${where}: grant ${ctx.principal} the ${ctx.role ?? VIEWER_ROLE} on the bucket.`, internal);
  }
  if (status === 404) {
    // A listing or an upload has no object to miss: its 404 is the bucket's.
    return /^(listing|writing)\b/.test(ctx.action)
      ? configError(`Bucket "${ctx.bucket}" does not exist (or is not visible to ${ctx.principal}). Fix storage.bucket.`, internal)
      : configError(`Not found: ${where}; the object was removed while the sync ran. Retry the sync.`, internal);
  }
  if ((network && NETWORK_CODES.has(network)) || status === 429 || status === 408 || (status !== undefined && status >= 500)) {
    return transientError(`Temporary problem reaching ${where}: ${code}. The sync can be retried; if it persists check network access to Google Cloud Storage.`, internal);
  }
  if (status === 400) return configError(`GCS refused the request for ${where} (${code}). Check storage.bucket and prefix.`, internal);
  return new ConnectorError(`GCS request failed for ${where}: ${code}.`, 'system_error', internal);
}
