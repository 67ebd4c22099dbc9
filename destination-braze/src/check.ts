/**
 * `check`: Braze's harmless probe (src/braze/probe.ts: a /users/track call that writes nothing, and in partner
 * mode an empty cohort change) and a round trip through the membership store (write, read back, delete a
 * small file), so a store the connector cannot write is found before a sync has written to Braze.
 */
import { randomUUID } from 'crypto';
import { ConnectorError } from '../../connector-kit/errors';
import type { AirbyteConnectionStatus } from '../../connector-kit/protocol';
import { probeBraze } from './braze';
import type { BrazeDestinationSettings } from './config';
import type { BlobStore } from './store/blob-store';
import { createBlobStore } from './store/create-blob-store';

export async function checkConnection(settings: BrazeDestinationSettings): Promise<AirbyteConnectionStatus> {
  const braze = await probeBraze(settings.delivery);
  if (!braze.ok) return { status: 'FAILED', message: braze.message };
  const storeProblem = await checkStore(settings);
  if (storeProblem) return { status: 'FAILED', message: `${braze.message} But the membership store is not usable: ${storeProblem}` };
  return { status: 'SUCCEEDED', message: `${braze.message} The membership store is readable and writable.` };
}

/** Undefined when a file can be written, read back and deleted; otherwise what went wrong. */
async function checkStore(settings: BrazeDestinationSettings): Promise<string | undefined> {
  let store: BlobStore;
  try {
    store = createBlobStore(settings.store, settings.storePrefix);
  } catch (err) {
    return describe(err);
  }
  const key = `check/${randomUUID()}.txt`;
  const body = Buffer.from('destination-braze check: safe to delete\n');
  try {
    await store.put(key, body);
    const back = await store.get(key);
    await store.delete([key]);
    if (!back || !back.equals(body)) return `a file written to ${store.location} did not read back the same.`;
    await store.list('cohorts/');
    return undefined;
  } catch (err) {
    return describe(err);
  }
}

function describe(err: unknown): string {
  if (err instanceof ConnectorError) return err.message;
  return `unexpected error (${(err as Error)?.name ?? 'unknown'}).`;
}
