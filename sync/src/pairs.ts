/**
 * The connector pairs the `sync` runner can run in one process. A config names its pair with
 * `source.connector` (or `destination.connector`); without either it is the original Currents → Mixpanel pair,
 * so configs written before there was a second pair keep working unchanged.
 *
 * A pair says how to build its two connectors, which sync modes its streams use, and how to read and print the
 * destination's end-of-run accounting. Everything else (channel, state file, progress) is the runner's.
 */
import type { Destination, Source } from '../../connector-kit/connector';
import { ConnectorError } from '../../connector-kit/errors';
import type { AirbyteMessage, AirbyteStream, ConfiguredAirbyteStream } from '../../connector-kit/protocol';
import { BrazeDestination, type LedgerSummary } from '../../destination-braze/src/destination';
import { summaryTable as cohortSummaryTable } from '../../destination-braze/src/accounting/cohort-ledger';
import { MixpanelDestination } from '../../destination-mixpanel/src/destination';
import { BrazeCurrentsSource } from '../../source-braze-currents/src/source';
import { MixpanelCohortsSource } from '../../source-mixpanel-cohorts/src/source';
import type { ProgressUnits } from './progress';
import { summaryTable, type DestinationAccounting } from './summary';

/** What the runner learns about each record's fate while the destination works (for progress and rejected_file). */
export interface DestinationHooks {
  /** A whole rejected record with its reason: goes to `rejected_file` only, never to a log. */
  onRejected(rejected: object): void;
  onSkipped(): void;
}

export interface SyncPair {
  /** Connector names, as in their folders, spec.json and `connector` keys. */
  source: string;
  destination: string;
  /** Shown in the spec and the logs, e.g. "Braze Currents → Mixpanel". */
  title: string;
  /** What records and checkpoints are called in progress lines. */
  units: ProgressUnits;
  createSource(): Source;
  createDestination(hooks: DestinationHooks): Destination;
  /** The configured stream for a discovered one (sync modes). */
  configure(stream: AirbyteStream): ConfiguredAirbyteStream;
  /** Stream names this pair requires whatever `streams` says (e.g. the cohort snapshot signal). */
  requiredStreams?: string[];
  /** The destination's accounting from one of its messages, if this is that message. */
  accounting(message: AirbyteMessage): unknown | undefined;
  /** The end-of-run table. */
  summary(accounting: unknown): string;
}

export const CURRENTS_TO_MIXPANEL: SyncPair = {
  source: 'source-braze-currents',
  destination: 'destination-mixpanel',
  title: 'Braze Currents → Mixpanel',
  units: { record: 'events', checkpoint: 'files' },
  createSource: () => new BrazeCurrentsSource(),
  // The runner prints its own summary table, so the destination's goes to debug.
  createDestination: (hooks) => new MixpanelDestination({ onRejected: (r) => hooks.onRejected(r), onSkipped: () => hooks.onSkipped(), accountingLogLevel: 'debug' }),
  configure: (stream) => ({ stream, sync_mode: 'incremental', destination_sync_mode: 'append' }),
  accounting: analyticsOf('mixpanel_destination_accounting'),
  summary: (accounting) => summaryTable(accounting as DestinationAccounting),
};

/** The accounting a destination reports in its final ANALYTICS trace of the given type. */
function analyticsOf(type: string): (message: AirbyteMessage) => unknown | undefined {
  return (message) => (message.type === 'TRACE' && message.trace.analytics?.type === type ? JSON.parse(message.trace.analytics.value ?? '{}') : undefined);
}

/**
 * The loop back: cohort snapshots become Braze membership changes. Full refresh with overwrite (DESIGN §10.6); the
 * snapshot stream always goes along, since without it nothing is ever complete and no leaver is removed.
 */
export const COHORTS_TO_BRAZE: SyncPair = {
  source: 'source-mixpanel-cohorts',
  destination: 'destination-braze',
  title: 'Mixpanel cohorts → Braze',
  units: { record: 'members', checkpoint: 'pages' },
  createSource: () => new MixpanelCohortsSource(),
  createDestination: (hooks) => new BrazeDestination({ onSkipped: () => hooks.onSkipped(), accountingLogLevel: 'debug' }),
  configure: (stream) => ({ stream, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' }),
  requiredStreams: ['cohort_snapshots'],
  accounting: analyticsOf('braze_destination_accounting'),
  summary: (accounting) => cohortSummaryTable(accounting as LedgerSummary).join('\n'),
};

export const SYNC_PAIRS: SyncPair[] = [CURRENTS_TO_MIXPANEL, COHORTS_TO_BRAZE];

/** The pair a raw config names; the default pair when it names none. Throws a config_error naming the choices. */
export function pairFor(rawConfig: unknown): SyncPair {
  const section = (key: string): Record<string, unknown> => {
    const value = (rawConfig as Record<string, unknown> | null)?.[key];
    return value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
  };
  const sourceName = section('source').connector;
  const destinationName = section('destination').connector;
  if (sourceName === undefined && destinationName === undefined) return CURRENTS_TO_MIXPANEL;
  const pair = SYNC_PAIRS.find((p) => (sourceName === undefined || p.source === sourceName) && (destinationName === undefined || p.destination === destinationName));
  if (pair) return pair;
  const choices = SYNC_PAIRS.map((p) => `"${p.source}" → "${p.destination}"`).join(', ');
  throw new ConnectorError(
    `The sync config names source.connector ${JSON.stringify(sourceName ?? null)} and destination.connector ${JSON.stringify(destinationName ?? null)}, which is not a pair this runner can run. Pairs: ${choices}.`,
    'config_error',
  );
}
