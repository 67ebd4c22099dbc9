/**
 * `check`: proves the credentials and host work without storing anything. It sends one event that strict
 * mode must refuse (no `time`): a 400 means Mixpanel authenticated us and validated the event.
 */
import type { AirbyteConnectionStatus } from '../../connector-kit/protocol';
import type { Logger } from '../../connector-kit/logger';
import type { DestinationSettings } from './config';
import { ImportClient } from './delivery/import-client';
import { errorMessageOf } from './delivery/import-response';

export const CHECK_EVENT = {
  event: 'airbyte-connection-check',
  properties: { distinct_id: 'airbyte-connection-check', $insert_id: 'airbyte-connection-check' },
};

export async function checkConnection(settings: DestinationSettings, log: Logger): Promise<AirbyteConnectionStatus> {
  const client = new ImportClient({ host: settings.host, auth: settings.auth, timeoutMs: settings.delivery.requestTimeoutMs, maxSockets: 1 });
  try {
    const event = settings.mapping.project_token
      ? { ...CHECK_EVENT, properties: { ...CHECK_EVENT.properties, token: settings.mapping.project_token } }
      : CHECK_EVENT;
    const reply = await client.post({ data: Buffer.from(JSON.stringify(event)) });
    const where = client.hostLabel;
    if (reply.kind === 'network') return { status: 'FAILED', message: `Could not reach Mixpanel at ${where}: ${reply.message}. Check region / api_host and the network.` };
    const { status } = reply;
    if (status === 400) return { status: 'SUCCEEDED', message: `Mixpanel at ${where} accepted the credentials (a deliberately invalid test event was refused, nothing was stored).` };
    if (status === 401 || status === 403) {
      return { status: 'FAILED', message: `Mixpanel rejected the credentials (${errorMessageOf(reply.body, status)}): check the ${describeAuth(settings)} and that the region / api_host (${where}) is the project's.` };
    }
    if (status >= 200 && status < 300) {
      log.warn('Mixpanel accepted the connection-check event although it has no time; it may show up as "airbyte-connection-check".');
      return { status: 'SUCCEEDED', message: `Mixpanel at ${where} accepted the credentials.` };
    }
    return { status: 'FAILED', message: `Mixpanel at ${where} answered ${errorMessageOf(reply.body, status)}; check region / api_host.` };
  } finally {
    client.close();
  }
}

function describeAuth(settings: DestinationSettings): string {
  switch (settings.auth.method) {
    case 'service_account':
      return "service account's username, secret and project_id (the account needs the Admin or Owner role on that project)";
    case 'api_secret':
      return 'API secret';
    default:
      return 'project token';
  }
}
