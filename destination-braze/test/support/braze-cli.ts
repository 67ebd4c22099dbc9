/**
 * Runs bin/destination-braze (or bin/target-braze) against the real local Braze-compatible server over
 * loopback, with a transcript on stdin, and reads back what Braze holds. Secrets and user ids used here are
 * canaries: tests assert none of them appears in any output.
 */
import fs from 'fs';
import os from 'os';
import path from 'path';
import { startLocalBraze, type LocalBraze, type LocalBrazeOptions } from '../../../local-services/braze/server';
import { runCli, writeTempJson, type CliResult } from '../../../test-support/run-cli';
import { parseAirbyteOutput } from '../../../test-support/protocol-validator';
import { CONFIGURED_CATALOG, writeTranscript } from './cohort-transcripts';

export const CANARY_API_KEY = 'canary-braze-key-9d41f7c2';
export const CANARY_PARTNER_KEY = 'canary-partner-key-51b0aa';
export const CANARY_CLIENT_SECRET = 'canary-client-secret-7e22c9';
export const ATTRIBUTE = 'mixpanel_cohorts';

export async function startBraze(users: string[], options: LocalBrazeOptions = {}): Promise<LocalBraze> {
  return startLocalBraze({
    users,
    apiKeys: [{ key: CANARY_API_KEY, permissions: ['users.track'] }, { key: 'no-permission-key', permissions: [] }],
    partners: [{ partnerName: 'mixpanel', partnerApiKey: CANARY_PARTNER_KEY, clientSecret: CANARY_CLIENT_SECRET }],
    ...options,
  });
}

export const tempDir = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `${name}-`));

export function configFor(braze: LocalBraze, storeDir: string, over: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    rest_endpoint: braze.url,
    api_key: CANARY_API_KEY,
    membership_store: { type: 'local', path: storeDir },
    retry_base_ms: 5,
    max_retry_seconds: 20,
    flush_interval_seconds: 1,
    ...over,
  };
}

export interface WriteRun extends CliResult {
  messages: Array<Record<string, any>>;
  states: Array<Record<string, any>>;
  summary?: Record<string, any>;
}

export async function runWrite(config: Record<string, unknown>, lines: unknown[], bin = 'destination-braze'): Promise<WriteRun> {
  const dir = tempDir('braze-cli');
  const configFile = writeTempJson('config.json', config, dir);
  const catalogFile = writeTempJson('catalog.json', CONFIGURED_CATALOG, dir);
  const input = writeTranscript(lines, dir);
  const args = bin === 'target-braze' ? ['--config', configFile] : ['write', '--config', configFile, '--catalog', catalogFile];
  const result = await runCli(bin, args, { input: { file: input }, timeoutMs: 60_000 });
  if (bin === 'target-braze') return { ...result, messages: [], states: [] };
  const messages = parseAirbyteOutput(result.stdout);
  const trace = messages.find((m) => m.type === 'TRACE' && m.trace.type === 'ANALYTICS' && m.trace.analytics.type === 'braze_destination_accounting');
  return { ...result, messages, states: messages.filter((m) => m.type === 'STATE'), summary: trace ? JSON.parse(trace.trace.analytics.value) : undefined };
}

/** Which users hold which values of the attribute, e.g. { u1: ['A', 'B'] } (users without values left out). */
export function membership(braze: LocalBraze, attribute = ATTRIBUTE): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const id of braze.users.externalIds().sort()) {
    const values = braze.users.array(id, attribute) as string[];
    if (values.length) out[id] = [...values].sort();
  }
  return out;
}

/** Every distinct piece of text the user must never see in output. */
export function assertNoLeak(result: CliResult, canaries: string[]): void {
  const all = `${result.stdout}\n${result.stderr}`;
  for (const canary of canaries) expect(all.includes(canary)).toBe(false);
}
