/** The Braze destination / Singer target for Mixpanel cohorts: config, membership store, diff pipeline, delivery. */
import type { Destination, DestinationOutput } from '../../connector-kit/connector';
import type { RawInputDestination, RawMessageInput } from '../../connector-kit/input';
import { configError } from '../../connector-kit/errors';
import type { Logger } from '../../connector-kit/logger';
import type { AirbyteConnectionStatus, AirbyteMessage, ConfiguredAirbyteCatalog, ConnectorSpecification, JsonObject } from '../../connector-kit/protocol';
import specJson from '../spec.json';
import type { LedgerSummary } from './accounting/cohort-ledger';
import { createMembershipWriter, probeBraze, type MembershipWriter, type OutcomeListener } from './braze';
import { checkConnection } from './check';
import { resolveSettings, type BrazeDestinationSettings } from './config';
import { CohortWritePipeline } from './cohort-write-pipeline';
import { COHORT_STREAMS } from './input/cohort-records';
import { rawCohortInput, type CohortInput } from './input/raw-lines';
import { MembershipStore } from './membership/membership-store';
import { createBlobStore } from './store/create-blob-store';

export type { LedgerSummary, CohortRow } from './accounting/cohort-ledger';

export interface BrazeDestinationOptions {
  /** Told of every skipped or rejected record (the sync runner's progress display counts them). */
  onSkipped?: (stream: string, reason: string) => void;
  /** Called with the accounting once a sync ended (also when it failed). */
  onSummary?: (summary: LedgerSummary) => void;
  /** Level of the end-of-run table in the log (the sync runner prints its own): default info. */
  accountingLogLevel?: 'info' | 'debug';
}

export class BrazeDestination implements Destination, RawInputDestination {
  readonly name = 'destination-braze';
  readonly singerName = 'target-braze';
  readonly description = 'Writes Mixpanel cohort membership into Braze (a custom attribute array, or partner cohorts), sending only the changes since the last complete snapshot.';
  readonly version = '0.1.0';

  constructor(private readonly options: BrazeDestinationOptions = {}) {}

  spec(): ConnectorSpecification {
    return specJson as unknown as ConnectorSpecification;
  }

  async check(config: JsonObject, _log: Logger): Promise<AirbyteConnectionStatus> {
    return checkConnection(resolveSettings(config));
  }

  /** The CLI: lines are read here, member records scanned from their bytes without a parse (input/raw-lines.ts). */
  async writeRaw(config: JsonObject, catalog: ConfiguredAirbyteCatalog, input: RawMessageInput, out: DestinationOutput): Promise<void> {
    return this.writeInput(config, catalog, rawCohortInput(input, out.log), out);
  }

  /** Parsed messages (the sync runner, or any caller with messages in hand). */
  async write(config: JsonObject, catalog: ConfiguredAirbyteCatalog, input: AsyncIterable<AirbyteMessage>, out: DestinationOutput): Promise<void> {
    return this.writeInput(config, catalog, oneByOne(input), out);
  }

  private async writeInput(config: JsonObject, catalog: ConfiguredAirbyteCatalog, input: AsyncIterable<CohortInput[]>, out: DestinationOutput): Promise<void> {
    const settings = resolveSettings(config);
    warnAboutCatalog(catalog, out.log);
    const store = new MembershipStore(createBlobStore(settings.store, settings.storePrefix));
    const pipeline = new CohortWritePipeline(
      { flushIntervalMs: settings.flushIntervalMs, mode: settings.delivery.mode, arrayLimit: settings.arrayLimit },
      { store, createWriter: (onOutcome) => writerFor(settings, onOutcome, out.log), out, onSkipped: this.options.onSkipped, accountingLogLevel: this.options.accountingLogLevel },
    );
    out.log.info(
      `Writing cohort membership to Braze at ${new URL(settings.delivery.restEndpoint).host} (${settings.delivery.mode} mode${settings.delivery.mode === 'attribute' ? `, attribute "${settings.delivery.attributeName}"` : ''}); membership store: ${store.location}.`,
    );
    await failFastOnCredentials(settings, out.log);
    const summary = await pipeline.run(input).catch((err) => {
      this.options.onSummary?.(pipeline.summary());
      throw err;
    });
    this.options.onSummary?.(summary);
  }
}

/**
 * The harmless probe `check` uses, once before anything is read: a bad key, a key without users.track or wrong
 * partner credentials stop the sync before a single STATE is echoed. Throttling or an unreachable Braze only
 * warns: delivery retries those with its own budget.
 */
async function failFastOnCredentials(settings: BrazeDestinationSettings, log: Logger): Promise<void> {
  const probe = await probeBraze(settings.delivery);
  if (probe.ok) return;
  if (probe.problem === 'unreachable' || probe.problem === 'unavailable' || probe.problem === 'unexpected') {
    log.warn(`Braze did not answer the credentials probe as expected (${probe.message}); going on, delivery retries.`);
    return;
  }
  throw configError(probe.message);
}

function writerFor(settings: BrazeDestinationSettings, onOutcome: OutcomeListener, log: Logger): MembershipWriter {
  try {
    return createMembershipWriter(settings.delivery, onOutcome, log);
  } catch (err) {
    throw configError(`${(err as Error).message}.`);
  }
}


/** Streams other than the cohort streams can only be rejected: say so once, up front. */
function warnAboutCatalog(catalog: ConfiguredAirbyteCatalog, log: Logger): void {
  const others = (catalog.streams ?? []).map((s) => s.stream.name).filter((name) => !(COHORT_STREAMS as readonly string[]).includes(name));
  if (others.length) log.warn(`The catalog holds streams that are no Mixpanel cohort streams (${others.join(', ')}); their records will be rejected (not_a_cohort_stream).`);
  if (catalog.streams?.length && !catalog.streams.some((s) => s.stream.name === 'cohort_members')) {
    log.warn('The catalog does not select cohort_members: no membership can be written.');
  }
}

async function* oneByOne(messages: AsyncIterable<AirbyteMessage>): AsyncGenerator<CohortInput[]> {
  for await (const message of messages) yield [message];
}
