import type { FailureType } from './protocol';

/**
 * An error meant for the user: its message says what went wrong and what to fix.
 * The kit turns it into a TRACE ERROR with this failure_type (and never prints a stack trace for it).
 */
export class ConnectorError extends Error {
  constructor(message: string, readonly failureType: FailureType = 'system_error', readonly internalMessage?: string) {
    super(message);
    this.name = 'ConnectorError';
  }
}

export const configError = (message: string, internal?: string) => new ConnectorError(message, 'config_error', internal);
export const transientError = (message: string, internal?: string) => new ConnectorError(message, 'transient_error', internal);
