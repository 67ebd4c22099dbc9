/**
 * `check`: one cheap query (the cohort list) proves credentials, project and region; then every cohort the
 * config names must exist. Each failure says what to fix (query-client.ts words the refusals).
 */
import { ConnectorError } from '../../connector-kit/errors';
import type { Logger } from '../../connector-kit/logger';
import type { AirbyteConnectionStatus } from '../../connector-kit/protocol';
import type { Clock } from './clock';
import { isVisible, selectCohorts } from './cohort-selection';
import type { CohortSettings } from './config';
import { QueryClient, QueryRejected } from './query-client';

export async function checkConnection(settings: CohortSettings, log: Logger, clock: Clock, userAgent: string): Promise<AirbyteConnectionStatus> {
  // A check must answer promptly: no long back-off (a busy budget is reported, not waited out).
  const client = new QueryClient({ ...settings, maxRetryMs: Math.min(settings.maxRetryMs, 60_000), retryBaseMs: Math.min(settings.retryBaseMs, 5_000), retryMaxMs: Math.min(settings.retryMaxMs, 20_000) }, clock, log, userAgent);
  let listing;
  try {
    listing = await client.listCohorts();
  } catch (err) {
    if (err instanceof ConnectorError) return { status: 'FAILED', message: err.message };
    if (err instanceof QueryRejected) return { status: 'FAILED', message: `${err.message}. Check credentials.project_id and workspace_id.` };
    throw err;
  }
  const { selected, problems } = selectCohorts(listing, settings.cohorts);
  if (problems.length > 0) return { status: 'FAILED', message: `cohorts: ${problems.map((p) => p.message).join('; ')}.` };
  const which = settings.cohorts.length ? `${selected.length} selected cohorts` : `${selected.length} visible cohorts (of ${listing.length})`;
  return { status: 'SUCCEEDED', message: `Connected to project ${settings.auth.projectId}: ${which}${listing.length ? '' : '; the project has no cohorts yet'}. Visible: ${listing.filter(isVisible).length}.` };
}
