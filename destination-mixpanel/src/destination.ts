/** The Mixpanel destination / Singer target: wires config, mapping, validation and delivery together. */
import type { Destination, DestinationOutput } from '../../connector-kit/connector';
import type { Logger } from '../../connector-kit/logger';
import type { AirbyteConnectionStatus, AirbyteMessage, ConfiguredAirbyteCatalog, ConnectorSpecification, JsonObject } from '../../connector-kit/protocol';
import specJson from '../spec.json';
import { resolveSettings } from './config';
import { checkConnection } from './check';
import { BatchSender } from './delivery/batch-sender';
import { ImportClient } from './delivery/import-client';
import { createMapper } from './mapping';
import { validateEvent } from './validation';
import { WritePipeline, type RejectedRecord } from './write-pipeline';

export type { RejectedRecord } from './write-pipeline';

export interface MixpanelDestinationOptions {
  /** Called for every rejected record (the sync runner writes them to a file). */
  onRejected?: (rejected: RejectedRecord) => void;
}

export class MixpanelDestination implements Destination {
  readonly name = 'destination-mixpanel';
  readonly singerName = 'target-mixpanel';
  readonly description = "Sends records to Mixpanel's /import API, named and shaped as Braze's Mixpanel for Currents export does.";
  readonly version = '0.1.0';

  constructor(private readonly options: MixpanelDestinationOptions = {}) {}

  spec(): ConnectorSpecification {
    return specJson as unknown as ConnectorSpecification;
  }

  async check(config: JsonObject, log: Logger): Promise<AirbyteConnectionStatus> {
    return checkConnection(resolveSettings(config), log);
  }

  async write(config: JsonObject, _catalog: ConfiguredAirbyteCatalog, input: AsyncIterable<AirbyteMessage>, out: DestinationOutput): Promise<void> {
    const settings = resolveSettings(config);
    const { delivery } = settings;
    const client = new ImportClient({ host: settings.host, auth: settings.auth, timeoutMs: delivery.requestTimeoutMs, maxSockets: delivery.concurrency });
    const sender = new BatchSender(client, { gzipLevel: delivery.gzipLevel, retryBaseMs: delivery.retryBaseMs, retryMaxMs: delivery.retryMaxMs, maxRetryMs: delivery.maxRetryMs }, out.log);
    const pipeline = new WritePipeline(delivery, out, {
      map: createMapper(settings.mapping),
      validate: validateEvent,
      deliver: (lines, signal, byteLength) => sender.deliver(lines, signal, byteLength),
      hostLabel: client.hostLabel,
      onRejected: this.options.onRejected,
    });
    out.log.info(`Sending to ${client.hostLabel} (${settings.auth.method} auth): up to ${delivery.batchSize} events per request, ${delivery.concurrency} requests in flight.`);
    try {
      await pipeline.run(input);
    } finally {
      client.close();
    }
  }
}
