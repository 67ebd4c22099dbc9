/**
 * Turns Azure Blob SDK errors into ConnectorErrors that say what to fix. Only the service's error code, the
 * HTTP status and our own words reach the message: the SDK's text and request objects can carry the SAS
 * token or the signed URL, and secrets must never leak.
 */
import { ConnectorError, configError, transientError } from '../../../connector-kit/errors';

interface AzureLikeError {
  name?: string;
  code?: string;
  statusCode?: number;
  details?: { errorCode?: string };
  message?: string;
}

export interface AzureErrorContext {
  container: string;
  /** What we were doing, e.g. `listing "currents/"`. */
  action: string;
  /** `connection_string` or `sas` (changes the advice). */
  authType: string;
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'REQUEST_SEND_ERROR']);
const BUSY_CODES = new Set(['ServerBusy', 'OperationTimedOut', 'InternalError', 'ServiceUnavailable']);

/** The service's error code (`ContainerNotFound`, …), else Node's network code, else a code named in the text. */
export function azureErrorCode(err: unknown): string {
  const e = (err ?? {}) as AzureLikeError;
  const serviceCode = e.details?.errorCode ?? e.code;
  if (serviceCode && serviceCode !== 'REQUEST_SEND_ERROR') return serviceCode;
  const inText = /\b(E[A-Z]{4,})\b/.exec(String(e.message ?? ''));
  if (inText) return inText[1];
  return serviceCode ?? (e.name && e.name !== 'Error' && e.name !== 'RestError' ? e.name : 'UnknownError');
}

export function describeAzureError(err: unknown, ctx: AzureErrorContext): ConnectorError {
  if (err instanceof ConnectorError) return err;
  const e = (err ?? {}) as AzureLikeError;
  const code = azureErrorCode(e);
  const status = e.statusCode;
  const internal = `Azure ${ctx.action} in container "${ctx.container}" failed: ${code}${status ? ` (HTTP ${status})` : ''}`;
  const where = `Azure container "${ctx.container}" (while ${ctx.action})`;
  const credentialsHint = ctx.authType === 'sas'
    ? 'check storage.credentials.sas_token (not expired, with Read and List permissions, for this account) and storage.credentials.account_url'
    : 'check storage.credentials.connection_string (copy it again from the storage account\'s "Access keys" page)';

  switch (code) {
    case 'ContainerNotFound':
      return configError(`Container "${ctx.container}" does not exist in this storage account. Fix storage.container (or the account in the ${ctx.authType === 'sas' ? 'account_url' : 'connection string'}).`, internal);
    case 'InvalidResourceName':
      return configError(`"${ctx.container}" is not a valid Azure container name (3–63 lower-case letters, digits and hyphens). Fix storage.container.`, internal);
    case 'AuthenticationFailed':
    case 'InvalidAuthenticationInfo':
      return configError(`Azure rejected the credentials for ${where}: ${credentialsHint}.`, internal);
    case 'AuthorizationFailure':
    case 'AuthorizationPermissionMismatch':
    case 'AuthorizationResourceTypeMismatch':
    case 'AuthorizationServiceMismatch':
    case 'AuthorizationProtocolMismatch':
    case 'AuthorizationSourceIPMismatch':
      // An account key may do everything, so with a connection string this means a wrong key (Azurite answers
      // so) or the account's firewall; with a SAS, usually missing permissions.
      return ctx.authType === 'sas'
        ? configError(`Access denied to ${where}: the SAS token needs List and Read permissions on the container; ${credentialsHint}. Also check the storage account's network rules allow this connector.`, internal)
        : configError(`Azure rejected the credentials for ${where}: ${credentialsHint}. If it is right, the storage account's network rules may not allow this connector.`, internal);
    case 'AccountIsDisabled':
      return configError(`The storage account of ${where} is disabled. Enable it in Azure or point the connector at another account.`, internal);
    default:
      break;
  }
  if (BUSY_CODES.has(code) || NETWORK_CODES.has(code) || (status !== undefined && status >= 500) || status === 429) {
    return transientError(`Temporary problem reaching ${where}: ${code}. The sync can be retried; if it persists check the account URL / BlobEndpoint and network access.`, internal);
  }
  if (status === 401 || status === 403) return configError(`Access denied to ${where}; ${credentialsHint}.`, internal);
  if (status === 404) return configError(`Not found: ${where}. Check storage.container and prefix.`, internal);
  return new ConnectorError(`Azure request failed for ${where}: ${code}${status ? ` (HTTP ${status})` : ''}.`, 'system_error', internal);
}
